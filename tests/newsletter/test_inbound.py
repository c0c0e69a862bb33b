"""Mail that comes back, piped to ``samizdat newsletter receive``: bounce reports (RFC 3464)
and unsubscribe requests sent to the ``mailto:`` of ``List-Unsubscribe``."""

from __future__ import annotations

import io
import sys
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from samizdat.newsletter import actions
from samizdat.newsletter.mail import unsubscribe_token
from samizdat.newsletter.models import (
    Delivery,
    Edition,
    EditionItem,
    Subscriber,
    Suppression,
    email_hash,
)

pytestmark = pytest.mark.django_db

GONE = "gone@example.org"
STAYS = "stays@example.org"


def receive(monkeypatch: pytest.MonkeyPatch, raw: bytes) -> str:
    """What the mail server does: pipe one message into the command."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("newsletter", "receive", stdout=out)
    return out.getvalue()


def dsn(
    *,
    recipient: str,
    action: str,
    status: str,
    diagnostic: str,
    original_headers: str,
    original_recipient: str = "",
) -> bytes:
    """A delivery status notification as Postfix writes it."""
    original_recipient = original_recipient or recipient
    return f"""\
Return-Path: <>
Received: by mail.lantern.example (Postfix)
\tid 3F2A1C0123; Fri,  4 Dec 2026 09:00:05 +0200 (EET)
Date: Fri,  4 Dec 2026 09:00:05 +0200 (EET)
From: MAILER-DAEMON@mail.lantern.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: newsletter@lantern.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="3F2A1C0123.1796367605/mail.lantern.example"
Content-Transfer-Encoding: 8bit
Message-Id: <20261204070005.3F2A1C0123@mail.lantern.example>

This is a MIME-encapsulated message.

--3F2A1C0123.1796367605/mail.lantern.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mail.lantern.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

<{recipient}>: host mx.example.org[192.0.2.25] said: {diagnostic}
    (in reply to RCPT TO command)

--3F2A1C0123.1796367605/mail.lantern.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.lantern.example
X-Postfix-Queue-ID: 3F2A1C0123
X-Postfix-Sender: rfc822; bounces@lantern.example
Arrival-Date: Fri,  4 Dec 2026 09:00:02 +0200 (EET)

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{original_recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; {diagnostic}

--3F2A1C0123.1796367605/mail.lantern.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers
Content-Transfer-Encoding: 8bit

{original_headers}
--3F2A1C0123.1796367605/mail.lantern.example--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def sent(newsroom: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Two editions went out to two subscribers (through the locmem backend)."""
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    for address in (GONE, STAYS):
        Subscriber.objects.create(email=address, language="en", status=Subscriber.Status.ACTIVE)
    editions = []
    for subject in ("First week", "Second week"):
        edition = Edition.objects.create(language="en", subject=subject)
        EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
        with django_capture_on_commit_callbacks(execute=True):
            actions.send_edition(edition_id=edition.pk)
        editions.append(edition)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 4
    return editions


def headers_of_letter(subject: str, to: str) -> tuple[str, str]:
    """The header block of a letter as it went out, and its Message-ID."""
    (letter,) = [m for m in mail.outbox if m.subject == subject and m.to == [to]]
    raw = letter.message().as_bytes()
    parsed = message_from_bytes(raw, policy=policy.compat32)
    head = raw.split(b"\n\n", 1)[0].decode().replace("\r\n", "\n")
    return head + "\n", str(parsed["Message-ID"])


def test_a_hard_bounce_report_marks_the_subscriber_and_that_letter(
    sent: list[Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = sent
    headers, message_id = headers_of_letter("First week", GONE)
    assert message_id.startswith(f"<newsletter.{first.pk}.")
    report = dsn(
        recipient=GONE,
        action="failed",
        status="5.1.1",
        diagnostic="550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
        original_headers=headers,
    )
    output = receive(monkeypatch, report)
    assert "1 permanent failure" in output

    subscriber = Subscriber.objects.get(email=GONE)
    assert subscriber.status == Subscriber.Status.BOUNCED
    suppression = Suppression.objects.get(email_hash=email_hash(GONE))
    assert suppression.reason == "bounced"
    assert "5.1.1" in suppression.detail
    # The letter the report is about (the older one), not just the latest one.
    bounced = Delivery.objects.get(status=Delivery.Status.BOUNCED)
    assert bounced.subscriber == subscriber
    assert bounced.edition == first
    assert f"<newsletter.{first.pk}.{bounced.pk}@" in message_id
    assert Delivery.objects.get(edition=second, subscriber=subscriber).status == "sent"
    assert Subscriber.objects.get(email=STAYS).status == Subscriber.Status.ACTIVE

    # The same report again (mail servers retry) changes nothing more.
    receive(monkeypatch, report)
    assert Suppression.objects.count() == 1
    assert Delivery.objects.filter(status=Delivery.Status.BOUNCED).count() == 1


def test_a_bounce_after_a_forward_concerns_the_address_we_wrote_to(
    sent: list[Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, _message_id = headers_of_letter("Second week", GONE)
    report = dsn(
        recipient="gone@forwarded.example",
        original_recipient=GONE,
        action="failed",
        status="5.2.1",
        diagnostic="550 5.2.1 The email account that you tried to reach is disabled.",
        original_headers=headers,
    )
    receive(monkeypatch, report)
    assert Subscriber.objects.get(email=GONE).status == Subscriber.Status.BOUNCED
    assert Suppression.objects.filter(email_hash=email_hash(GONE)).exists()
    bounced = Delivery.objects.get(status=Delivery.Status.BOUNCED)
    assert bounced.edition == sent[1]


def test_a_delay_report_changes_nothing(
    sent: list[Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, _message_id = headers_of_letter("Second week", GONE)
    report = dsn(
        recipient=GONE,
        action="delayed",
        status="4.4.1",
        diagnostic="421 4.4.1 mx.example.org: connection timed out",
        original_headers=headers,
    )
    output = receive(monkeypatch, report)
    assert "0 permanent failure" in output
    assert Subscriber.objects.get(email=GONE).status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_an_unsubscribe_request_by_mail(
    sent: list[Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    subscriber = Subscriber.objects.get(email=GONE)
    # The mailto: link of the letter's List-Unsubscribe header, as the mail client sends it.
    (letter,) = [m for m in mail.outbox if m.subject == "First week" and m.to == [GONE]]
    assert "mailto:" in letter.extra_headers["List-Unsubscribe"]
    request = (
        "From: Gone <gone@example.org>\r\n"
        "To: newsletter@lantern.example\r\n"
        f"Subject: unsubscribe {unsubscribe_token(subscriber.pk)}\r\n"
        "Date: Fri, 4 Dec 2026 10:00:00 +0200\r\n"
        "Message-ID: <req-1@example.org>\r\n"
        "\r\n"
        "This message was automatically generated by the mail client.\r\n"
    ).encode()
    assert "unsubscribed" in receive(monkeypatch, request)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert Subscriber.objects.get(email=STAYS).status == Subscriber.Status.ACTIVE


def test_an_unsubscribe_request_with_a_forged_token_is_ignored(
    sent: list[Edition], monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = Subscriber.objects.get(email=STAYS)
    request = (
        f"From: someone@example.org\r\nSubject: unsubscribe {victim.pk}:forged\r\n\r\nplease\r\n"
    ).encode()
    assert "ignored" in receive(monkeypatch, request)
    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.ACTIVE
