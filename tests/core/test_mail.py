"""No message names the machine it was sent from: every Message-ID and the SMTP greeting
carry the site's domain (the host of SAMIZDAT_SITE_URL)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from samizdat.donations import actions as donations
from samizdat.donations.mail import send_manage_link_mail
from samizdat.donations.models import Donation, RecurringGift
from samizdat.newsletter import actions as newsletter
from samizdat.newsletter.mail import send_confirmation_mail
from samizdat.newsletter.models import Edition, EditionItem, Subscriber
from tests.newsletter.smtp import SmtpServer

pytestmark = pytest.mark.django_db

DOMAIN = "lantern.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[tuple[SmtpServer, list[str]]]:
    """A real SMTP server, Django's SMTP backend pointed at it, and the names clients gave
    in their greeting (EHLO)."""
    server = SmtpServer().start()
    greetings: list[str] = []
    handle_ehlo = server.handler.handle_EHLO

    async def record(
        server_: Any, session: Any, envelope: Any, hostname: str, responses: Any
    ) -> Any:
        greetings.append(hostname)
        return await handle_ehlo(server_, session, envelope, hostname, responses)

    server.handler.handle_EHLO = record  # type: ignore[method-assign,assignment]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.SITE_URL = f"https://{DOMAIN}"
    settings.DEFAULT_FROM_EMAIL = f"The Lantern <newsletter@{DOMAIN}>"
    try:
        yield server, greetings
    finally:
        server.stop()


def test_no_message_names_the_machine(
    smtp: tuple[SmtpServer, list[str]],
    newsroom: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    server, greetings = smtp
    machine = socket.getfqdn()
    # A confirmation, a receipt, a "manage my gift" link, a test of an edition and a staff
    # password reset: every kind of mail the site sends outside the newsletter itself.
    subscriber = Subscriber.objects.create(email="reader@example.org", language="en")
    assert send_confirmation_mail(subscriber.pk)
    donation = Donation.objects.create(
        provider="demo", provider_payment_id="pay_1", reference="SZ-ABCDEFGH", frequency="once",
        amount=500, currency="EUR", status=Donation.Status.PAID, email="donor@example.org",
    )  # fmt: skip
    assert donations.send_receipt(donation_id=donation.pk)
    RecurringGift.objects.create(
        provider="demo", provider_gift_id="sub_1", frequency="monthly", amount=500,
        currency="EUR", email="donor@example.org",
    )  # fmt: skip
    assert send_manage_link_mail(email="donor@example.org", language="en") == 1
    edition = Edition.objects.create(language="en", subject="This week")
    EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
    assert newsletter.send_test(edition_id=edition.pk, to=["editor@example.org"]) == 1
    get_user_model().objects.create_user("editor", "staff@example.org", "a long passphrase")
    reset = Client().post("/admin/password_reset/", {"email": "staff@example.org"})
    assert reset.status_code == 302

    received = server.received()
    assert len(received) == 5
    for message in received:
        parsed = message.parse()
        assert re.fullmatch(rf"<[^<>@\s]+@{re.escape(DOMAIN)}>", parsed["Message-ID"]), parsed
        headers = message.data.split(b"\r\n\r\n", 1)[0].decode()
        assert machine not in headers
    assert greetings and set(greetings) == {DOMAIN}
