"""The sign-in log's actions (Reports → Site history) and each person's own recent sign-ins
on the dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.log_actions import LogActionRegistry

from samizdat.staff import audit


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
