"""The newsletter's state changes, called as the views, the admin and the worker call them."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from samizdat.newsletter import actions
from samizdat.newsletter.actions import InvalidAddress, normalise_email
from samizdat.newsletter.models import (
    Consent,
    Delivery,
    Edition,
    EditionItem,
    ErasedConsentCount,
    Subscriber,
    Suppression,
    email_hash,
)
from tests import factories
from tests.publishing.helpers import set_published_at

RIGA = ZoneInfo("Europe/Riga")


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run what an action leaves for after its commit (mail, tasks), as in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def sending(settings: Any) -> None:
    """Send in the test's own thread and transaction, through the locmem backend."""
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def signup(email: str, language: str = "en", form: str = "article") -> Subscriber | None:
    return actions.subscribe(
        email=email, language=language, form=form, wording="I agree.", policy_version=1
    )


def active(email: str, language: str = "en") -> Subscriber:
    return Subscriber.objects.create(
        email=email, language=language, status=Subscriber.Status.ACTIVE
    )


def edition_with_story(newsroom: dict[str, Any], subject: str = "This week") -> Edition:
    edition = Edition.objects.create(language="en", subject=subject)
    EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
    return edition


# Addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("reader@example.org", "reader@example.org"),
        ("  Reader@Example.ORG\t", "reader@example.org"),
        ("first.last+news@sub.example.co.uk", "first.last+news@sub.example.co.uk"),
        ("READER@EXAMPLE.ORG", "reader@example.org"),
    ],
)
def test_normalise_email_accepts_and_normalises(raw: str, stored: str) -> None:
    assert normalise_email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "reader",
        "reader@",
        "@example.org",
        "a@b",
        "two@@example.org",
        "reader@example..org",
        "reader @example.org",
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nBcc: victim@example.org",
        "reader@example.org\x00",
        "x" * 243 + "@example.org",
        "Reader <reader@example.org>",
    ],
)
def test_normalise_email_refuses_what_cannot_be_written_to(raw: str) -> None:
    with pytest.raises(InvalidAddress) as error:
        normalise_email(raw)
    assert str(error.value)


# Signing up, leaving, being forgotten -----------------------------------------------------


@pytest.mark.django_db
def test_subscribe_records_consent_and_queues_one_confirmation(on_commit: Any) -> None:
    with on_commit():
        subscriber = signup(" New@Example.org ", language="ru", form="home")
    assert subscriber is not None
    assert subscriber.email == "new@example.org"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.email_hash == email_hash("new@example.org")
    consent = Consent.objects.get(subscriber=subscriber)
    assert (consent.form, consent.language, consent.policy_version) == ("home", "ru", 1)
    assert [message.to for message in mail.outbox] == [["new@example.org"]]


@pytest.mark.django_db
def test_subscribe_ignores_a_suppressed_address(on_commit: Any) -> None:
    actions.suppress(email="gone@example.org", reason="bounced", detail="550 5.1.1")
    with on_commit():
        assert signup("Gone@Example.org") is None
    assert not Subscriber.objects.exists()
    assert not Consent.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_subscribe_again_after_leaving_asks_for_confirmation_again(on_commit: Any) -> None:
    subscriber = active("back@example.org")
    actions.unsubscribe(subscriber_id=subscriber.pk)
    with on_commit():
        again = signup("back@example.org", language="ru")
    assert again is not None and again.pk == subscriber.pk
    assert again.status == Subscriber.Status.PENDING
    assert again.language == "ru"
    assert again.unsubscribed_at is None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_confirm_needs_the_matching_address_digest() -> None:
    subscriber = signup("reader@example.org")
    assert subscriber is not None
    assert actions.confirm_subscription(subscriber_id=subscriber.pk, email_digest="0" * 16) is None
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    old_link_digest = hashlib.sha256(b"reader@example.org").hexdigest()[:16]
    confirmed = actions.confirm_subscription(
        subscriber_id=subscriber.pk, email_digest=old_link_digest
    )
    assert confirmed is not None and confirmed.status == Subscriber.Status.ACTIVE


@pytest.mark.django_db
def test_unsubscribe_is_idempotent_and_cancels_pending_letters(newsroom: dict[str, Any]) -> None:
    subscriber = active("leaving@example.org")
    edition = edition_with_story(newsroom)
    Delivery.objects.create(edition=edition, subscriber=subscriber, email=subscriber.email)

    first = actions.unsubscribe(subscriber_id=subscriber.pk)
    assert first is not None and first.status == Subscriber.Status.UNSUBSCRIBED
    when = first.unsubscribed_at
    assert when is not None
    second = actions.unsubscribe(subscriber_id=subscriber.pk)
    assert second is not None and second.unsubscribed_at == when
    assert Delivery.objects.get().status == Delivery.Status.FAILED
    assert actions.unsubscribe(subscriber_id=subscriber.pk + 1000) is None


@pytest.mark.django_db
def test_erase_subscriber_keeps_only_counts_of_consents(newsroom: dict[str, Any]) -> None:
    first = signup("first@example.org", form="article")
    second = signup("second@example.org", form="article")
    assert first is not None and second is not None
    Consent.objects.create(
        subscriber=first, policy_version=2, wording="I agree.", form="home", language="en"
    )
    Delivery.objects.create(
        edition=edition_with_story(newsroom), subscriber=first, email=first.email
    )

    assert actions.erase_subscriber(subscriber_id=first.pk) is True
    assert actions.erase_subscriber(subscriber_id=second.pk) is True
    assert actions.erase_subscriber(subscriber_id=second.pk) is False

    assert not Subscriber.objects.exists()
    assert not Consent.objects.exists()
    assert not Delivery.objects.exists()
    month = timezone.now().date().replace(day=1)
    counts = {
        (row.policy_version, row.form, row.language, row.month): row.count
        for row in ErasedConsentCount.objects.all()
    }
    assert counts == {(1, "article", "en", month): 2, (2, "home", "en", month): 1}


@pytest.mark.django_db
def test_erasing_a_bounced_subscriber_keeps_the_suppression(on_commit: Any) -> None:
    subscriber = active("gone@example.org")
    actions.record_bounce(email="gone@example.org", kind="bounced", detail="550")
    actions.erase_subscriber(subscriber_id=subscriber.pk)
    assert Suppression.objects.filter(email_hash=email_hash("gone@example.org")).exists()
    with on_commit():
        assert signup("gone@example.org") is None
    assert mail.outbox == []


# Bounces ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_bounce_suppresses_and_later_editions_skip_the_address(
    newsroom: dict[str, Any], sending: None, on_commit: Any
) -> None:
    gone = active("gone@example.org")
    stays = active("stays@example.org")
    first = edition_with_story(newsroom, "First")
    with on_commit():
        assert actions.send_edition(edition_id=first.pk) == 2
    assert len(mail.outbox) == 2
    letter = next(m for m in mail.outbox if m.to == ["gone@example.org"])
    message_id = letter.extra_headers["Message-ID"]

    bounced = actions.record_bounce(
        email="GONE@example.org", kind="bounced", detail="550 5.1.1 no such user",
        message_id=message_id,
    )  # fmt: skip
    assert bounced is not None and bounced.pk == gone.pk
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash("gone@example.org")
    assert suppression.reason == "bounced"
    assert "gone@example.org" not in str(suppression.__dict__)
    delivery = Delivery.objects.get(subscriber=gone)
    assert delivery.status == Delivery.Status.BOUNCED
    assert "no such user" in delivery.error

    # Even if someone re-activates the row by hand, the suppression list keeps them out.
    Subscriber.objects.filter(pk=gone.pk).update(status=Subscriber.Status.ACTIVE)
    mail.outbox.clear()
    second = edition_with_story(newsroom, "Second")
    with on_commit():
        assert actions.send_edition(edition_id=second.pk) == 1
    assert [m.to for m in mail.outbox] == [[stays.email]]
    assert list(Delivery.objects.filter(edition=second).values_list("email", flat=True)) == [
        stays.email
    ]


@pytest.mark.django_db
def test_a_complaint_marks_the_subscriber_complained() -> None:
    subscriber = active("angry@example.org")
    actions.record_bounce(email="angry@example.org", kind="complained", detail="abuse report")
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED
    assert Suppression.objects.get().reason == "complained"


@pytest.mark.django_db
def test_a_bounce_for_an_unknown_or_unreadable_address_is_harmless() -> None:
    assert actions.record_bounce(email="stranger@example.org", kind="bounced") is None
    assert Suppression.objects.filter(email_hash=email_hash("stranger@example.org")).exists()
    assert actions.record_bounce(email="not an address", kind="bounced") is None
    assert Suppression.objects.count() == 1


# Importing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_reads_addresses_as_the_signup_form_does(on_commit: Any) -> None:
    csv_text = (
        "email\nvera@пример.рф\nпользователь@пример.рф\nivan@exаmple.org\na\ufffd@example.org\n"
    )
    with on_commit():
        result = actions.import_subscribers(
            csv_text=csv_text, source="old list", previously_consented=False,
            default_language="en", policy_version=4,
        )  # fmt: skip
    assert [s.email for s in Subscriber.objects.all()] == ["vera@xn--e1afmkfd.xn--p1ai"]
    assert [error.split(":")[0] for error in result.errors] == ["Line 3", "Line 4", "Line 5"]
    assert "before the “@”" in result.errors[0]
    assert "different alphabets" in result.errors[1]


@pytest.mark.django_db
def test_import_subscribers_asks_new_addresses_to_confirm(on_commit: Any) -> None:
    active("already@example.org")
    actions.suppress(email="bounced@example.org", reason="bounced")
    csv_text = (
        "Email,Language\n"
        "one@example.org,en\n"
        "TWO@example.org,ru\n"
        "three@example.org,\n"
        "not an address,en\n"
        "four@example.org,de\n"
        "already@example.org,en\n"
        "bounced@example.org,en\n"
    )
    with on_commit():
        result = actions.import_subscribers(
            csv_text=csv_text, source="old list", previously_consented=False,
            default_language="en", policy_version=4,
        )  # fmt: skip
    assert (result.created, result.updated, result.skipped) == (3, 0, 2)
    assert len(result.errors) == 2
    assert result.errors[0].startswith("Line 5:")
    assert result.errors[1].startswith("Line 6:") and "de" in result.errors[1]

    imported = {s.email: s for s in Subscriber.objects.exclude(email="already@example.org")}
    assert set(imported) == {"one@example.org", "two@example.org", "three@example.org"}
    assert {s.status for s in imported.values()} == {Subscriber.Status.PENDING}
    assert imported["two@example.org"].language == "ru"
    assert imported["three@example.org"].language == "en"
    consent = Consent.objects.get(subscriber=imported["one@example.org"])
    assert (consent.form, consent.policy_version) == ("import", 4)
    assert "old list" in consent.wording
    assert sorted(m.to[0] for m in mail.outbox) == sorted(imported)


@pytest.mark.django_db
def test_import_subscribers_who_consented_before(on_commit: Any) -> None:
    with on_commit():
        result = actions.import_subscribers(
            csv_text="email\nkept@example.org\n", source="Mailchimp export",
            previously_consented=True, default_language="ru", policy_version=2,
        )  # fmt: skip
    assert (result.created, result.errors) == (1, [])
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.confirmed_at is not None
    assert subscriber.language == "ru"
    assert "consented before" in subscriber.consents.get().wording
    assert mail.outbox == []


@pytest.mark.django_db
def test_import_without_an_email_column_imports_nothing() -> None:
    result = actions.import_subscribers(
        csv_text="name\nAnna\n", source="x", previously_consented=True,
        default_language="en", policy_version=1,
    )  # fmt: skip
    assert result.created == 0 and result.errors
    assert not Subscriber.objects.exists()


# The weekly schedule ---------------------------------------------------------------------


@pytest.fixture
def riga(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Riga"
    settings.NEWSLETTER_WEEKDAY = "friday"
    settings.NEWSLETTER_TIME = "09:00"


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        # Wednesday noon → this Friday
        (datetime(2026, 12, 2, 12, 0, tzinfo=RIGA), datetime(2026, 12, 4, 9, 0, tzinfo=RIGA)),
        # Friday 08:59 → today
        (datetime(2026, 12, 4, 8, 59, tzinfo=RIGA), datetime(2026, 12, 4, 9, 0, tzinfo=RIGA)),
        # Friday 09:00 sharp and Friday 10:00 → next week
        (datetime(2026, 12, 4, 9, 0, tzinfo=RIGA), datetime(2026, 12, 11, 9, 0, tzinfo=RIGA)),
        (datetime(2026, 12, 4, 10, 0, tzinfo=RIGA), datetime(2026, 12, 11, 9, 0, tzinfo=RIGA)),
        # Saturday → next Friday
        (datetime(2026, 12, 5, 0, 30, tzinfo=RIGA), datetime(2026, 12, 11, 9, 0, tzinfo=RIGA)),
        # Thursday 23:30 UTC is already Friday 01:30 in Riga
        (datetime(2026, 12, 3, 23, 30, tzinfo=UTC), datetime(2026, 12, 4, 9, 0, tzinfo=RIGA)),
        # Across the change to summer time (29 March 2026): still 09:00 on the wall clock
        (datetime(2026, 3, 27, 10, 0, tzinfo=RIGA), datetime(2026, 4, 3, 6, 0, tzinfo=UTC)),
    ],
)
def test_week_slot_is_friday_nine_in_the_newsroom_time_zone(
    riga: None, now: datetime, slot: datetime
) -> None:
    found = actions.week_slot(now)
    assert found == slot
    local = found.astimezone(RIGA)
    assert (local.weekday(), local.hour, local.minute) == (4, 9, 0)


def test_week_slot_follows_the_settings(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Riga"
    settings.NEWSLETTER_WEEKDAY = "tuesday"
    settings.NEWSLETTER_TIME = "18:30"
    found = actions.week_slot(datetime(2026, 12, 2, 12, 0, tzinfo=RIGA))
    assert found == datetime(2026, 12, 8, 18, 30, tzinfo=RIGA)


@pytest.mark.django_db
def test_plan_weekly_editions_makes_one_prefilled_draft_per_language(
    riga: None, newsroom: dict[str, Any]
) -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=RIGA)
    set_published_at(newsroom["lead"], datetime(2026, 11, 1, 12, 0, tzinfo=RIGA))
    fresh = factories.ArticlePageFactory(
        parent=newsroom["news"], title="Fresh story",
        published_at=datetime(2026, 12, 1, 8, 0, tzinfo=RIGA),
    )  # fmt: skip

    created = actions.plan_weekly_editions(now=now)
    assert sorted(edition.language for edition in created) == ["en", "ru"]
    slot = datetime(2026, 12, 4, 9, 0, tzinfo=RIGA)
    for edition in created:
        assert edition.status == Edition.Status.DRAFT
        assert edition.send_at == slot
        assert edition.subject
    english = next(edition for edition in created if edition.language == "en")
    assert list(english.items.values_list("article_id", flat=True)) == [fresh.pk]

    assert actions.plan_weekly_editions(now=now) == []
    assert actions.plan_weekly_editions(now=now + timedelta(days=1)) == []
    assert Edition.objects.count() == 2

    # Next week's planning picks up from this week's slot.
    later = actions.plan_weekly_editions(now=slot + timedelta(hours=1))
    assert len(later) == 2
    assert {edition.send_at for edition in later} == {slot + timedelta(days=7)}
    assert Edition.objects.count() == 4


@pytest.mark.django_db
def test_run_schedule_sends_a_due_edition_to_its_subscribers(
    newsroom: dict[str, Any], sending: None, on_commit: Any
) -> None:
    readers = [active(f"reader{n}@example.org") for n in range(3)]
    Subscriber.objects.create(email="pending@example.org", language="en")
    active("russian@example.org", language="ru")
    Subscriber.objects.create(
        email="left@example.org", language="en", status=Subscriber.Status.UNSUBSCRIBED
    )
    due = edition_with_story(newsroom, "Due now")
    not_yet = edition_with_story(newsroom, "Next week")
    now = timezone.now()
    actions.schedule_edition(edition_id=due.pk, send_at=now - timedelta(minutes=1))
    actions.schedule_edition(edition_id=not_yet.pk, send_at=now + timedelta(days=7))

    with on_commit():
        actions.run_schedule(now=now)

    assert len(mail.outbox) == len(readers)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    for message in mail.outbox:
        assert message.subject == "Due now"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/newsletter/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
        assert message.extra_headers["Message-ID"].startswith(f"<newsletter.{due.pk}.")
    due.refresh_from_db()
    assert due.status == Edition.Status.SENT
    assert actions.delivery_counts(due.pk)["sent"] == 3
    not_yet.refresh_from_db()
    assert not_yet.status == Edition.Status.SCHEDULED

    # A second run a minute later sends nothing twice.
    with on_commit():
        actions.run_schedule(now=now + timedelta(minutes=1))
    assert len(mail.outbox) == 3
