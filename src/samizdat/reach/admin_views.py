"""Reports → Where readers come from: reads per channel per day, the stories read most,
failovers per mirror per day, and a plain-words note when they change sharply."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from samizdat.reach import reports
from samizdat.reach.models import LogCursor

URL_NAME = "reach_report"
PERMISSION = "reach.view_reach"
DEFAULT_DAYS = 30
MAX_DAYS = 400


def may_see(user: Any) -> bool:
    return bool(user.has_perm(PERMISSION))


def story_titles(paths: list[str]) -> dict[str, tuple[str, int]]:
    """(title, page id) of the live page at each path that is one."""
    slugs = {path.rstrip("/").rsplit("/", 1)[-1] for path in paths}
    found: dict[str, tuple[str, int]] = {}
    wanted = set(paths)
    for page in Page.objects.live().filter(slug__in=slugs).specific(defer=True):
        url = page.get_url(None)
        if url in wanted:
            found[url] = (page.title, page.pk)
    return found


class ReachReportView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "reach/admin/report.html"
    page_title = _("Where readers come from")
    header_icon = "site"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may_see(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today = timezone.now().date()
        try:
            last = _day(request.GET.get("to"), today)
            first = _day(request.GET.get("from"), last - datetime.timedelta(days=DEFAULT_DAYS - 1))
        except ValueError:
            return HttpResponseBadRequest(
                gettext("Dates are written like 2026-12-03."), content_type="text/plain"
            )
        if first > last or (last - first).days >= MAX_DAYS:
            return HttpResponseBadRequest(
                gettext("Choose a first day before the last, at most %(days)s days apart.")
                % {"days": MAX_DAYS},
                content_type="text/plain",
            )
        self.first, self.last, self.today = first, last, today
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        reads = reports.reads_per_day(self.first, self.last)
        top = reports.top_paths(self.first, self.last)
        titles = story_titles([str(path) for path, _values, _total in top.rows])
        failovers = reports.failovers_per_day(self.first, self.last)
        context.update(
            first=self.first,
            last=self.last,
            reads=reads,
            read_columns=[reports.channel_label(c) for c in reads.columns],
            top=[(path, titles.get(str(path)), values, total) for path, values, total in top.rows],
            top_columns=[reports.channel_label(c) for c in top.columns],
            failovers=failovers,
            failover_columns=[reports.channel_label(c) for c in failovers.columns],
            signs=[_sign_text(sign) for sign in reports.signs(today=self.today)],
            logs=LogCursor.objects.order_by("key"),
        )
        return context


def _day(value: str | None, default: datetime.date) -> datetime.date:
    return datetime.date.fromisoformat(value) if value else default


def _sign_text(sign: reports.Sign) -> str:
    day = formats.date_format(sign.day, "DATE_FORMAT")
    if sign.kind == "failovers":
        return gettext(
            "On %(day)s readers' browsers turned to a mirror %(count)s times, against about "
            "%(usual)s a day the week before: the site may be blocked somewhere."
        ) % {"day": day, "count": sign.count, "usual": round(sign.usual)}
    return gettext(
        "On %(day)s the site itself was read %(count)s times, against about %(usual)s a day the "
        "week before: the site may be blocked somewhere, or readers cannot reach it."
    ) % {"day": day, "count": sign.count, "usual": round(sign.usual)}
