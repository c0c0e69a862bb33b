"""``POST /reach/failovers/``: how many times readers' service workers turned to a mirror.

The report comes from the newsroom's pages (or a copy of them on a mirror), holds counts
only and is kept only as counts: no cookie, no session, no address (the rate limit counts a
keyed digest of it, never stored). Answers 204, or a 4xx with the reason in plain text."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from samizdat.core.public_forms import allow, client_ip
from samizdat.reach import actions

logger = logging.getLogger(__name__)

HOUR = 3600
MAX_BODY = 16 * 1024


def _refuse(status: int, reason: str) -> HttpResponse:
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _done() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def failovers(request: HttpRequest) -> HttpResponse:
    if not settings.REACH_COUNTS:
        return _done()  # nothing is counted here: the reader's browser need not know
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _refuse(413, f"A report is at most {MAX_BODY} bytes.")
    content_type = request.content_type or ""
    if content_type != "application/json":
        return _refuse(415, "Send the report as application/json.")
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # nested past Python's stack
        return _refuse(400, "The report is not JSON.")
    try:
        counts = actions.read_failovers(data, now=timezone.now())
    except actions.BadReport as error:
        return _refuse(400, str(error))
    # Counted only for reports that would be kept: a refused one stores nothing at all.
    if not allow("reach-failovers", client_ip(request), limit=settings.REACH_REPORTS_PER_HOUR,
                 window=HOUR):  # fmt: skip
        return _refuse(429, "Too many reports from your network; try again in an hour.")
    if not allow("reach-failovers-all", "all", limit=settings.REACH_REPORTS_PER_HOUR_ALL,
                 window=HOUR):  # fmt: skip
        return _refuse(429, "Too many reports this hour; try again later.")
    actions.record_failovers(counts=counts)
    return _done()
