"""Sending an edition to a real SMTP server: once per subscriber, through refusals, dropped
connections and a server that goes away."""

from __future__ import annotations

import io
import socket
import threading
import time
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from samizdat.newsletter import actions, sending
from samizdat.newsletter.mail import unsubscribe_url
from samizdat.newsletter.models import Delivery, Edition, Subscriber
from tests.newsletter.conftest import make_edition, make_subscribers
from tests.newsletter.smtp import SmtpServer


def addresses(subscribers: list[Subscriber]) -> set[str]:
    return {subscriber.email for subscriber in subscribers}


def deliveries(edition: Edition) -> dict[str, Delivery]:
    return {delivery.email: delivery for delivery in edition.deliveries.all()}


def assert_exactly_once(server: SmtpServer, subscribers: list[Subscriber]) -> None:
    received = server.per_recipient()
    assert set(received) == addresses(subscribers)
    assert set(received.values()) == {1}


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# With committed data: send_edition queues its tasks on commit, and the tasks run right away
# (tests use the immediate task backend), each over two threaded SMTP connections.


def test_each_subscriber_gets_exactly_one_letter_over_two_connections(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NEWSLETTER_CONNECTIONS = 2
    settings.NEWSLETTER_TASKS = 2
    subscribers = make_subscribers(250)
    make_subscribers(20, language="ru", prefix="russian")  # another edition's audience
    edition = make_edition()

    assert actions.send_edition(edition_id=edition.pk) == 250

    assert_exactly_once(smtp_server, subscribers)
    assert len({message.peer for message in smtp_server.received()}) <= 4  # 2 tasks × 2
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert edition.finished_at is not None
    rows = list(edition.deliveries.all())
    assert {row.status for row in rows} == {Delivery.Status.SENT}
    assert all(row.attempts == 1 and row.sent_at and not row.claim for row in rows)


def test_senders_freeze_a_large_audience_slice_by_slice_and_each_gets_one_letter(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NEWSLETTER_CONNECTIONS = 2
    settings.NEWSLETTER_TASKS = 2
    settings.NEWSLETTER_FREEZE_SLICE = 40
    settings.NEWSLETTER_CLAIM_SIZE = 15
    subscribers = make_subscribers(250)
    edition = make_edition()

    assert actions.send_edition(edition_id=edition.pk) == 250

    assert_exactly_once(smtp_server, subscribers)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert edition.deliveries.count() == 250


def test_the_audience_not_frozen_yet_counts_as_pending_and_is_read_as_it_is_then(
    newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NEWSLETTER_FREEZE_SLICE = 3
    settings.NEWSLETTER_CLAIM_SIZE = 2
    subscribers = make_subscribers(10)
    edition = make_edition()

    assert actions.send_edition(edition_id=edition.pk) == 10
    assert edition.deliveries.count() == 3  # the first slice; the rest while sending
    counts = actions.delivery_counts(edition.pk)
    assert (counts["pending"], counts["total"]) == (10, 10)
    leaving = subscribers[8]
    Subscriber.objects.filter(pk=leaving.pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    late = make_subscribers(1, prefix="late")  # signed up after sending started
    assert not actions.finish_edition(edition_id=edition.pk)

    sending.send_pending(edition_id=edition.pk, connections=1)

    assert_exactly_once(smtp_server, [s for s in subscribers if s != leaving])
    assert late[0].email not in smtp_server.per_recipient()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert actions.delivery_counts(edition.pk)["total"] == 9


def test_a_second_send_of_the_same_edition_sends_nothing(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    settings.NEWSLETTER_CONNECTIONS = 2
    subscribers = make_subscribers(30)
    edition = make_edition()
    assert actions.send_edition(edition_id=edition.pk) == 30

    assert actions.send_edition(edition_id=edition.pk) == 0
    assert sending.send_pending(edition_id=edition.pk) == {}
    with pytest.raises(CommandError, match="sent already"):
        call_command("newsletter", "send", edition.pk, stdout=io.StringIO())

    assert_exactly_once(smtp_server, subscribers)
    assert edition.deliveries.count() == 30


def test_a_dropped_connection_is_retried_and_nobody_gets_two(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    """The server hangs up after reading the message but before accepting it: the sender
    reconnects and sends it again; the server holds one copy."""
    settings.NEWSLETTER_CONNECTIONS = 2
    settings.NEWSLETTER_TASKS = 1
    subscribers = make_subscribers(250)
    edition = make_edition()
    smtp_server.handler.drop_connection_at(40, 120, 121, 200)

    assert actions.send_edition(edition_id=edition.pk) == 250

    assert_exactly_once(smtp_server, subscribers)
    rows = deliveries(edition).values()
    assert {row.status for row in rows} == {Delivery.Status.SENT}
    assert sum(row.attempts for row in rows) == 250 + 4
    assert len({message.peer for message in smtp_server.received()}) >= 3  # reconnected


def test_a_sender_waiting_to_retry_keeps_its_letters(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    """A sender that waits longer than the claim lease before retrying a refused letter is
    alive, not dead: a second sender (the worker resuming stalled editions, an operator's
    `samizdat newsletter send`) must not take its letters over and send them again."""
    # Queued tasks stay queued: the two senders below do the sending.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": list(settings.TASK_QUEUES),
        }
    }
    settings.NEWSLETTER_CLAIM_LEASE = 0.4
    settings.NEWSLETTER_RETRY_DELAYS = [1.2]
    subscribers = make_subscribers(20)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.fail_next(1)
    first = threading.Thread(
        target=sending.send_pending, kwargs={"edition_id": edition.pk, "connections": 1}
    )
    first.start()
    time.sleep(0.7)  # the first sender is waiting to retry letter 1

    sending.drain(edition_id=edition.pk, connections=1, poll=0.1)
    first.join(timeout=30)

    assert_exactly_once(smtp_server, subscribers)
    assert not [row.error for row in edition.deliveries.all() if row.error]


# In the test transaction, send_edition only freezes the audience (its tasks are queued on
# commit, which never comes); the test then sends the way a task does, over one connection.


def test_only_active_unsuppressed_subscribers_of_the_language_get_it(
    newsletter_site: Any, smtp_server: SmtpServer
) -> None:
    active = make_subscribers(6)
    make_subscribers(2, status=Subscriber.Status.PENDING, prefix="pending")
    make_subscribers(2, status=Subscriber.Status.UNSUBSCRIBED, prefix="left")
    make_subscribers(1, status=Subscriber.Status.BOUNCED, prefix="bounced")
    make_subscribers(1, status=Subscriber.Status.COMPLAINED, prefix="complained")
    make_subscribers(3, language="ru", prefix="russian")
    suppressed = active.pop()
    actions.suppress(email=suppressed.email, reason="manual")
    edition = make_edition()

    assert actions.send_edition(edition_id=edition.pk) == 5
    sending.send_pending(edition_id=edition.pk, connections=1)

    assert_exactly_once(smtp_server, active)
    assert set(deliveries(edition)) == addresses(active)


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
@pytest.mark.parametrize("command", ["DATA", "RCPT"])
def test_temporary_refusals_are_retried_and_delivered_once(
    newsletter_site: Any, smtp_server: SmtpServer, command: str, pipelining: bool
) -> None:
    smtp_server.handler.pipelining = pipelining
    subscribers = make_subscribers(20)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.fail_next(3, command=command)

    stats = sending.send_pending(edition_id=edition.pk, connections=1)

    assert stats == {"sent": 20}
    assert_exactly_once(smtp_server, subscribers)
    rows = deliveries(edition)
    first = rows[subscribers[0].email]
    assert (first.status, first.attempts, first.error) == (Delivery.Status.SENT, 4, "")
    assert all(rows[s.email].attempts == 1 for s in subscribers[1:])


def test_a_letter_refused_for_longer_than_the_retries_fails(
    newsletter_site: Any, smtp_server: SmtpServer
) -> None:
    subscribers = make_subscribers(10)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.fail_next(4, reply="452 4.2.2 Mailbox full")  # 1 try + 3 retries

    stats = sending.send_pending(edition_id=edition.pk, connections=1)

    assert stats == {"failed": 1, "sent": 9}
    first = deliveries(edition)[subscribers[0].email]
    assert first.status == Delivery.Status.FAILED
    assert first.attempts == 4
    assert first.error.startswith("452") and "Mailbox full" in first.error
    assert_exactly_once(smtp_server, subscribers[1:])
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_a_permanent_refusal_fails_that_letter_only(
    newsletter_site: Any, smtp_server: SmtpServer, pipelining: bool
) -> None:
    smtp_server.handler.pipelining = pipelining
    subscribers = make_subscribers(10)
    refused = subscribers[3]
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.refuse([refused.email], "550 5.1.1 No such user here")

    stats = sending.send_pending(edition_id=edition.pk, connections=1)

    assert stats == {"failed": 1, "sent": 9}
    row = deliveries(edition)[refused.email]
    assert row.status == Delivery.Status.FAILED
    assert row.attempts == 1  # a 5xx is not retried
    assert row.error.startswith("550") and "No such user here" in row.error
    assert row.sent_at is None
    assert_exactly_once(smtp_server, [s for s in subscribers if s != refused])


def test_status_command_prints_the_counts(newsletter_site: Any, smtp_server: SmtpServer) -> None:
    subscribers = make_subscribers(12)
    edition = make_edition(subject="Weekly: courts")
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.refuse([subscribers[0].email])
    sending.send_pending(edition_id=edition.pk, connections=1)

    out = io.StringIO()
    call_command("newsletter", "status", edition.pk, stdout=out)

    text = out.getvalue()
    assert f"Edition {edition.pk} “Weekly: courts” (en): sent" in text
    assert "total 12 · sent 11 · failed 1 · bounced 0 · pending 0 · being sent 0" in text


@pytest.mark.parametrize(("count", "words"), [(1, "1 subscriber."), (2, "2 subscribers.")])
def test_send_command_counts_its_subscribers_in_words_that_agree(
    live_db: None, newsletter_site: Any, smtp_server: SmtpServer, count: int, words: str
) -> None:
    subscribers = make_subscribers(count)
    edition = make_edition()
    out = io.StringIO()
    call_command("newsletter", "send", edition.pk, stdout=out)
    assert f"Sending edition {edition.pk} to {words}\n" in out.getvalue()
    assert_exactly_once(smtp_server, subscribers)


def test_whoever_unsubscribes_before_their_letter_goes_gets_nothing(
    newsletter_site: Any, smtp_server: SmtpServer, client: Any
) -> None:
    subscribers = make_subscribers(8)
    leaving = subscribers[5]
    edition = make_edition()
    assert actions.send_edition(edition_id=edition.pk) == 8  # frozen, not sent yet

    response = client.post(unsubscribe_url(leaving.pk).removeprefix("http://testserver"))
    assert response.status_code == 200
    sending.send_pending(edition_id=edition.pk, connections=1)

    assert_exactly_once(smtp_server, [s for s in subscribers if s != leaving])
    row = deliveries(edition)[leaving.email]
    assert (row.status, row.error) == (Delivery.Status.FAILED, "unsubscribed before sending")
    leaving.refresh_from_db()
    assert leaving.status == Subscriber.Status.UNSUBSCRIBED


def test_an_unreachable_server_leaves_every_letter_pending(
    newsletter_site: Any, smtp_server: SmtpServer, settings: Any
) -> None:
    subscribers = make_subscribers(5)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    settings.EMAIL_PORT = free_port()

    with pytest.raises(CommandError, match="cannot be reached"):
        call_command("newsletter", "send", edition.pk, stdout=io.StringIO())
    assert actions.delivery_counts(edition.pk)["pending"] == 5

    settings.EMAIL_PORT = smtp_server.port
    sending.send_pending(edition_id=edition.pk, connections=1)
    assert_exactly_once(smtp_server, subscribers)


def test_a_server_that_goes_away_midway_gets_the_rest_later(
    newsletter_site: Any, smtp_server: SmtpServer
) -> None:
    """Letter 4 is dropped four times (one try and three retries): the sender stops and gives
    its claim back; the next run sends the rest, and nobody gets two."""
    subscribers = make_subscribers(10)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.drop_connection_at(4, 5, 6, 7)

    with pytest.raises(sending.ServerDown):
        sending.send_pending(edition_id=edition.pk, connections=1)
    counts = actions.delivery_counts(edition.pk)
    assert (counts["sent"], counts["pending"], counts["claimed"]) == (3, 7, 0)

    sending.send_pending(edition_id=edition.pk, connections=1)
    assert_exactly_once(smtp_server, subscribers)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_a_connection_lost_after_the_server_accepted_means_one_duplicate_with_the_same_id(
    newsletter_site: Any, smtp_server: SmtpServer
) -> None:
    """What SMTP cannot prevent (and sending.py's docstring allows): the server kept the
    letter but the reply never arrived, so the retry delivers it again. The copy carries the
    same Message-ID, which mail clients collapse."""
    subscribers = make_subscribers(5)
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    smtp_server.handler.drop_connection_at(2, after_accepting=True)

    sending.send_pending(edition_id=edition.pk, connections=1)

    received = smtp_server.per_recipient()
    assert received[subscribers[1].email] == 2
    assert all(received[s.email] == 1 for s in subscribers if s != subscribers[1])
    copies = [m.parse() for m in smtp_server.received() if subscribers[1].email in m.rcpt_tos]
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert deliveries(edition)[subscribers[1].email].attempts == 2
