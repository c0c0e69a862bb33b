"""What every reader form shares: the origin check and rate limits for the installation."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from samizdat.core.models import RateCount
from samizdat.core.public_forms import allow, forget_expired_counts

pytestmark = pytest.mark.django_db


def test_a_post_from_a_sandboxed_frame_is_refused_with_a_reason(
    site_tree: Any, settings: Any
) -> None:
    response = Client().post(
        "/newsletter/subscribe/",
        {"email": "reader@example.org", "language": "en", "consent": "yes"},
        headers={"Origin": "null"},
    )
    assert response.status_code == 403
    assert "Origin: null" in response.content.decode()


def test_without_redis_the_count_is_in_the_database_and_exactly_the_limit_passes(
    settings: Any,
) -> None:
    settings.REDIS_URL = ""
    assert [allow("signup-ip", "203.0.113.9", limit=3, window=60) for _ in range(5)] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert allow("signup-ip", "203.0.113.10", limit=3, window=60)  # another network
    # Only keyed digests are kept, never what was counted.
    assert not RateCount.objects.filter(slot__contains="203.0.113").exists()
    assert RateCount.objects.count() == 2


def test_a_window_that_is_over_starts_again_and_its_row_is_cleaned_up(settings: Any) -> None:
    settings.REDIS_URL = ""
    assert allow("manage-ip", "x", limit=1, window=60)
    assert not allow("manage-ip", "x", limit=1, window=60)
    RateCount.objects.update(expires=int(time.time()) - 1)
    assert allow("manage-ip", "x", limit=1, window=60)
    assert forget_expired_counts() == 0
    assert forget_expired_counts(time.time() + 61) == 1
    assert not RateCount.objects.exists()


def test_a_limit_of_zero_allows_nothing(settings: Any) -> None:
    settings.REDIS_URL = ""
    assert not allow("staff-login", "someone", limit=0, window=60)
