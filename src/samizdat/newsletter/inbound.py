"""Mail that comes back: bounce reports (RFC 3464) and unsubscribe requests sent to the
``mailto:`` of ``List-Unsubscribe``. The mail server pipes each message to
``samizdat newsletter receive``."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes, policy
from email.message import Message

from samizdat.newsletter import actions
from samizdat.newsletter.actions import OUR_MESSAGE_ID
from samizdat.newsletter.mail import subscriber_from_unsubscribe_token
from samizdat.newsletter.models import Delivery

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SUBJECT = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)


def _status_fields(report: Message) -> list[dict[str, str]]:
    """The per-recipient field blocks of a message/delivery-status part."""
    blocks: list[dict[str, str]] = []
    payload = report.get_payload()
    parts = payload if isinstance(payload, list) else []
    for part in parts:
        if isinstance(part, Message):
            blocks.append({key.lower(): str(value) for key, value in part.items()})
    if not blocks:  # some parsers leave the part as raw text
        text = report.get_payload(decode=True)
        raw = text.decode(errors="replace") if isinstance(text, bytes) else str(payload)
        for chunk in raw.split("\n\n"):
            fields = {}
            for line in chunk.splitlines():
                key, _, value = line.partition(":")
                if value:
                    fields[key.strip().lower()] = value.strip()
            blocks.append(fields)
    return blocks


def hard_bounces(message: Message) -> list[tuple[str, str]]:
    """(recipient, status and diagnostic) for each permanent failure in a bounce report."""
    found = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in _status_fields(part):
            action = fields.get("action", "").lower()
            status = fields.get("status", "")
            # The address we sent to; after a forward the final recipient is another one.
            recipient = fields.get("original-recipient") or fields.get("final-recipient") or ""
            if action == "failed" and status.startswith("5") and ";" in recipient:
                address = recipient.split(";", 1)[1].strip().strip("<>")
                detail = f"{status} {fields.get('diagnostic-code', '')}".strip()
                found.append((address, detail))
    return found


def original_message_id(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() in {"text/rfc822-headers", "message/rfc822"}:
            match = OUR_MESSAGE_ID.search(part.as_string())
            if match:
                return match.group(0)
    return ""


def receive(raw: bytes) -> str:
    """Act on one inbound message; returns what was done, for the log."""
    message = message_from_bytes(raw, policy=policy.compat32)
    if message.get_content_type() == "multipart/report":
        # Anyone can mail the bounce address: a report counts only for the address of the
        # letter it returns (found by our Message-ID in the returned headers).
        message_id = original_message_id(message)
        match = OUR_MESSAGE_ID.search(message_id)
        sent_to = (
            Delivery.objects.filter(edition_id=int(match.group(1)), pk=int(match.group(2)))
            .values_list("email", flat=True)
            .first()
            if match
            else None
        )
        recorded = 0
        for address, detail in hard_bounces(message):
            if sent_to is None or address.strip().lower() != sent_to:
                logger.warning("bounce report for an address we did not write to: ignored")
                continue
            actions.record_bounce(
                email=address, kind="bounced", detail=detail, message_id=message_id
            )
            recorded += 1
        logger.info("bounce report: %s permanent failures", recorded)
        return f"bounce report: {recorded} permanent failure(s) recorded"
    match = UNSUBSCRIBE_SUBJECT.search(str(message.get("Subject", "")))
    if match:
        subscriber_id = subscriber_from_unsubscribe_token(match.group(1))
        if subscriber_id is not None and actions.unsubscribe(subscriber_id=subscriber_id):
            return "unsubscribed by mail"
        return "unsubscribe request with an invalid token ignored"
    return "not a bounce report or unsubscribe request; ignored"
