"""What core adds to the Wagtail admin (Settings → Erase a person, its audit log entry), does
on the worker's schedule, and serves to readers (the appearance's stylesheet)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import LogActionRegistry, LogFormatter

from samizdat.core import actions, admin_views, appearance, views
from samizdat.core.hooks import FORGET_CACHED, PERIODIC_JOBS, PUBLIC_PATHS, URLS
from samizdat.core.public_forms import forget_expired_counts
from samizdat.core.task_results import prune_finished


@hooks.register("register_admin_urls")
def erase_person_urls() -> list[URLPattern]:
    return [path("erase-person/", admin_views.ErasePersonView.as_view(), name=admin_views.URL_NAME)]


class ErasePersonMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return actions.may_erase_people(request.user)


@hooks.register("register_settings_menu_item")
def erase_person_menu_item() -> MenuItem:
    return ErasePersonMenuItem(
        _("Erase a person"), reverse(admin_views.URL_NAME), icon_name="bin", order=900
    )


@hooks.register("register_log_actions")
def register_erasure_log_action(registry: LogActionRegistry) -> None:
    @registry.register_action(actions.LOG_ERASE_PERSON)
    class PersonErased(LogFormatter):
        label = _("Erase a person")

        def format_message(self, log_entry: Any) -> str:
            what = admin_views.summary(
                {str(kind): int(number) for kind, number in log_entry.data.items()}
            )
            return gettext("A person was erased: %(what)s") % {"what": what or "—"}


@hooks.register(PERIODIC_JOBS)
def forget_rate_counts(now: datetime.datetime) -> None:
    forget_expired_counts(now.timestamp())


@hooks.register(PERIODIC_JOBS)
def prune_finished_tasks(now: datetime.datetime) -> None:
    prune_finished(now=now)


@hooks.register(URLS)
def appearance_urls() -> list[URLPattern]:
    return [
        path(
            appearance.STYLESHEET_PATH.lstrip("/"),
            views.appearance_stylesheet,
            name="appearance_stylesheet",
        )
    ]


@hooks.register(PUBLIC_PATHS)
def appearance_paths() -> list[str]:
    return [appearance.STYLESHEET_PATH]


@hooks.register(FORGET_CACHED)
def forget_appearance() -> None:
    appearance.forget()
