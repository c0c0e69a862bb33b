"""No admin page without the second factor.

A session that signed in with a password alone is sent to verify its second factor (or, for an
account with none yet, to enrol one) from every admin address but the few that lead there:
sign-in and sign-out, password reset, the pages of this app and the passkey ceremonies (which
check for themselves that a new passkey needs a verified session once the account has one).
Everywhere else it counts as not signed in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import user_has_device

OPEN_VIEWS = frozenset(
    {
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_sprite",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
        "staff_2fa_verify",
        "staff_2fa_add",
    }
)
OPEN_NAMESPACES = frozenset({"otp_webauthn"})


def _open(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in OPEN_VIEWS or bool(OPEN_NAMESPACES & set(match.namespaces))


def second_factor_url(request: HttpRequest) -> str:
    """Where this session proves (or, with no factor yet, enrols) its second factor, with
    the page asked for as ``next``."""
    name = "staff_2fa_verify" if user_has_device(request.user) else "staff_2fa_add"
    url = reverse(name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


def require_second_factor(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        user: Any = request.user  # with OTPMiddleware's is_verified()
        if user.is_authenticated and not user.is_verified() and not _open(request):
            if request.path_info.startswith(reverse("wagtailadmin_home")):
                return redirect(second_factor_url(request))
            request.user = AnonymousUser()
        return get_response(request)

    return middleware
