"""The local outbox: where mail goes when no mail server is configured.

One ``.eml`` file per message in ``DATA_DIR/outbox``, written atomically, so a newcomer can
sign up, confirm and read editions without any mail server; staff read it in the admin.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from email import message_from_binary_file, message_from_bytes, policy
from email.message import EmailMessage as ParsedMessage
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

from samizdat.core.files import write_atomic

NAME = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{32}\.eml$")
# Marks a test of an edition that staff sent themselves: all the outbox shows those who may
# not see readers' mail (confirmations, receipts, letters to subscribers).
TEST_HEADER = "X-Newsletter-Test"


def outbox_dir() -> Path:
    return Path(settings.EMAIL_OUTBOX_DIR)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        directory = outbox_dir()
        directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            if not isinstance(message, EmailMessage) or not message.recipients():
                continue
            name = f"{timezone.now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex}.eml"
            # Letters hold readers' addresses: for this account's eyes only.
            write_atomic(directory / name, message.message().as_bytes(), mode=0o600)
            sent += 1
        return sent


def is_test(message: ParsedMessage) -> bool:
    return message.get(TEST_HEADER) == "yes"


def messages(limit: int = 200, *, tests_only: bool = False) -> list[dict[str, Any]]:
    """The newest messages in the outbox, for the admin (``tests_only``: the tests of
    editions staff sent, nothing addressed to a reader)."""
    directory = outbox_dir()
    if not directory.is_dir():
        return []
    names = sorted((p.name for p in directory.iterdir() if NAME.match(p.name)), reverse=True)
    result = []
    for name in names[:limit]:
        parsed = read(name)
        if parsed is not None and (is_test(parsed) or not tests_only):
            result.append(
                {
                    "name": name,
                    "to": parsed["To"],
                    "subject": parsed["Subject"],
                    "date": parsed["Date"],
                }
            )
    return result


def read(name: str) -> ParsedMessage | None:
    if not NAME.match(name):
        return None
    path = outbox_dir() / name
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        message = message_from_binary_file(handle, policy=policy.default)
    return message


def holding(addresses: Iterable[str]) -> list[str]:
    """The names of the messages that hold any of ``addresses`` (compared without regard to
    case) in a header or a text part: letters to them, and mail that quotes them."""
    directory = outbox_dir()
    wanted = {address.strip().lower() for address in addresses if address.strip()}
    if not wanted or not directory.is_dir():
        return []
    return sorted(
        path.name
        for path in directory.iterdir()
        if NAME.match(path.name) and path.is_file() and _mentions(path, wanted)
    )


def _mentions(path: Path, wanted: set[str]) -> bool:
    raw = path.read_bytes()
    lowered = raw.lower()
    if any(address.encode() in lowered for address in wanted):
        return True
    # Encoded headers and base64 or quoted-printable bodies: read them as a mail client does.
    message = message_from_bytes(raw, policy=policy.default)
    texts = [str(value) for _name, value in message.items()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                texts.append(part.get_content())
            except (LookupError, ValueError):
                continue
    return any(address in text.lower() for text in texts for address in wanted)


def delete(names: Iterable[str]) -> int:
    """Delete these messages from the outbox; returns how many were there."""
    deleted = 0
    for name in names:
        if NAME.match(name):
            path = outbox_dir() / name
            if path.is_file():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
