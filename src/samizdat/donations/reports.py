"""Figures for the donations dashboard, aggregated in the database.

Every function takes what it depends on (the moment called "now", the newsroom's time zone)
as arguments. Amounts stay in minor units and per currency: different currencies are never
added together. Periods are calendar days, ISO weeks (Monday first) and months in the
newsroom's time zone, the current one included.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Trunc

from samizdat.donations.models import Donation, RecurringGift
from samizdat.donations.providers.base import Frequency

Unit = Literal["day", "week", "month"]
UNITS: tuple[Unit, ...] = ("day", "week", "month")
# What "received" means: paid, including gifts refunded later (they count as amount − refunded).
RECEIVED = (Donation.Status.PAID, Donation.Status.REFUNDED)
RECURRING = (RecurringGift.Status.ACTIVE, RecurringGift.Status.PAST_DUE)


@dataclass(frozen=True)
class Timeline:
    """Values per period, oldest first, for each key (a currency, or a series' name)."""

    unit: Unit
    starts: list[datetime.date]
    rows: dict[str, list[int]]

    def total(self, key: str) -> int:
        return sum(self.rows.get(key, []))

    def keys(self) -> list[str]:
        return sorted(self.rows)


@dataclass(frozen=True)
class Received:
    """Money received per currency and period, and how many gifts brought it."""

    amounts: Timeline
    gifts: Timeline


@dataclass(frozen=True)
class RecurringSummary:
    active: int
    past_due: int
    # Currency → minor units a month: monthly gifts plus a twelfth of annual ones.
    monthly_revenue: dict[str, int]


def period_starts(
    *, unit: Unit, count: int, now: datetime.datetime, tz: datetime.tzinfo
) -> list[datetime.date]:
    """The first days of the last ``count`` periods, the current one last."""
    today = now.astimezone(tz).date()
    if unit == "day":
        return [today - datetime.timedelta(days=n) for n in range(count - 1, -1, -1)]
    if unit == "week":
        monday = today - datetime.timedelta(days=today.weekday())
        return [monday - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    if unit == "month":
        index = today.year * 12 + today.month - 1
        return [
            datetime.date((index - n) // 12, (index - n) % 12 + 1, 1)
            for n in range(count - 1, -1, -1)
        ]
    raise ValueError(f"unknown period {unit!r}")


def next_start(day: datetime.date, unit: Unit) -> datetime.date:
    if unit == "day":
        return day + datetime.timedelta(days=1)
    if unit == "week":
        return day + datetime.timedelta(weeks=1)
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def midnight(day: datetime.date, tz: datetime.tzinfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def _timelines(
    queryset: QuerySet[Any],
    *,
    field: str,
    key: str | None,
    aggregates: dict[str, Any],
    unit: Unit,
    count: int,
    now: datetime.datetime,
    tz: datetime.tzinfo,
) -> dict[str, Timeline]:
    """One GROUP BY query: each aggregate per period of ``field`` (and per ``key`` column)."""
    starts = period_starts(unit=unit, count=count, now=now, tz=tz)
    position = {start: n for n, start in enumerate(starts)}
    window = {
        f"{field}__gte": midnight(starts[0], tz),
        f"{field}__lt": midnight(next_start(starts[-1], unit), tz),
    }
    grouping = ["period", key] if key else ["period"]
    rows = (
        queryset.filter(**window)
        .annotate(period=Trunc(field, unit, tzinfo=tz))
        .values(*grouping)
        .annotate(**aggregates)
        .order_by()
    )
    found: dict[str, dict[str, list[int]]] = {name: {} for name in aggregates}
    for row in rows:
        n = position.get(row["period"].astimezone(tz).date())
        if n is None:  # only if the database disagrees about the window's edges
            continue
        label = str(row[key]) if key else "all"
        for name in aggregates:
            values = found[name].setdefault(label, [0] * len(starts))
            values[n] += int(row[name] or 0)
    return {name: Timeline(unit, starts, found[name]) for name in aggregates}


def received(*, unit: Unit, count: int, now: datetime.datetime, tz: datetime.tzinfo) -> Received:
    """Paid gifts (amount − refunded) per currency and period of payment."""
    timelines = _timelines(
        Donation.objects.filter(status__in=RECEIVED),
        field="paid_at",
        key="currency",
        aggregates={
            "amount": Sum(F("amount") - F("amount_refunded")),
            # A gift refunded in full brought nothing: it is not counted.
            "gifts": Count("id", filter=Q(status=Donation.Status.PAID)),
        },
        unit=unit,
        count=count,
        now=now,
        tz=tz,
    )
    return Received(amounts=timelines["amount"], gifts=timelines["gifts"])


def refunds(*, unit: Unit, count: int, now: datetime.datetime, tz: datetime.tzinfo) -> Received:
    """Money given back per currency, by the period the refunded gift was paid in."""
    timelines = _timelines(
        Donation.objects.filter(status__in=RECEIVED, amount_refunded__gt=0),
        field="paid_at",
        key="currency",
        aggregates={"amount": Sum("amount_refunded"), "gifts": Count("id")},
        unit=unit,
        count=count,
        now=now,
        tz=tz,
    )
    return Received(amounts=timelines["amount"], gifts=timelines["gifts"])


def failed(*, unit: Unit, count: int, now: datetime.datetime, tz: datetime.tzinfo) -> Timeline:
    """Failed payments per period they were attempted in (key ``"all"``)."""
    return _timelines(
        Donation.objects.filter(status=Donation.Status.FAILED),
        field="created_at",
        key=None,
        aggregates={"failed": Count("id")},
        unit=unit,
        count=count,
        now=now,
        tz=tz,
    )["failed"]


def recurring_changes(*, count: int, now: datetime.datetime, tz: datetime.tzinfo) -> Timeline:
    """Recurring gifts started (keys ``"new"``) and cancelled (``"cancelled"``) per month.

    A gift that never got past its first payment (still incomplete) is not new.
    """
    started = _timelines(
        RecurringGift.objects.exclude(status=RecurringGift.Status.INCOMPLETE),
        field="started_at",
        key=None,
        aggregates={"n": Count("id")},
        unit="month",
        count=count,
        now=now,
        tz=tz,
    )["n"]
    cancelled = _timelines(
        RecurringGift.objects.filter(status=RecurringGift.Status.CANCELLED),
        field="cancelled_at",
        key=None,
        aggregates={"n": Count("id")},
        unit="month",
        count=count,
        now=now,
        tz=tz,
    )["n"]
    empty = [0] * len(started.starts)
    return Timeline(
        "month",
        started.starts,
        {
            "new": started.rows.get("all", empty),
            "cancelled": cancelled.rows.get("all", list(empty)),
        },
    )


def recurring_summary() -> RecurringSummary:
    """Active and overdue recurring gifts, and what they bring a month per currency."""
    rows = (
        RecurringGift.objects.filter(status__in=RECURRING)
        .values("currency")
        .annotate(
            active=Count("id", filter=Q(status=RecurringGift.Status.ACTIVE)),
            past_due=Count("id", filter=Q(status=RecurringGift.Status.PAST_DUE)),
            monthly=Sum("amount", filter=Q(frequency=Frequency.MONTHLY)),
            annual=Sum("amount", filter=Q(frequency=Frequency.ANNUAL)),
        )
        .order_by("currency")
    )
    active = past_due = 0
    revenue: dict[str, int] = {}
    for row in rows:
        active += int(row["active"])
        past_due += int(row["past_due"])
        per_month = Decimal(int(row["monthly"] or 0)) + Decimal(int(row["annual"] or 0)) / 12
        revenue[str(row["currency"])] = int(per_month.quantize(Decimal(1), ROUND_HALF_UP))
    return RecurringSummary(active=active, past_due=past_due, monthly_revenue=revenue)


def waiting_for_staff(*, providers: Iterable[str]) -> int:
    """Gifts readers announced that staff have not yet seen arrive.

    Through ``providers`` whose payments staff confirm (bank transfers).
    """
    return Donation.objects.filter(
        provider__in=list(providers), status=Donation.Status.PENDING
    ).count()


def currencies_in_order(preferred: Iterable[str], *timelines: Timeline) -> list[str]:
    """The currencies that appear in any timeline: the appeal's order first, then A–Z."""
    seen = {key for timeline in timelines for key in timeline.rows}
    first = [code for code in preferred if code in seen]
    return first + sorted(seen - set(first))
