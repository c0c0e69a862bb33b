"""Mail that comes in: bounce reports (RFC 3464), unsubscribe requests sent to the ``mailto:``
of ``List-Unsubscribe``, and, at ``SAMIZDAT_NEWSLETTER_SUBSCRIBE_ADDRESS``, readers who
subscribe by writing "subscribe" and confirm by replying to the confirmation letter. The mail
server pipes each message to ``samizdat newsletter receive``."""

from __future__ import annotations

import html
import logging
import re
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses

from django.conf import settings
from django.utils import translation

from samizdat.newsletter import actions
from samizdat.newsletter.actions import OUR_MESSAGE_ID
from samizdat.newsletter.mail import subscriber_from_unsubscribe_token
from samizdat.newsletter.models import Delivery

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SUBJECT = re.compile(r"unsubscribe\s+(\S+)", re.IGNORECASE)
# The line a confirmation letter asks a reply to keep (quoted or not): "confirm <token>".
CONFIRM_LINE = re.compile(r"\bconfirm\s+([A-Za-z0-9_-]{40,64})(?![A-Za-z0-9_-])")
QUOTED = re.compile(r"^\s*>")
TAG = re.compile(r"<[^>]*>")
# Headers that mark a letter no person wrote (RFC 3834, and what common responders add):
# an out-of-office reply quoting the confirmation letter must not confirm anyone.
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


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
    if settings.NEWSLETTER_SUBSCRIBE_ADDRESS:
        # Read again with today's policy: a reader's subject may be raw UTF-8 or encoded words.
        return _from_a_reader(message_from_bytes(raw, policy=policy.default))
    return "not a bounce report or unsubscribe request; ignored"


def automatic(message: Message) -> bool:
    """Whether no person wrote ``message``: an auto-reply, a list's or a robot's letter."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        submitted != "no"
        or precedence in AUTOMATIC_PRECEDENCE
        or any(name in message for name in ("X-Autoreply", "X-Autorespond", "List-Id"))
    )


def text_of(message: Message) -> str:
    """The letter's text: its plain-text parts, or its HTML without tags where it has none."""
    plain, rich = [], []
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        if part.get_content_subtype() == "plain":
            plain.append(text)
        elif part.get_content_subtype() == "html":
            rich.append(html.unescape(TAG.sub(" ", text)))
    return "\n".join(plain or rich)


def subscribe_words() -> dict[str, str]:
    """The word that asks for the newsletter, in each of the site's languages: its language."""
    words = {"subscribe": settings.LANGUAGE_CODE}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words.setdefault(translation.pgettext("a letter's request", "subscribe"), code)
    return {word.lower(): code for word, code in words.items()}


def asked_language(subject: str, text: str) -> str | None:
    """The language of a request for the newsletter — the subject or the first line the reader
    wrote is "subscribe" (in any of the site's languages), maybe followed by a language code —
    or None if the letter asks for nothing of the sort."""
    first = next(
        (line for line in text.splitlines() if line.strip() and not QUOTED.match(line)), ""
    )
    words = subscribe_words()
    for candidate in (subject, first):
        parts = candidate.strip().rstrip(".!").lower().split()
        if parts and parts[0] in words and len(parts) <= 2:
            codes = {code for code, _name in settings.LANGUAGES}
            if len(parts) == 2:
                return parts[1] if parts[1] in codes else None
            return words[parts[0]]
    return None


def _from_a_reader(message: Message) -> str:
    senders = [address for _name, address in getaddresses(message.get_all("From", [])) if address]
    if automatic(message) or len(senders) != 1:
        logger.info("inbound letter not written by one person: ignored")
        return "automatic or unsigned letter; ignored"
    sender, subject, text = senders[0], str(message.get("Subject", "")), text_of(message)
    confirm = CONFIRM_LINE.search(text) or CONFIRM_LINE.search(subject)
    if confirm:
        if actions.confirm_by_reply(token=confirm.group(1), sender=sender):
            logger.info("subscription confirmed by reply")
            return "subscription confirmed by reply"
        logger.info("confirmation reply with an unknown or used code, or from another address")
        return "confirmation reply not matching a pending subscriber; ignored"
    language = asked_language(subject, text)
    if language is None:
        return "not a bounce report, unsubscribe request or subscription; ignored"
    actions.subscribe_by_mail(email=sender, language=language)
    # The same answer whatever became of it: the log never tells who is on the list.
    logger.info("subscription request by mail (%s)", language)
    return f"subscription request by mail ({language}) taken"
