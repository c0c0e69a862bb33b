"""What reach adds: the failover reports' address, the worker's folding of access logs and
forgetting of old counts, and Reports → Where readers come from."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from samizdat.core.hooks import PERIODIC_JOBS, URLS
from samizdat.reach import actions, admin_views, views


@hooks.register(URLS)
def urls() -> list[URLPattern]:
    return [path("reach/failovers/", views.failovers, name="reach_failovers")]


@hooks.register(PERIODIC_JOBS)
def fold_logs(now: datetime.datetime) -> None:
    """Read on in this node's access logs (SAMIZDAT_REACH_LOGS); several workers at once
    count each line once (the cursor moves in the counts' transaction)."""
    if settings.REACH_COUNTS and settings.REACH_LOGS:
        actions.fold(paths=settings.REACH_LOGS)


@hooks.register(PERIODIC_JOBS)
def forget_old_counts(now: datetime.datetime) -> None:
    actions.forget_old(today=now.date(), keep_days=settings.REACH_KEEP_DAYS)


@hooks.register("register_admin_urls")
def admin_urls() -> list[URLPattern]:
    return [
        path("reports/reach/", admin_views.ReachReportView.as_view(), name=admin_views.URL_NAME)
    ]


class ReachMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return settings.REACH_COUNTS and admin_views.may_see(request.user)


@hooks.register("register_reports_menu_item")
def reach_menu_item() -> MenuItem:
    return ReachMenuItem(
        _("Where readers come from"), reverse(admin_views.URL_NAME), icon_name="site", order=50
    )


@hooks.register("register_permissions")
def reach_permissions() -> Any:
    return Permission.objects.filter(content_type__app_label="reach", codename="view_reach")
