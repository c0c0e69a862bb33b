from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from samizdat.core import hooks as samizdat_hooks
from samizdat.staff import actions, views
from samizdat.staff.demo import authenticator_key


@hooks.register("register_admin_urls")
def admin_urls() -> list[URLPattern | URLResolver]:
    return [
        path("2fa/", views.factors, name="staff_2fa"),
        path("2fa/verify/", views.verify, name="staff_2fa_verify"),
        path("2fa/add/", views.add, name="staff_2fa_add"),
        path("2fa/recovery-codes/", views.recovery_codes, name="staff_2fa_recovery_codes"),
        path("2fa/remove/", views.remove, name="staff_2fa_remove"),
        path("2fa/passkeys/", include("django_otp_webauthn.urls")),
    ]


@hooks.register("register_account_menu_item")
def account_menu_item(request: HttpRequest) -> dict[str, Any]:
    return {
        "url": reverse("staff_2fa"),
        "label": _("Two-factor authentication"),
        "help_text": _("Your passkeys, authenticator apps and recovery codes."),
    }


@hooks.register("register_log_actions")
def log_actions(actions_registry: Any) -> None:
    actions_registry.register_action(
        actions.RESET_ACTION,
        _("Reset two-factor authentication"),
        _("Second factors removed by an administrator; enrols again at the next sign-in"),
    )


@samizdat_hooks.register(samizdat_hooks.DEMO_LOGINS)
def demo_login(user: Any) -> str:
    return str(_("authenticator key %(key)s")) % {"key": authenticator_key(user)}
