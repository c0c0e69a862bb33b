"""No log line and no stored task error holds a reader's address or a link's token."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.conf import settings

from samizdat.core.logs import RedactPersonalData
from samizdat.newsletter.models import Subscriber
from samizdat.newsletter.tasks import send_confirmation
from tests.newsletter.smtp import SmtpServer

ADDRESS = "olga.reader@example.org"
TOKEN = "Zq9x-LkT3vYw_8sRtUuVvWwXxYyZz0011223344556"


def test_every_handler_redacts_addresses_and_tokens() -> None:
    handlers = cast("dict[str, dict[str, Any]]", settings.LOGGING["handlers"])
    assert handlers and all("redact" in handler.get("filters", []) for handler in handlers.values())
    try:
        raise ValueError(f"{ADDRESS} refused")
    except ValueError:
        record = logging.LogRecord(
            "samizdat", logging.WARNING, __file__, 1,
            "mailing %s failed; link /newsletter/confirm/?token=%s, old /newsletter/unsubscribe/%s/",
            (ADDRESS, TOKEN, TOKEN), sys.exc_info(),
        )  # fmt: skip
    assert RedactPersonalData().filter(record)
    written = logging.Formatter().format(record)
    assert ADDRESS not in written and TOKEN not in written
    assert "mailing [address] failed" in written
    assert "/newsletter/confirm/?token=[redacted]" in written
    assert "ValueError: [address] refused" in written  # the traceback too


@pytest.fixture
def refusing_smtp(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server that refuses the reader, quoting the address as Postfix does."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    server.handler.refuse([ADDRESS], f"550 5.1.1 <{ADDRESS}>: Recipient address rejected")
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db
def test_a_refused_letter_fails_its_task_without_the_address(refusing_smtp: SmtpServer) -> None:
    subscriber = Subscriber.objects.create(email=ADDRESS, language="en")
    result = send_confirmation.enqueue(subscriber.pk)
    assert result.status == "FAILED"
    [error] = result.errors
    assert error.exception_class_path == "samizdat.core.logs.MailNotSent"
    assert "SMTPRecipientsRefused (550)" in error.traceback  # why, for whoever reads it
    assert ADDRESS not in error.traceback
