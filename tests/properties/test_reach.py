"""``POST /reach/failovers/`` takes any request: never a 5xx, every refusal says why, and a
refused report stores nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from samizdat.mirrors.models import Mirror
from samizdat.reach.models import FailoverCount
from tests.properties import strategies as s
from tests.properties.harness import budget, client, one_example, send, url

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime.now(datetime.UTC).date().isoformat()
ITEM = {"day": TODAY, "mirror": "https://mirror.example", "count": 3}


@st.composite
def reports(draw: st.DrawFn) -> Any:
    """A valid report with its items' fields changed, or any JSON at all."""
    items = draw(st.lists(s.mutated(ITEM), max_size=4))
    return draw(st.one_of(st.just({"failovers": items}), s.json_values()))


@given(
    body=st.one_of(reports().map(s.json_text), s.odd_bodies),
    content_type=st.one_of(st.just("application/json"), s.content_type),
    origin=s.origin,
)
@example(body=s.json_text({"failovers": [ITEM]}), content_type="application/json", origin=None)
@example(body=b"[" * 8000 + b"]" * 8000, content_type="application/json", origin=None)
@example(
    body=s.json_text({"failovers": [{**ITEM, "count": 2**64}]}),
    content_type="application/json",
    origin="https://mirror.example",
)
@budget(2)
def test_any_failover_report_is_answered_and_a_refused_one_stores_nothing(
    db: Any, body: bytes, content_type: str, origin: str | None
) -> None:
    Mirror.objects.get_or_create(url="https://mirror.example/", defaults={"public": True})
    headers = {"Origin": origin} if origin is not None else {}
    with one_example():
        response = send(
            "reach_failovers POST",
            lambda: client().generic(
                "POST", url("reach_failovers"), body, content_type=content_type, headers=headers
            ),
        )
        assert response.status_code in (204, 400, 413, 415), response.content
        if response.status_code == 204:
            assert FailoverCount.objects.exists() or b'"failovers": []' in body
        assert not response.cookies
