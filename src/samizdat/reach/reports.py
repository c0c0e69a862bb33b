"""What the report in the admin shows: reads per channel per day, the stories read most and
through which channels, failovers per mirror per day, and the signs of a block."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Sum

from samizdat.reach.models import FEED, MIRROR, NEWSLETTER, ONION, ORIGIN, FailoverCount, ReadCount

CHANNEL_ORDER = [ORIGIN, ONION, NEWSLETTER, FEED]


def days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def ordered_channels(found: Iterable[str]) -> list[str]:
    found = set(found)
    known = [channel for channel in CHANNEL_ORDER if channel in found]
    return known + sorted(found - set(known))


@dataclass
class Table:
    """Rows of counts per column: ``rows`` (label, [count per column], total)."""

    columns: list[str]
    rows: list[tuple[object, list[int], int]] = field(default_factory=list)


def reads_per_day(first: datetime.date, last: datetime.date) -> Table:
    found = (
        ReadCount.objects.filter(day__range=(first, last))
        .values("day", "channel")
        .annotate(reads=Sum("count"))
    )
    counts: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in found:
        counts[row["day"]][row["channel"]] = int(row["reads"])
    columns = ordered_channels(channel for day in counts.values() for channel in day)
    table = Table(columns)
    for day in days(first, last):
        values = [counts[day].get(column, 0) for column in columns]
        table.rows.append((day, values, sum(values)))
    return table


def top_paths(first: datetime.date, last: datetime.date, limit: int = 20) -> Table:
    """The paths read most in the range, with their reads per channel (feeds apart)."""
    pages = ReadCount.objects.filter(day__range=(first, last)).exclude(channel=FEED)
    top = list(
        pages.exclude(path__contains="/feed/")
        .values("path")
        .annotate(reads=Sum("count"))
        .order_by("-reads", "path")[:limit]
    )
    paths = [row["path"] for row in top]
    per_channel: dict[str, dict[str, int]] = defaultdict(dict)
    for row in pages.filter(path__in=paths).values("path", "channel").annotate(reads=Sum("count")):
        per_channel[row["path"]][row["channel"]] = int(row["reads"])
    columns = ordered_channels(c for channels in per_channel.values() for c in channels)
    table = Table(columns)
    for path in paths:
        values = [per_channel[path].get(column, 0) for column in columns]
        table.rows.append((path, values, sum(values)))
    return table


def failovers_per_day(first: datetime.date, last: datetime.date) -> Table:
    found = (
        FailoverCount.objects.filter(day__range=(first, last))
        .values("day", "mirror")
        .annotate(failovers=Sum("count"))
    )
    counts: dict[datetime.date, dict[str, int]] = defaultdict(dict)
    for row in found:
        counts[row["day"]][row["mirror"]] = int(row["failovers"])
    columns = sorted({mirror for day in counts.values() for mirror in day})
    table = Table(columns)
    for day in days(first, last):
        values = [counts[day].get(column, 0) for column in columns]
        table.rows.append((day, values, sum(values)))
    return table


@dataclass(frozen=True)
class Sign:
    """A sharp change that may be the first sign of a block."""

    kind: str  # "failovers" or "origin"
    day: datetime.date
    count: int
    usual: float  # the average of the seven days before


# A day's failovers this many times the usual (and at least MIN_FAILOVERS), or its origin
# reads under this share of the usual (when the usual is at least MIN_ORIGIN_READS).
JUMP = 3.0
MIN_FAILOVERS = 10
FALL = 0.5
MIN_ORIGIN_READS = 50
BASELINE_DAYS = 7


def signs(*, today: datetime.date) -> list[Sign]:
    """Days among the last three whose failovers jumped or whose origin reads fell (today's
    reads, not over yet, apart), each compared with the seven days before it."""
    last = today
    first = last - datetime.timedelta(days=2 + BASELINE_DAYS)
    failovers = dict(
        FailoverCount.objects.filter(day__range=(first, last))
        .values_list("day")
        .annotate(total=Sum("count"))
    )
    origin = dict(
        ReadCount.objects.filter(day__range=(first, last), channel=ORIGIN)
        .values_list("day")
        .annotate(total=Sum("count"))
    )
    found = []
    for back in (2, 1, 0):
        day = last - datetime.timedelta(days=back)
        before = days(
            day - datetime.timedelta(days=BASELINE_DAYS), day - datetime.timedelta(days=1)
        )
        usual_failovers = sum(int(failovers.get(d, 0)) for d in before) / BASELINE_DAYS
        usual_origin = sum(int(origin.get(d, 0)) for d in before) / BASELINE_DAYS
        count = int(failovers.get(day, 0))
        if count >= MIN_FAILOVERS and count > JUMP * usual_failovers:
            found.append(Sign("failovers", day, count, usual_failovers))
        reads = int(origin.get(day, 0))
        if day < today and usual_origin >= MIN_ORIGIN_READS and reads < FALL * usual_origin:
            found.append(Sign("origin", day, reads, usual_origin))
    return found


def channel_label(channel: str) -> str:
    from django.utils.translation import gettext

    labels = {
        ORIGIN: gettext("site"),
        ONION: gettext("onion"),
        FEED: gettext("feeds"),
        NEWSLETTER: gettext("newsletter"),
    }
    if channel.startswith(MIRROR):
        return gettext("mirror %(host)s") % {"host": channel.removeprefix(MIRROR)}
    return labels.get(channel, gettext("other host") if channel == "other" else channel)
