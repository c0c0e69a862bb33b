"""The second factor's admin pages, the sign-in log's actions (Reports → Site history) and
each person's own recent sign-ins on the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogActionRegistry

from samizdat.core import hooks as samizdat_hooks
from samizdat.staff import actions, audit, views
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


@hooks.register("register_log_actions")
def _log_actions(actions: LogActionRegistry) -> None:
    audit.register_actions(actions)


class RecentSignInsPanel(Component):
    """The last ten sign-ins, failures and lockouts of the account, so that its owner notices
    one that was not theirs."""

    name = "recent_sign_ins"
    template_name = "staff/recent_sign_ins.html"
    order = 50

    def get_context_data(self, parent_context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        assert parent_context is not None
        return {"entries": audit.recent(parent_context["request"].user)}


@hooks.register("construct_homepage_panels")
def _recent_sign_ins(request: HttpRequest, panels: list[Component]) -> None:
    panels.append(RecentSignInsPanel())
