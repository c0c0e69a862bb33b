"""Subscribing by mail where the site is blocked: a letter saying "subscribe" to the
newsletter's address, piped to ``samizdat newsletter receive``, gets a confirmation letter
(through a real SMTP server); a reply that keeps its "confirm …" line confirms. Double opt-in
holds: nobody is on the list without a reply from their own address, written by a person."""

from __future__ import annotations

import io
import re
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from samizdat.newsletter.forms import mail_consent_wording
from samizdat.newsletter.mail import render
from samizdat.newsletter.models import Consent, Edition, Subscriber
from tests.newsletter.smtp import SmtpServer

pytestmark = pytest.mark.django_db

ADDRESS = "subscribe@lantern.example"
OLGA = "olga@example.org"


@pytest.fixture
def by_mail(settings: Any, smtp_server: SmtpServer, newsroom: dict[str, Any]) -> SmtpServer:
    settings.NEWSLETTER_SUBSCRIBE_ADDRESS = ADDRESS
    return smtp_server


def receive(monkeypatch: pytest.MonkeyPatch, captured: Any, raw: str) -> str:
    """What the mail server does: pipe one message into the command (its tasks run once the
    command's transaction commits, as in the worker)."""
    data = raw.replace("\n", "\r\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = io.StringIO()
    with captured(execute=True):
        call_command("newsletter", "receive", stdout=out)
    return out.getvalue()


def letter(subject: str, body: str, *, sender: str = f"Olga <{OLGA}>", extra: str = "") -> str:
    return (
        f"From: {sender}\nTo: {ADDRESS}\nSubject: {subject}\n"
        f"Date: Thu, 3 Dec 2026 10:00:00 +0200\nMessage-ID: <{abs(hash(body))}@example.org>\n"
        f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n{extra}\n"
        f"{body}\n"
    )


def confirmation_line(server: SmtpServer, to: str) -> tuple[Any, str]:
    (sent,) = [r for r in server.received() if to in r.rcpt_tos]
    message = sent.parse()
    line = re.search(r"^confirm [\w-]+", message.get_content(), re.MULTILINE)
    assert line, message.get_content()
    return message, line.group(0)


def test_a_reader_subscribes_by_mail_and_confirms_by_replying(
    by_mail: SmtpServer, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    said = receive(monkeypatch, django_capture_on_commit_callbacks, letter("Подписаться", ""))
    assert "subscription request by mail (ru)" in said and OLGA not in said

    subscriber = Subscriber.objects.get(email=OLGA)
    assert (subscriber.status, subscriber.language) == (Subscriber.Status.PENDING, "ru")
    consent = Consent.objects.get(subscriber=subscriber)
    assert consent.form == "mail" and consent.wording == mail_consent_wording("ru")
    assert ADDRESS in consent.wording and "подписаться" in consent.wording

    # The confirmation letter, in Russian, can be confirmed by its link or by a reply.
    message, line = confirmation_line(by_mail, OLGA)
    assert message["Reply-To"] == ADDRESS
    assert "Ответьте на это письмо" in message.get_content()
    reply = letter(
        f"Re: {message['Subject']}",
        "Да, подтверждаю.\n\n> " + message.get_content().replace("\n", "\n> "),
    )
    assert "confirmed by reply" in receive(monkeypatch, django_capture_on_commit_callbacks, reply)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE and subscriber.confirmed_at
    # The code is used up.
    again = receive(monkeypatch, django_capture_on_commit_callbacks, reply)
    assert "ignored" in again and line.split()[1] not in again


@pytest.mark.parametrize(
    ("subject", "body", "language"),
    [
        ("subscribe", "", "en"),
        ("", "Subscribe ru\n\nSent from my phone", "ru"),
        ("Hello", "subscribe.\n", "en"),
    ],
)
def test_the_request_and_its_language_are_read_from_subject_or_first_line(
    by_mail: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    subject: str,
    body: str,
    language: str,
) -> None:
    receive(monkeypatch, django_capture_on_commit_callbacks, letter(subject, body))
    assert Subscriber.objects.get(email=OLGA).language == language
    assert len(by_mail.received()) == 1


@pytest.mark.parametrize(
    ("subject", "body", "extra"),
    [
        ("Question about your article", "Could you subscribe me to nothing?", ""),
        ("subscribe", "", "Auto-Submitted: auto-replied\n"),
        ("subscribe", "", "Precedence: bulk\n"),
        ("subscribe xx", "", ""),
    ],
)
def test_other_letters_subscribe_nobody(
    by_mail: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    subject: str,
    body: str,
    extra: str,
) -> None:
    said = receive(
        monkeypatch, django_capture_on_commit_callbacks, letter(subject, body, extra=extra)
    )
    assert "ignored" in said
    assert not Subscriber.objects.exists() and by_mail.received() == []


def test_an_auto_reply_or_another_address_confirms_nobody(
    by_mail: SmtpServer, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    receive(monkeypatch, django_capture_on_commit_callbacks, letter("subscribe", ""))
    message, line = confirmation_line(by_mail, OLGA)
    quoted = "I am away until Monday.\n\n> " + message.get_content().replace("\n", "\n> ")
    out_of_office = letter("Automatic reply", quoted, extra="Auto-Submitted: auto-replied\n")
    from_elsewhere = letter("Re: confirm", line, sender="someone@example.net")
    for reply in (out_of_office, from_elsewhere):
        assert "ignored" in receive(monkeypatch, django_capture_on_commit_callbacks, reply)
    assert Subscriber.objects.get(email=OLGA).status == Subscriber.Status.PENDING


def test_a_flood_of_requests_for_one_address_sends_few_letters(
    by_mail: SmtpServer, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    for n in range(6):
        receive(monkeypatch, django_capture_on_commit_callbacks, letter("subscribe", f"#{n}"))
    assert len(by_mail.received()) == 3


def test_without_the_address_set_nothing_is_offered_or_taken(
    settings: Any,
    smtp_server: SmtpServer,
    newsroom: dict[str, Any],
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NEWSLETTER_SUBSCRIBE_ADDRESS = ""
    assert "ignored" in receive(
        monkeypatch, django_capture_on_commit_callbacks, letter("subscribe", "")
    )
    assert not Subscriber.objects.exists()
    assert b"signup-by-mail" not in client.get("/en/news/court-opens-trial/").content


def test_pages_and_letters_say_how(
    by_mail: SmtpServer, client: Client, newsroom: dict[str, Any]
) -> None:
    page = (
        client.get("/ru/").content.decode()
        + client.get("/en/news/court-opens-trial/").content.decode()
    )
    invitation = re.search(r'<p class="signup-by-mail">(.*?)</p>', page)
    assert invitation, "the signup box offers subscribing by mail"
    assert f'<a href="mailto:{ADDRESS}?subject=subscribe%20' in invitation.group(1)
    # What the page shows is what a signup by mail records as consent.
    shown = re.sub(r"<[^>]+>", "", invitation.group(1)).replace("&#x27;", "'")
    assert shown in {mail_consent_wording("en"), mail_consent_wording("ru")}
    edition = Edition.objects.create(language="en", subject="This week")
    rendered = render(edition)
    assert f"writing “subscribe” to {ADDRESS}" in rendered.text
    assert f'href="mailto:{ADDRESS}?subject=subscribe%20en"' in rendered.html
