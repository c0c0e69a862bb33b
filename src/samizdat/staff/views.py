"""The admin's second-factor pages: verify after the password, add a factor (the enrolment at
first sign-in), recovery codes, and each person's own list of factors."""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn.utils import get_credential_model

from samizdat.staff import actions
from samizdat.staff.forms import AppForm, CodeForm
from samizdat.staff.passkeys import passkeys_possible

NEW_APP_KEY = "staff_2fa_new_app_key"  # the secret of the app being added, until confirmed


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("wagtailadmin_home")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _user_id(request: HttpRequest) -> int:
    user: Any = request.user
    return int(user.pk)


def _has_recovery_codes(user: Any) -> bool:
    return StaticDevice.objects.filter(user=user).exists()


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a passkey, an app's code or a recovery code."""
    user: Any = request.user
    next_url = _next(request)
    if user.is_verified():
        return redirect(next_url)
    if not user_has_device(user):
        return redirect(_with_next("staff_2fa_add", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, throttled = actions.verify_code(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = StaticToken.objects.filter(device=device).count()
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; %(count)d is left. "
                        "Make new ones under Account → Two-factor authentication.",
                        "You signed in with a recovery code; %(count)d are left. "
                        "Make new ones under Account → Two-factor authentication.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_url)
        form.add_error(
            "code",
            _("Too many wrong codes: wait a minute, then try again.")
            if throttled
            else _("That code is not right, or it has expired. Try the code now shown."),
        )
    has_passkey = get_credential_model().objects.filter(user=user, confirmed=True).exists()
    return TemplateResponse(
        request,
        "staff/verify.html",
        {"form": form, "next": next_url, "has_passkey": has_passkey},
    )


def add(request: HttpRequest) -> HttpResponse:
    """Add a passkey or an authenticator app: at the first sign-in (the only page open to an
    account without a factor), or later from the account's list of factors."""
    user: Any = request.user
    next_url = _next(request)
    enrolling = not user_has_device(user)
    if not enrolling and not user.is_verified():
        return redirect(_with_next("staff_2fa_verify", next_url))
    key = request.session.get(NEW_APP_KEY) or random_hex(20)
    request.session[NEW_APP_KEY] = key
    form = AppForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = actions.app_code_matches(key=key, code=form.cleaned_data["code"])
        if step is None:
            form.add_error(
                "code",
                _(
                    "That code does not match. Check that the phone's clock is right and "
                    "enter the code the app shows now."
                ),
            )
        else:
            device = actions.add_authenticator_app(
                user_id=user.pk, key=key, name=form.cleaned_data["name"], last_step=step
            )
            del request.session[NEW_APP_KEY]
            if not user.is_verified():
                otp_login(request, device)
            if not _has_recovery_codes(user):
                return _show_recovery_codes(request, next_url)
            messages.success(request, _("The app “%(name)s” was added.") % {"name": device.name})
            return redirect("staff_2fa")
    app = TOTPDevice(user=user, key=key)  # unsaved: only to draw its setup address
    return TemplateResponse(
        request,
        "staff/add.html",
        {
            "form": form,
            "next": next_url,
            "enrolling": enrolling,
            "qr_code": segno.make(app.config_url, error="m").svg_inline(scale=4, border=2),
            "secret": _grouped(b32encode(app.bin_key).decode().rstrip("=")),
            "passkeys_possible": passkeys_possible(),
            "needs_recovery_codes": not _has_recovery_codes(user),
        },
    )


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _show_recovery_codes(request: HttpRequest, next_url: str) -> HttpResponse:
    codes = actions.new_recovery_codes(user_id=_user_id(request))
    return TemplateResponse(
        request,
        "staff/recovery_codes.html",
        {"codes": [actions.shown_code(code) for code in codes], "next": next_url},
    )


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown this once; the old ones stop working."""
    return _show_recovery_codes(request, _next(request))


def factors(request: HttpRequest) -> HttpResponse:
    """The account's own second factors: add a passkey or an app, remove one, new codes."""
    user: Any = request.user
    return TemplateResponse(
        request,
        "staff/factors.html",
        {
            "passkeys": get_credential_model().objects.filter(user=user).order_by("pk"),
            "apps": TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk"),
            "recovery_codes_left": StaticToken.objects.filter(device__user=user).count(),
            "passkeys_possible": passkeys_possible(),
        },
    )


@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    try:
        name = actions.remove_factor(
            user_id=_user_id(request), persistent_id=request.POST.get("device", "")
        )
    except LookupError:
        messages.error(request, _("That factor is not one of yours, or it was already removed."))
    except actions.LastFactor:
        messages.error(
            request,
            _("This is your only passkey or app: add another before you remove it."),
        )
    else:
        messages.success(request, _("“%(name)s” was removed.") % {"name": name})
    return redirect("staff_2fa")
