"""Signups nobody confirmed are deleted once their link has run out; everyone else stays."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.models import ModelLogEntry

from samizdat.core.hooks import PERIODIC_JOBS, registered
from samizdat.newsletter import actions
from samizdat.newsletter import wagtail_hooks as newsletter_hooks
from samizdat.newsletter.models import Consent, ErasedConsentCount, Subscriber
from tests.databases import as_in_production
from tests.donations.test_concurrency import at_once

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def signed_up(email: str, *, days_ago: float, status: str = "pending", **extra: Any) -> Subscriber:
    """A subscriber who signed up ``days_ago`` days ago (and consented then)."""
    subscriber = Subscriber.objects.create(
        email=email, language="en", status=status, created_at=ago(days_ago), **extra
    )
    Consent.objects.create(
        subscriber=subscriber, policy_version=1, wording="Yes.", form="article", language="en",
        created_at=ago(days_ago),
    )  # fmt: skip
    return subscriber


def test_signups_never_confirmed_go_with_their_consents_once_the_link_ran_out(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    stale = signed_up("typed-by-someone@example.org", days_ago=8)
    signed_up("typed-too@example.org", days_ago=30)
    fresh = signed_up("still-time@example.org", days_ago=6)
    confirmed = signed_up(
        "reader@example.org", days_ago=400, status="active", confirmed_at=ago(399)
    )
    left = signed_up(
        "left@example.org", days_ago=400, status="unsubscribed", confirmed_at=ago(399),
        unsubscribed_at=ago(10),
    )  # fmt: skip
    # Signed up long ago, never confirmed, and asked again yesterday: a new link, a new week.
    again = signed_up("again@example.org", days_ago=60)
    Consent.objects.create(
        subscriber=again, policy_version=1, wording="Yes.", form="home", language="en",
        created_at=ago(1),
    )  # fmt: skip
    # Staff edited the stale one: the history line's label is the address.
    ModelLogEntry.objects.log_action(stale, "wagtail.edit")

    with caplog.at_level(logging.INFO):
        assert actions.forget_unconfirmed(now=NOW) == 2

    remaining = set(Subscriber.objects.values_list("email", flat=True))
    assert remaining == {fresh.email, confirmed.email, left.email, again.email}
    assert set(Consent.objects.values_list("subscriber__email", flat=True)) == remaining
    assert not ErasedConsentCount.objects.exists()  # never confirmed: not a consent to count
    assert not ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Subscriber), object_id=str(stale.pk)
    ).exists()
    assert "deleted 2 subscribers who never confirmed" in caplog.text
    assert "@example.org" not in caplog.text


def test_forgetting_again_deletes_nothing_more(settings: Any) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    signed_up("one@example.org", days_ago=10)
    assert actions.forget_unconfirmed(now=NOW) == 1
    assert actions.forget_unconfirmed(now=NOW) == 0
    assert not Subscriber.objects.exists()


def test_the_setting_decides_how_long_a_signup_waits(settings: Any) -> None:
    signed_up("patient@example.org", days_ago=10)
    settings.NEWSLETTER_CONFIRM_DAYS = 14
    assert actions.forget_unconfirmed(now=NOW) == 0
    settings.NEWSLETTER_CONFIRM_DAYS = 9
    assert actions.forget_unconfirmed(now=NOW) == 1


def test_a_backlog_larger_than_a_batch_goes_in_one_run(settings: Any, monkeypatch: Any) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    monkeypatch.setattr(actions, "FORGET_BATCH", 3)
    for number in range(7):
        signed_up(f"spam{number}@example.org", days_ago=20)
    signed_up("real@example.org", days_ago=1)
    assert actions.forget_unconfirmed(now=NOW) == 7
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["real@example.org"]


def test_every_worker_runs_it_each_minute(settings: Any) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    signed_up("stale@example.org", days_ago=8)
    assert newsletter_hooks.forget_unconfirmed in registered(PERIODIC_JOBS)
    newsletter_hooks.forget_unconfirmed(NOW)
    assert not Subscriber.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_workers_at_once_delete_each_stale_signup_once(
    settings: Any, monkeypatch: Any
) -> None:
    settings.NEWSLETTER_CONFIRM_DAYS = 7
    monkeypatch.setattr(actions, "FORGET_BATCH", 4)
    as_in_production(monkeypatch)
    for number in range(25):
        signed_up(f"stale{number}@example.org", days_ago=10)
    signed_up("fresh@example.org", days_ago=2)
    deleted: list[int] = []

    def worker() -> None:
        deleted.append(actions.forget_unconfirmed(now=NOW))

    assert at_once([worker] * 4) == []
    assert sum(deleted) == 25
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["fresh@example.org"]
    assert Consent.objects.count() == 1
