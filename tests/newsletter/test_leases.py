"""Claims on an edition's letters across nodes: leases judged by the database's clock, two
senders in separate processes (separate "nodes" on PostgreSQL: their own data directories)
over one edition, and a sender killed while it records its letters in batches."""

# ruff: noqa: F811 (the fixtures of test_crash, imported by name)
from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from samizdat.newsletter import sending
from samizdat.newsletter.models import Delivery, Edition
from samizdat.newsletter.sending import IN_DOUBT
from tests.newsletter.conftest import make_subscribers
from tests.newsletter.smtp import SmtpServer
from tests.newsletter.test_crash import (  # noqa: F401
    ENGLISH,
    Installation,
    finish,
    installations,
    server,
    site,
)

BATCH = 20


def sending_edition(readers: int) -> Edition:
    edition = Edition.objects.create(language="en", subject="Leases", status=Edition.Status.SENDING)
    Delivery.objects.bulk_create(
        Delivery(edition=edition, subscriber=subscriber, email=subscriber.email)
        for subscriber in make_subscribers(readers)
    )
    return edition


def node_clock(monkeypatch: Any, offset: timedelta) -> None:
    """This process's clock is ``offset`` away from the database's."""
    real = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real() + offset)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("offset", [timedelta(hours=1), timedelta(hours=-1)])
def test_a_claim_goes_stale_by_the_database_clock_whatever_the_nodes_clock(
    settings: Any, monkeypatch: Any, offset: timedelta
) -> None:
    """A node whose clock runs an hour fast does not take the letters of a sender that is
    alive, and one whose clock runs an hour slow does take a dead sender's letters once the
    lease has passed."""
    settings.NEWSLETTER_CLAIM_LEASE = 0.5
    settings.NEWSLETTER_RECORD_BATCH = 3
    edition = sending_edition(10)
    node_clock(monkeypatch, offset)

    claimed = sending.claim(edition.pk, "a" * 32, size=6)
    assert len(claimed) == 6
    assert sending.release_stale_claims(edition_id=edition.pk) == 0  # fresh, whatever our clock
    assert Delivery.objects.filter(claim="a" * 32, status=Delivery.Status.CLAIMED).count() == 6

    time.sleep(0.3)
    sending.renew("a" * 32)  # a live sender
    time.sleep(0.3)
    assert sending.release_stale_claims(edition_id=edition.pk) == 0

    time.sleep(0.7)  # the sender stopped renewing: its lease runs out
    assert sending.release_stale_claims(edition_id=edition.pk) == 6
    rows = Delivery.objects.filter(edition=edition).order_by("pk")
    assert {row.status for row in rows} == {Delivery.Status.PENDING}
    # The first RECORD_BATCH letters of the claim may have gone out unrecorded.
    doubtful = [row.pk for row in rows if row.error == IN_DOUBT]
    assert doubtful == [pk for pk, _subscriber, _email in claimed[:3]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("offset", [timedelta(hours=1), timedelta(hours=-1)])
def test_letters_a_sender_writes_for_itself_are_its_claim_by_the_database_clock(
    settings: Any, monkeypatch: Any, offset: timedelta
) -> None:
    """Once nothing is pending, a sender writes the next letters of the audience already
    claimed by itself: stamped by the database's clock like any claim, they stay its own
    while it renews them, and go out again, the first RECORD_BATCH in doubt, once it stops."""
    settings.NEWSLETTER_CLAIM_LEASE = 0.5
    settings.NEWSLETTER_RECORD_BATCH = 3
    readers = make_subscribers(10)
    edition = Edition.objects.create(
        language="en",
        subject="Leases",
        status=Edition.Status.SENDING,
        audience_through=readers[-1].pk,
        frozen_through=readers[0].pk - 1,  # nothing written yet
    )
    node_clock(monkeypatch, offset)

    claimed = sending.claim(edition.pk, "a" * 32, size=6)
    assert [email for _pk, _subscriber, email in claimed] == [r.email for r in readers[:6]]
    rows = Delivery.objects.filter(edition=edition)
    assert rows.count() == 6  # written now, and only these
    assert {(row.status, row.claim) for row in rows} == {(Delivery.Status.CLAIMED, "a" * 32)}
    assert sending.claim(edition.pk, "b" * 32, size=6) != claimed  # another sender: the rest

    time.sleep(0.3)
    sending.renew("a" * 32)  # a live sender
    time.sleep(0.3)
    assert sending.release_stale_claims(edition_id=edition.pk) == 4  # b's, not renewed

    time.sleep(0.7)  # a stopped renewing too: its lease runs out
    assert sending.release_stale_claims(edition_id=edition.pk) == 6
    mine = Delivery.objects.filter(pk__in=[pk for pk, _s, _e in claimed]).order_by("pk")
    assert {row.status for row in mine} == {Delivery.Status.PENDING}
    doubtful = [row.pk for row in mine if row.error == IN_DOUBT]
    assert doubtful == [pk for pk, _subscriber, _email in claimed[:3]]
    again = sending.claim(edition.pk, "c" * 32, size=10)  # pending letters before new ones
    assert sorted(pk for pk, _s, _e in again) == sorted(
        Delivery.objects.filter(edition=edition).values_list("pk", flat=True)
    )


@pytest.mark.django_db(transaction=True)
def test_outcomes_recorded_in_a_batch_are_all_written_or_refused_when_the_claim_was_taken(
    settings: Any,
) -> None:
    """A sender's batch of outcomes lands in one go; if its claim was released in between
    (it stalled past the lease), it learns so instead of overwriting another's work."""
    settings.NEWSLETTER_CLAIM_LEASE = 0.2
    edition = sending_edition(4)
    rows = sending.claim(edition.pk, "b" * 32)
    sent = sending.Outcome("sent")
    refused = sending.Outcome("failed", "550 5.1.1 mailbox unknown")
    outcomes = [(rows[0][0], sent, 1), (rows[1][0], refused, 1), (rows[2][0], sent, 2)]
    assert sending.record("b" * 32, outcomes) == 3
    by_id = {row.pk: row for row in Delivery.objects.filter(edition=edition)}
    assert [by_id[pk].status for pk, _s, _e in rows[:3]] == ["sent", "failed", "sent"]
    assert by_id[rows[2][0]].attempts == 2
    assert by_id[rows[1][0]].error.startswith("550")
    assert by_id[rows[0][0]].sent_at is not None and not by_id[rows[0][0]].claim

    time.sleep(0.3)
    assert sending.release_stale_claims(edition_id=edition.pk) == 1
    assert sending.record("b" * 32, [(rows[3][0], sent, 1)]) == 0
    assert Delivery.objects.get(pk=rows[3][0]).status == Delivery.Status.PENDING


def second_node(site: Installation, tmp_path: Any) -> Installation:
    """The same installation seen from another machine: on PostgreSQL, another data
    directory (nothing but the database is shared); on SQLite the file must be shared."""
    other = Installation(site.database, site.edition_id, site.smtp_url)
    other.overrides = dict(site.overrides)
    if site.database.url:
        other.overrides["SAMIZDAT_DATA_DIR"] = str(tmp_path)
    return other


def test_two_nodes_sending_one_edition_send_each_letter_once(
    site: Installation, server: SmtpServer, tmp_path: Any
) -> None:
    """Two senders on two nodes, two connections each, recording in batches, against a
    server slow enough that they overlap for the whole edition: every reader gets the letter
    once, and nothing is marked in doubt."""
    site.overrides["SAMIZDAT_NEWSLETTER_RECORD_BATCH"] = str(BATCH)
    site.overrides["SAMIZDAT_NEWSLETTER_CLAIM_SIZE"] = "25"  # many claims: they interleave
    server.handler.delay = 0.004
    server.handler.hold_until_connections = 3  # the other node too, however slow its start
    senders = [
        site.send("--connections", "2"),
        second_node(site, tmp_path).send("--connections", "2"),
    ]
    outputs = [sender.communicate(timeout=120) for sender in senders]

    for sender, (_stdout, stderr) in zip(senders, outputs, strict=True):
        assert sender.returncode == 0 or "sent already" in stderr, stderr[-3000:]
    received = server.per_recipient()
    assert set(received) == site.audience()
    assert set(received.values()) == {1}
    assert len({message.peer for message in server.received()}) > 2  # both nodes sent
    deliveries = site.deliveries()
    assert {status for status, _error in deliveries.values()} == {"sent"}
    assert not [email for email, (_s, error) in deliveries.items() if error]


def test_a_node_killed_mid_send_leaves_only_letters_in_doubt_to_repeat(
    site: Installation, server: SmtpServer, tmp_path: Any
) -> None:
    """SIGKILL to a sender recording in batches, after about a third of the letters; another
    node resumes the edition once the lease ran out. Everyone gets the letter; readers who
    get it twice are all among those marked in doubt (at most a batch per connection of the
    killed sender), and both copies carry the same Message-ID."""
    site.overrides["SAMIZDAT_NEWSLETTER_RECORD_BATCH"] = str(BATCH)
    audience = site.audience()
    server.handler.delay = 0.004

    sender = site.send("--connections", "2")
    if not server.handler.wait_until(ENGLISH // 3, timeout=60):
        sender.kill()
        pytest.fail(f"the sender did not get going: {sender.communicate()[1][-3000:]}")
    sender.send_signal(signal.SIGKILL)
    sender.wait(timeout=10)
    assert len(server.received()) < ENGLISH, "the kill came too late to test anything"
    server.handler.delay = 0

    stdout = finish(second_node(site, tmp_path).send("--connections", "2"))
    assert f"Resuming edition {site.edition_id}." in stdout

    received = server.per_recipient()
    assert set(received) == audience
    twice = {email for email, count in received.items() if count > 1}
    assert max(received.values()) <= 2
    deliveries = site.deliveries()
    in_doubt = {email for email, (_status, error) in deliveries.items() if error == IN_DOUBT}
    assert twice <= in_doubt
    assert len(in_doubt) <= 2 * BATCH
    assert {status for status, _error in deliveries.values()} == {"sent"}
    for email in twice:
        copies = [m.parse() for m in server.received() if email in m.rcpt_tos]
        assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert len(server.received()) == ENGLISH + len(twice)
    message_ids = Counter(m.parse()["Message-ID"] for m in server.received())
    assert len(message_ids) == ENGLISH
