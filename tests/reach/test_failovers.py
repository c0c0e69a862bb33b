"""``POST /reach/failovers/``: what readers' service workers report, kept as counts only."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from samizdat.mirrors.models import Mirror
from samizdat.reach.models import FailoverCount

pytestmark = pytest.mark.django_db

URL = "/reach/failovers/"
TODAY = timezone.now().astimezone(datetime.UTC).date()


def day(back: int = 0) -> str:
    return (TODAY - datetime.timedelta(days=back)).isoformat()


def post(body: Any, client: Client | None = None, **headers: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return (client or Client()).post(URL, data, content_type="application/json", **headers)


def stored() -> dict[tuple[str, str], int]:
    return {(str(row.day), row.mirror): row.count for row in FailoverCount.objects.all()}


@pytest.fixture
def mirrors() -> None:
    Mirror.objects.create(url="https://mirror.example/", public=True)
    Mirror.objects.create(url="https://quiet.example/", public=False)


def test_a_report_is_added_to_the_days_counts(mirrors: None) -> None:
    report = {
        "failovers": [
            {"day": day(1), "mirror": "https://mirror.example", "count": 3},
            {"day": day(1), "mirror": "https://MIRROR.example:443/", "count": 2},
            {"day": day(0), "mirror": "https://mirror.example", "count": 1},
            {"day": day(0), "mirror": "https://elsewhere.example", "count": 4},
            {"day": day(0), "mirror": "https://quiet.example", "count": 1},  # not public
        ]
    }
    response = post(report, HTTP_ORIGIN="https://mirror.example")
    assert response.status_code == 204
    post({"failovers": [{"day": day(1), "mirror": "https://mirror.example", "count": 1}]})
    assert stored() == {
        (day(1), "https://mirror.example"): 6,
        (day(0), "https://mirror.example"): 1,
        (day(0), "other"): 5,
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "not JSON"),
        ([], "one key"),
        ({"failovers": [], "reader": "x"}, "one key"),
        ({"failovers": {}}, "must be a list"),
        (
            {"failovers": [{"day": day(), "mirror": "https://mirror.example", "count": 1}] * 51},
            "At most 50",
        ),
        ({"failovers": ["x"]}, "Item 1 must have"),
        ({"failovers": [{"day": day(), "mirror": "m", "count": 1, "ip": "1.2.3.4"}]}, "exactly"),
        ({"failovers": [{"day": "3 Dec", "mirror": "m", "count": 1}]}, "a date like"),
        ({"failovers": [{"day": day(31), "mirror": "m", "count": 1}]}, "last 30 days"),
        ({"failovers": [{"day": day(-2), "mirror": "m", "count": 1}]}, "not later than today"),
        ({"failovers": [{"day": day(), "mirror": 5, "count": 1}]}, "an address"),
        ({"failovers": [{"day": day(), "mirror": "m", "count": 0}]}, "from 1 to 1000"),
        ({"failovers": [{"day": day(), "mirror": "m", "count": 1001}]}, "from 1 to 1000"),
        ({"failovers": [{"day": day(), "mirror": "m", "count": True}]}, "whole number"),
        ({"failovers": [{"day": day(), "mirror": "m", "count": 1.5}]}, "whole number"),
        # one bad item refuses the whole report: nothing of it is kept
        (
            {
                "failovers": [
                    {"day": day(), "mirror": "m", "count": 1},
                    {"day": day(), "mirror": "m", "count": -1},
                ]
            },
            "Item 2",
        ),
    ],
)
def test_a_bad_report_is_refused_with_its_reason(mirrors: None, body: Any, reason: str) -> None:
    response = post(body)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not FailoverCount.objects.exists()


def test_what_is_no_json_report_is_refused() -> None:
    assert Client().post(URL, "a=1", content_type="text/plain").status_code == 415
    assert Client().get(URL).status_code == 405
    big = {"failovers": [], "padding": "x" * 20_000}
    response = post(big)
    assert response.status_code == 413 and "at most" in response.content.decode()
    assert not FailoverCount.objects.exists()


def test_reports_are_rate_limited(settings: Any) -> None:
    settings.REACH_REPORTS_PER_HOUR = 2
    report = {"failovers": [{"day": day(), "mirror": "https://a.example", "count": 1}]}
    assert [post(report).status_code for _ in range(3)] == [204, 204, 429]
    assert stored() == {(day(), "other"): 2}


def test_nothing_is_kept_when_counting_is_off(settings: Any) -> None:
    settings.REACH_COUNTS = False
    report = {"failovers": [{"day": day(), "mirror": "https://a.example", "count": 1}]}
    assert post(report).status_code == 204
    assert not FailoverCount.objects.exists()


def test_no_cookie_is_set_and_no_session_kept() -> None:
    report = {"failovers": [{"day": day(), "mirror": "https://a.example", "count": 1}]}
    response = post(report)
    assert response.status_code == 204 and not response.cookies
