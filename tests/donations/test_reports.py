"""The dashboard's figures, computed in the database from gifts stored directly, and the SVG
bar charts that draw them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samizdat.donations import charts, reports
from samizdat.donations.models import Donation, RecurringGift

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NEW_YORK = ZoneInfo("America/New_York")
# A Sunday afternoon; the week started on Monday 9 March.
NOW = datetime.datetime(2026, 3, 15, 15, 0, tzinfo=UTC)
_counter = iter(range(1, 10**6))


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def gift(amount: int, currency: str, paid_at: datetime.datetime | None, **extra: Any) -> Donation:
    n = next(_counter)
    fields: dict[str, Any] = {
        "provider": "stripe",
        "provider_payment_id": f"pi_{n}",
        "reference": f"SZ-R{n:07d}",
        "frequency": "once",
        "amount": amount,
        "currency": currency,
        "status": "paid" if paid_at else "pending",
        "paid_at": paid_at,
        "created_at": paid_at or NOW,
    }
    fields.update(extra)
    return Donation.objects.create(**fields)


def recurring(
    amount: int, currency: str, frequency: str, status: str, **extra: Any
) -> RecurringGift:
    n = next(_counter)
    return RecurringGift.objects.create(
        provider="stripe", provider_gift_id=f"sub_{n}", frequency=frequency, amount=amount,
        currency=currency, status=status, **extra,
    )  # fmt: skip


# Periods -------------------------------------------------------------------------------


def test_periods_are_calendar_days_weeks_from_monday_and_months_across_the_year() -> None:
    days = reports.period_starts(unit="day", count=30, now=NOW, tz=UTC)
    assert (days[0], days[-1], len(days)) == (
        datetime.date(2026, 2, 14), datetime.date(2026, 3, 15), 30,
    )  # fmt: skip
    weeks = reports.period_starts(unit="week", count=12, now=NOW, tz=UTC)
    assert weeks[-1] == datetime.date(2026, 3, 9) and all(w.weekday() == 0 for w in weeks)
    assert weeks[0] == datetime.date(2025, 12, 22)
    months = reports.period_starts(unit="month", count=12, now=NOW, tz=UTC)
    assert months[0] == datetime.date(2025, 4, 1) and months[-1] == datetime.date(2026, 3, 1)
    assert months[8] == datetime.date(2025, 12, 1) and months[9] == datetime.date(2026, 1, 1)
    # Just after midnight UTC it is still the day before in New York.
    early = datetime.datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    assert reports.period_starts(unit="day", count=1, now=early, tz=NEW_YORK) == [
        datetime.date(2026, 2, 28)
    ]


# Money received ------------------------------------------------------------------------


def test_received_totals_are_per_currency_and_never_added_together() -> None:
    gift(1000, "USD", at(2026, 3, 15, 9))
    gift(500, "USD", at(2026, 3, 15, 10))
    gift(700, "EUR", at(2026, 3, 15, 11))
    gift(2000, "USD", at(2026, 3, 14, 12), amount_refunded=500)  # partly refunded: still paid
    gift(3000, "USD", at(2026, 3, 13, 12), status="refunded", amount_refunded=3000)
    gift(9999, "USD", None)  # pending: nothing received
    gift(8888, "USD", None, status="failed", created_at=at(2026, 3, 12))

    result = reports.received(unit="day", count=30, now=NOW, tz=UTC)
    assert result.amounts.keys() == ["EUR", "USD"]
    assert result.amounts.rows["USD"][-1] == 1500 and result.amounts.rows["EUR"][-1] == 700
    assert result.amounts.rows["USD"][-2] == 1500  # 20.00 less 5.00 refunded
    assert result.amounts.rows["USD"][-3] == 0  # refunded in full
    assert result.amounts.total("USD") == 3000 and result.amounts.total("EUR") == 700
    assert result.gifts.total("USD") == 3 and result.gifts.total("EUR") == 1


def test_received_counts_only_the_window_and_groups_by_week_and_month() -> None:
    gift(100, "GBP", at(2026, 3, 9, 0, 30))  # Monday of this week
    gift(200, "GBP", at(2026, 3, 8, 23, 30))  # Sunday: the week before
    gift(400, "GBP", at(2025, 4, 1, 0, 0))  # first moment of the window of 12 months
    gift(800, "GBP", at(2025, 3, 31, 23, 59))  # just before it
    gift(1600, "GBP", at(2026, 3, 20))  # after "now", in this month: counted with it

    weeks = reports.received(unit="week", count=12, now=NOW, tz=UTC).amounts.rows["GBP"]
    assert weeks[-1] == 100 and weeks[-2] == 200
    months = reports.received(unit="month", count=12, now=NOW, tz=UTC).amounts.rows["GBP"]
    assert months[0] == 400 and months[-1] == 100 + 200 + 1600
    assert sum(months) == 400 + 100 + 200 + 1600


def test_received_groups_days_and_months_in_the_newsroom_time_zone() -> None:
    # 02:00 UTC on 1 March is the evening of 28 February in New York.
    gift(1000, "USD", at(2026, 3, 1, 2, 0))

    in_utc = reports.received(unit="month", count=12, now=NOW, tz=UTC).amounts.rows["USD"]
    in_new_york = reports.received(unit="month", count=12, now=NOW, tz=NEW_YORK)
    assert in_utc[-1] == 1000 and in_utc[-2] == 0
    assert in_new_york.amounts.rows["USD"][-1] == 0 and in_new_york.amounts.rows["USD"][-2] == 1000
    days = reports.received(unit="day", count=30, now=NOW, tz=NEW_YORK)
    assert days.amounts.rows["USD"][days.amounts.starts.index(datetime.date(2026, 2, 28))] == 1000


def test_refunds_are_per_currency_by_the_month_the_gift_was_paid() -> None:
    gift(2000, "USD", at(2026, 3, 2), amount_refunded=500)
    gift(3000, "USD", at(2026, 1, 5), status="refunded", amount_refunded=3000)
    gift(4000, "EUR", at(2026, 3, 3), status="refunded", amount_refunded=4000)
    gift(5000, "EUR", at(2026, 3, 3))  # not refunded

    result = reports.refunds(unit="month", count=12, now=NOW, tz=UTC)
    assert result.amounts.rows["USD"][-1] == 500 and result.amounts.rows["USD"][-3] == 3000
    assert result.amounts.total("EUR") == 4000
    assert result.gifts.total("USD") == 2 and result.gifts.total("EUR") == 1


def test_failed_payments_are_counted_per_period_they_were_tried_in() -> None:
    gift(100, "USD", None, status="failed", created_at=at(2026, 3, 14))
    gift(100, "EUR", None, status="failed", created_at=at(2026, 3, 14))
    gift(100, "USD", None, status="failed", created_at=at(2026, 1, 10))
    gift(100, "USD", at(2026, 3, 14))  # paid: not a failure

    by_month = reports.failed(unit="month", count=12, now=NOW, tz=UTC)
    assert by_month.rows["all"][-1] == 2 and by_month.rows["all"][-3] == 1
    assert reports.failed(unit="day", count=30, now=NOW, tz=UTC).total("all") == 2


# Recurring gifts -----------------------------------------------------------------------


def test_monthly_recurring_revenue_adds_a_twelfth_of_annual_gifts_per_currency() -> None:
    recurring(500, "USD", "monthly", "active")
    recurring(12000, "USD", "annual", "active")
    recurring(300, "USD", "monthly", "past_due")  # overdue still counts
    recurring(10000, "EUR", "annual", "past_due")
    recurring(900, "EUR", "monthly", "cancelled")
    recurring(700, "EUR", "monthly", "incomplete")

    summary = reports.recurring_summary()
    assert summary.monthly_revenue == {"USD": 500 + 1000 + 300, "EUR": 833}  # 100.00 / 12
    assert (summary.active, summary.past_due) == (2, 2)


def test_new_and_cancelled_recurring_gifts_per_month() -> None:
    recurring(500, "USD", "monthly", "active", started_at=at(2026, 3, 2))
    recurring(500, "USD", "monthly", "active", started_at=at(2026, 3, 3))
    recurring(500, "USD", "monthly", "incomplete", started_at=at(2026, 3, 4))  # never paid
    recurring(500, "EUR", "annual", "cancelled", started_at=at(2025, 11, 2),
              cancelled_at=at(2026, 3, 10))  # fmt: skip
    recurring(500, "EUR", "monthly", "cancelled", started_at=at(2024, 1, 1),
              cancelled_at=at(2026, 2, 10))  # fmt: skip

    changes = reports.recurring_changes(count=12, now=NOW, tz=UTC)
    assert changes.rows["new"][-1] == 2 and changes.rows["cancelled"][-1] == 1
    assert changes.rows["new"][-5] == 1  # November
    assert changes.rows["cancelled"][-2] == 1
    assert (changes.total("new"), changes.total("cancelled")) == (3, 2)


def test_gifts_waiting_for_staff_count_only_pending_gifts_staff_confirm() -> None:
    gift(1000, "EUR", None, provider="bank")
    gift(1000, "EUR", at(2026, 3, 1), provider="bank")
    gift(1000, "EUR", None)  # a card payment on its way
    assert reports.waiting_for_staff(providers=["bank"]) == 1
    assert reports.waiting_for_staff(providers=[]) == 0


QueryCounter = Callable[[], int]


def queries_for(function: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def test_each_figure_is_one_query_however_many_gifts() -> None:
    def all_figures() -> None:
        reports.received(unit="day", count=30, now=NOW, tz=UTC)
        reports.refunds(unit="month", count=12, now=NOW, tz=UTC)
        reports.failed(unit="month", count=12, now=NOW, tz=UTC)
        reports.recurring_changes(count=12, now=NOW, tz=UTC)
        reports.recurring_summary()

    gift(100, "USD", at(2026, 3, 14))
    few = queries_for(all_figures)
    Donation.objects.bulk_create(
        Donation(
            provider="stripe", provider_payment_id=f"bulk_{n}", reference=f"SZ-B{n}",
            frequency="once", amount=100 + n, currency=("USD", "EUR", "GBP")[n % 3],
            status="paid", created_at=at(2026, 3, 1 + n % 14), paid_at=at(2026, 3, 1 + n % 14),
        )
        for n in range(300)
    )  # fmt: skip
    assert queries_for(all_figures) == few == 6


# Charts --------------------------------------------------------------------------------


def test_nice_steps_are_round() -> None:
    assert [charts.nice_step(v) for v in (0, 3, 10, 37, 120, 4999, 12345)] == [
        1, 1, 5, 10, 50, 2000, 5000,
    ]  # fmt: skip


def test_bar_chart_is_an_accessible_svg_with_a_tooltip_per_bar() -> None:
    chart = charts.bar_chart(
        title="USD received <per day>",
        labels=["1 March", "2 March", "3 March"],
        series=[charts.Series("USD", [1000, 0, 2500])],
        format_value=lambda v: f"${v / 100:.2f}",
    )
    svg = str(chart.svg)
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-label="USD received &lt;per day&gt;"' in svg
    bars = re.findall(r'<rect class="bar" [^>]*height="([\d.]+)"[^>]*><title>([^<]*)</title>', svg)
    assert [title for _, title in bars] == ["1 March: $10.00", "2 March: $0.00", "3 March: $25.00"]
    heights = [float(height) for height, _ in bars]
    assert heights[1] == 0 and heights[0] < heights[2]
    assert heights[0] / heights[2] == pytest.approx(0.4, rel=0.01)
    assert ">$30.00</text>" in svg  # the value axis reaches past the highest bar
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert chart.columns == ["USD"]
    assert chart.rows == [("1 March", ["$10.00"]), ("2 March", ["$0.00"]), ("3 March", ["$25.00"])]


def test_bar_chart_of_two_series_has_a_legend_and_thins_out_axis_labels() -> None:
    labels = [f"day {n}" for n in range(30)]
    chart = charts.bar_chart(
        title="New and cancelled",
        labels=labels,
        axis_labels=[str(n) for n in range(30)],
        series=[charts.Series("new", [1] * 30), charts.Series("cancelled", [2] * 30)],
        format_value=str,
    )
    svg = str(chart.svg)
    assert svg.count('<rect class="bar"') == 60
    assert "<title>day 4, cancelled: 2</title>" in svg
    assert ">new</text>" in svg and ">cancelled</text>" in svg
    axis = re.findall(r'text-anchor="middle" font-size="11" fill="currentColor">(\d+)</text>', svg)
    assert axis[-1] == "29" and 5 <= len(axis) <= 12
