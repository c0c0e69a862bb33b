"""Send an edition's letters: each Delivery leaves ``pending`` exactly once.

How a letter is sent, and what happens when things break:

1. A sender *claims* up to ``SAMIZDAT_NEWSLETTER_CLAIM_SIZE`` (500) pending deliveries of the edition in one short
   transaction (row locks with SKIP LOCKED on PostgreSQL; SQLite takes the write lock at
   BEGIN), stamping them with its claim token and the database's time. When none is
   pending, it writes the deliveries of the audience among the next as many subscribers,
   claimed by itself and stamped the same way (``actions.freeze_slice``).
2. It sends them one by one, in id order, over its own connection, and records their outcomes
   (sent or failed) in batches: one transaction per ``SAMIZDAT_NEWSLETTER_RECORD_BATCH``
   letters (default 50), or sooner when ``RECORD_SECONDS`` passed, before it waits to retry,
   and before it claims more. On PostgreSQL that transaction does not wait for its WAL to
   reach the disk (``SET LOCAL synchronous_commit = off``). While it works it renews the
   claim's time.
3. If the worker dies (even ``kill -9``), its claim stops being renewed. Once the claim is
   older than ``SAMIZDAT_NEWSLETTER_CLAIM_LEASE`` seconds *by the database's clock*
   (``stale_before``; the nodes' own clocks never enter the comparison),
   ``release_stale_claims`` gives the claimed rows back to ``pending``. The letters the sender
   sent but had not yet recorded are *in doubt*: at most ``RECORD_BATCH`` per claim, the
   lowest ids of the claim still unrecorded (letters go out in id order). They are marked in
   their ``error`` field and sent again, with the same Message-ID; mail clients collapse a
   repeated Message-ID. Nothing recorded as sent is ever sent again, and nobody is skipped.
   With ``RECORD_BATCH=1`` at most one letter per claim is in doubt, at the price of one
   commit per letter.
4. If the *database server* crashes (not a worker), the records of about the last
   ``3 × wal_writer_delay`` (600 ms by default) before the crash may be lost, because they
   were committed without waiting for the disk. Those letters are then released like a dead
   sender's and go out again, with the same Message-ID, without an in-doubt mark beyond the
   lowest ``RECORD_BATCH`` of each claim.

Temporary failures (4xx replies, dropped connections) are retried on the same connection after
the delays in ``SAMIZDAT_NEWSLETTER_RETRY_DELAYS``; a letter still refused with 4xx after that
is marked failed. If the server cannot be reached at all, the sender gives its claim back and
stops; the worker resumes the edition later. Permanent refusals (5xx) mark the delivery failed
at once.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import close_old_connections, connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, Value
from django.db.models.functions import Now

from samizdat.core.logs import redact
from samizdat.newsletter.mail import PreparedEdition, RenderedEdition
from samizdat.newsletter.models import Delivery, Edition

logger = logging.getLogger(__name__)

LEASE_RENEWAL = 10.0
TABLE = Delivery._meta.db_table
RECORD_SECONDS = 0.5
IN_DOUBT = "in doubt: the worker stopped while sending this letter; sent again"


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "failed", "retry" (temporary), "down" (server unreachable)
    detail: str = ""
    provider_message_id: str = ""

    def __post_init__(self) -> None:
        # Mail servers quote the recipient in refusals; the detail is stored and logged.
        if self.detail:
            object.__setattr__(self, "detail", redact(self.detail)[:500])


class Transport(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def send(
        self,
        prepared: PreparedEdition,
        row: tuple[int, int, str],
        following: tuple[int, int, str] | None = None,
    ) -> Outcome: ...


def _code_outcome(code: int, message: Any) -> Outcome:
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    detail = f"{code} {text}"[:500]
    return Outcome("retry" if 400 <= code < 500 else "failed", detail)


DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _envelope(conn: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> bytes:
    size = f" SIZE={len(message)}" if conn.has_extn("size") else ""
    return f"MAIL FROM:<{sender}>{size}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode()


def _content(message: bytes) -> bytes:
    """The message as DATA sends it: dot-stuffed, ended by a line with a dot."""
    if message.startswith(b".") or b"\n." in message:
        message = DOT_AT_LINE_START.sub(b"..", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return message + b".\r\n"


def _read_envelope(conn: smtplib.SMTP, sender: str, recipient: str) -> None:
    """Read the replies to a pipelined MAIL FROM, RCPT TO and DATA; raise what
    ``smtplib.SMTP.sendmail`` raises unless the server now waits for the message."""
    (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = (
        conn.getreply() for _ in range(3)
    )
    if mail_code != 250 or rcpt_code not in (250, 251) or data_code != 354:
        if data_code == 354:  # the server wants a message after all: end it empty
            conn.send(b".\r\n")
            conn.getreply()
        if 421 in (mail_code, rcpt_code, data_code):
            conn.close()
        else:
            conn.rset()
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_text, sender)
        if rcpt_code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_text)})
        raise smtplib.SMTPDataError(data_code, data_text)


def _read_content_reply(conn: smtplib.SMTP) -> None:
    code, text = conn.getreply()
    if code != 250:
        if code == 421:
            conn.close()
        else:
            conn.rset()
        raise smtplib.SMTPDataError(code, text)


def can_pipeline(conn: smtplib.SMTP, sender: str, recipient: str) -> bool:
    conn.ehlo_or_helo_if_needed()
    return bool(conn.has_extn("pipelining")) and sender.isascii() and recipient.isascii()


def pipelined_sendmail(conn: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> None:
    """``conn.sendmail(sender, [recipient], message)`` in two round trips instead of four.

    When the server offers PIPELINING (RFC 2920; Postfix and most relays do), MAIL FROM, RCPT
    TO and DATA go in one write and their replies are read together. Raises what
    ``smtplib.SMTP.sendmail`` raises, so callers handle both the same way.
    """
    if not can_pipeline(conn, sender, recipient):
        conn.sendmail(sender, [recipient], message)
        return
    conn.send(_envelope(conn, sender, recipient, message))
    _read_envelope(conn, sender, recipient)
    conn.send(_content(message))
    _read_content_reply(conn)


class SmtpTransport:
    """Pre-built message bytes over Django's SMTP connection (TLS, auth and timeouts as
    configured by ``SAMIZDAT_EMAIL_URL``).

    Where the server offers PIPELINING, the envelope of the next letter (MAIL FROM, RCPT TO,
    DATA) goes in the same write as this letter's message (RFC 2920 allows message content
    first and DATA last in a group), so a letter costs one round trip. A server that waits
    for a message's content has accepted nothing yet: if the sender stops there (killed,
    its claim taken), the connection is dropped and the server forgets the envelope.
    """

    def __init__(self) -> None:
        backend = get_connection(fail_silently=False)
        assert isinstance(backend, SmtpBackend)
        self.backend: Any = backend
        # The letter whose envelope the server accepted (it waits for the message), and the
        # message; refusals of envelopes sent ahead, by delivery id.
        self.opened: tuple[int, bytes] | None = None
        self.refused: dict[int, Outcome] = {}

    def open(self) -> None:
        self.backend.open()

    def _drop(self) -> None:
        """Close the connection without QUIT (mid-DATA, QUIT would be message text)."""
        self.opened = None
        conn, self.backend.connection = self.backend.connection, None
        if conn is not None:
            try:
                conn.close()
            except OSError:
                logger.debug("closing the SMTP connection failed", exc_info=True)

    def close(self) -> None:
        if self.opened is not None:
            self._drop()
        try:
            self.backend.close()
        except Exception:  # closing a dead connection is not worth a failure
            logger.debug("closing the SMTP connection failed", exc_info=True)

    def send(
        self,
        prepared: PreparedEdition,
        row: tuple[int, int, str],
        following: tuple[int, int, str] | None = None,
    ) -> Outcome:
        """Send the letter of ``row``; with ``following`` (the letter to be sent next), send
        its envelope ahead where the server allows."""
        delivery_id, subscriber_id, email = row
        sender = prepared.envelope_from
        try:
            refusal = self.refused.pop(delivery_id, None)
            if refusal is not None:
                return refusal
            if self.opened is not None and self.opened[0] != delivery_id:
                self._drop()  # an envelope for another letter: abandon it
            if self.backend.connection is None:
                self.backend.open()
            conn = self.backend.connection
            if self.opened is not None:
                message, self.opened = self.opened[1], None
            else:
                message = prepared.message_bytes(delivery_id, subscriber_id, email)
                if not can_pipeline(conn, sender, email):
                    conn.sendmail(sender, [email], message)
                    return Outcome("sent")
                conn.send(_envelope(conn, sender, email, message))
                _read_envelope(conn, sender, email)
            ahead: bytes | None = None
            if following is not None and can_pipeline(conn, sender, following[2]):
                ahead = prepared.message_bytes(*following)
            if ahead is None or following is None:
                conn.send(_content(message))
                _read_content_reply(conn)
                return Outcome("sent")
            conn.send(_content(message) + _envelope(conn, sender, following[2], ahead))
            code, text = conn.getreply()
            if code != 250:
                self._drop()  # the next envelope's replies are still coming: start afresh
                raise smtplib.SMTPDataError(code, text)
            self._read_ahead(conn, sender, following, ahead)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            return _code_outcome(code, text)
        except smtplib.SMTPResponseException as error:  # before OSError: it is one
            if error.smtp_code in (421,):  # the server is closing the connection
                self._drop()
            return _code_outcome(error.smtp_code, error.smtp_error)
        except OSError as error:  # SMTPServerDisconnected, refused, reset, timed out
            self._drop()
            self.close()
            return Outcome("down", f"connection lost: {error}"[:500])
        except (UnicodeError, ValueError) as error:  # an address this server cannot take
            return Outcome("failed", f"cannot be sent: {error}"[:500])
        return Outcome("sent")

    def _read_ahead(
        self, conn: smtplib.SMTP, sender: str, following: tuple[int, int, str], message: bytes
    ) -> None:
        """After this letter was accepted: the replies to the next letter's envelope."""
        try:
            _read_envelope(conn, sender, following[2])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            self.refused[following[0]] = _code_outcome(code, text)
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:
                self._drop()
            self.refused[following[0]] = _code_outcome(error.smtp_code, error.smtp_error)
        except OSError:  # this letter is accepted; the next one starts on a new connection
            self._drop()
        else:
            self.opened = (following[0], message)


class BackendTransport:
    """Any other Django email backend: an ESP through django-anymail, the local outbox."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)

    def open(self) -> None:
        self.backend.open()

    def close(self) -> None:
        self.backend.close()

    def send(
        self,
        prepared: PreparedEdition,
        row: tuple[int, int, str],
        following: tuple[int, int, str] | None = None,
    ) -> Outcome:
        from anymail.exceptions import (
            AnymailAPIError,
            AnymailInvalidAddress,
            AnymailRecipientsRefused,
        )

        delivery_id, subscriber_id, email = row
        message = prepared.email_message(delivery_id, subscriber_id, email, self.backend)
        try:
            self.backend.send_messages([message])
        except AnymailRecipientsRefused as error:
            return Outcome("failed", str(error)[:500])
        except AnymailInvalidAddress as error:
            return Outcome("failed", str(error)[:500])
        except AnymailAPIError as error:
            code = getattr(error, "status_code", None) or 0
            if code and 400 <= code < 500 and code != 429:
                return Outcome("failed", str(error)[:500])
            return Outcome("retry", str(error)[:500])
        except OSError as error:
            return Outcome("down", str(error)[:500])
        status = getattr(message, "anymail_status", None)
        if status is not None:
            recipient = status.recipients.get(email)
            if recipient is not None and recipient.status in {"rejected", "invalid"}:
                return Outcome("failed", f"{recipient.status} by the mail service")
            return Outcome("sent", provider_message_id=str(status.message_id or "")[:200])
        return Outcome("sent")


def make_transport() -> Transport:
    backend = get_connection()
    if isinstance(backend, SmtpBackend):
        return SmtpTransport()
    return BackendTransport()


def record_batch() -> int:
    """Letters whose outcomes a sender writes in one transaction (at least 1)."""
    return max(int(settings.NEWSLETTER_RECORD_BATCH), 1)


def stale_before() -> ExpressionWrapper:
    """The database's ``now()`` minus the claim lease: claims stamped before it are stale.

    Computed by the database, like the stamps themselves (``claim``, ``renew``), so a node
    whose clock runs fast never takes letters from a sender that is alive, and one whose
    clock runs slow never leaves a dead sender's letters waiting."""
    lease = timedelta(seconds=settings.NEWSLETTER_CLAIM_LEASE)
    return ExpressionWrapper(Now() - Value(lease), output_field=DateTimeField())


def claim(edition_id: int, token: str, size: int | None = None) -> list[tuple[int, int, str]]:
    """Take up to ``size`` (default ``NEWSLETTER_CLAIM_SIZE``) deliveries for this sender; no
    other sender gets them. Pending ones first (the first slice, letters given back or
    released); when none is pending, the sender writes the deliveries of the audience among
    the next ``size`` subscribers claimed by itself (``actions.freeze_slice``), which spares
    each letter the claim's update."""
    from samizdat.newsletter.actions import freeze_slice

    size = max(size or settings.NEWSLETTER_CLAIM_SIZE, 1)
    while True:
        rows = _claim(edition_id, token, size)
        if rows or not freeze_slice(edition_id=edition_id, claim=token, size=size):
            return rows
        if rows := _claimed(token):
            return rows
        # Another sender froze that slice, or it held nobody to write to: the next one.


def _claim(edition_id: int, token: str, size: int) -> list[tuple[int, int, str]]:
    with transaction.atomic():
        # No ORDER BY: the (edition, status) index yields pending rows directly, where
        # sorting by id would walk past every letter already sent, on every claim.
        pending = Delivery.objects.filter(edition_id=edition_id, status=Delivery.Status.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        ids = list(pending.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CLAIMED, claim=token, claimed_at=Now()
        )
    return _claimed(token)


def _claimed(token: str) -> list[tuple[int, int, str]]:
    """The letters of this sender's claim, in the order they go out."""
    return list(
        Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED)
        .order_by("pk")
        .values_list("pk", "subscriber_id", "email")
    )


def database_now() -> str:
    """The database's ``now()`` as this database writes it in SQL (no parameters)."""
    sql, _params = Delivery.objects.all().query.get_compiler(connection=connection).compile(Now())
    return str(sql)


def record(token: str, outcomes: list[tuple[int, Outcome, int]]) -> int:
    """Write letters' outcomes, ``(delivery id, outcome, attempts)``, in one transaction;
    returns how many were still this sender's to record (fewer: the claim was taken).

    A letter sent without a complaint keeps the note it had (the in-doubt mark)."""
    groups: dict[tuple[str, str, str, int], list[int]] = {}
    for delivery_id, outcome, attempts in outcomes:
        status: str = Delivery.Status.SENT if outcome.status == "sent" else Delivery.Status.FAILED
        key = (status, outcome.detail, outcome.provider_message_id, attempts)
        groups.setdefault(key, []).append(delivery_id)
    now_sql = database_now()
    recorded = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What a database crash can repeat: see the module docstring, point 4.
            cursor.execute("SET LOCAL synchronous_commit = off")
        # One plain UPDATE per kind of outcome: building it through the ORM cost more than
        # the database's work, 50 letters at a time and a million letters an edition.
        for (status, detail, provider_message_id, attempts), ids in groups.items():
            sent_at = now_sql if status == Delivery.Status.SENT else "NULL"
            error = ", error = %s" if detail else ""
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"UPDATE {TABLE} SET status = %s, sent_at = {sent_at}, "  # noqa: S608 (no value in the text)
                f"provider_message_id = %s, attempts = attempts + %s, claim = ''{error} "
                f"WHERE id IN ({marks}) AND claim = %s AND status = %s",
                [
                    status,
                    provider_message_id,
                    attempts,
                    *([detail] if detail else []),
                    *ids,
                    token,
                    Delivery.Status.CLAIMED,
                ],
            )
            recorded += cursor.rowcount
    return recorded


class Recorder:
    """A sender's outcomes not written yet: written ``record_batch()`` at a time, or after
    ``RECORD_SECONDS``, or when ``flush`` is called."""

    def __init__(self, token: str, stats: dict[str, int]) -> None:
        self.token = token
        self.stats = stats
        self.batch = record_batch()
        self.pending: list[tuple[int, Outcome, int]] = []
        self.since = time.monotonic()

    def add(self, delivery_id: int, outcome: Outcome, attempts: int) -> bool:
        """False if the claim was taken from this sender."""
        if not self.pending:
            self.since = time.monotonic()
        self.pending.append((delivery_id, outcome, attempts))
        if len(self.pending) >= self.batch or time.monotonic() - self.since >= RECORD_SECONDS:
            return self.flush()
        return True

    def flush(self) -> bool:
        outcomes, self.pending = self.pending, []
        if not outcomes:
            return True
        recorded = record(self.token, outcomes)
        for _delivery_id, outcome, _attempts in outcomes:
            done = "sent" if outcome.status == "sent" else "failed"  # as recorded
            self.stats[done] = self.stats.get(done, 0) + 1
        return recorded == len(outcomes)


def renew(token: str) -> None:
    Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED).update(claimed_at=Now())


def give_back(token: str) -> None:
    Delivery.objects.filter(claim=token, status=Delivery.Status.CLAIMED).update(
        status=Delivery.Status.PENDING, claim=""
    )


def release_stale_claims(*, edition_id: int) -> int:
    """Return the claims of senders that stopped renewing them (by the database's clock) to
    ``pending``; mark the letters per claim that may have reached the server (see the module
    docstring)."""
    released = in_doubt = 0
    with transaction.atomic():
        stale = Delivery.objects.filter(
            edition_id=edition_id, status=Delivery.Status.CLAIMED, claimed_at__lt=stale_before()
        )
        tokens = set(stale.values_list("claim", flat=True))
        for token in tokens:
            rows = Delivery.objects.filter(
                claim=token, status=Delivery.Status.CLAIMED, claimed_at__lt=stale_before()
            )
            doubtful = list(rows.order_by("pk").values_list("pk", flat=True)[: record_batch()])
            in_doubt += Delivery.objects.filter(pk__in=doubtful).update(error=IN_DOUBT)
            released += rows.update(status=Delivery.Status.PENDING, claim="")
    if released:
        logger.warning(
            "edition %s: %s letters of %s stopped senders go out again (%s in doubt)",
            edition_id,
            released,
            len(tokens),
            in_doubt,
        )
    return released


class ServerDown(Exception):
    pass


def renewal_interval() -> float:
    """How often a working sender renews its claim: well within the lease."""
    return min(LEASE_RENEWAL, settings.NEWSLETTER_CLAIM_LEASE / 4)


def _pause(token: str, delay: float) -> None:
    """Wait before a retry, renewing the claim meanwhile: a retry delay may be longer than
    the lease, and a sender that waits is not a dead one whose letters others may take."""
    deadline = time.monotonic() + delay
    while (left := deadline - time.monotonic()) > 0:
        renew(token)
        time.sleep(min(left, renewal_interval()))


def _send_one(
    transport: Transport,
    prepared: PreparedEdition,
    row: tuple[int, int, str],
    recorder: Recorder,
    following: tuple[int, int, str] | None = None,
) -> tuple[Outcome, int]:
    attempts = 1
    outcome = transport.send(prepared, row, following)
    for delay in settings.NEWSLETTER_RETRY_DELAYS:
        if outcome.status not in {"retry", "down"}:
            break
        logger.info("letter %s: %s; trying again in %s s", row[0], outcome.detail, delay)
        if not recorder.flush():  # nothing sent waits unrecorded while this one waits
            raise TakenOver
        _pause(recorder.token, delay)
        attempts += 1
        outcome = transport.send(prepared, row)
    if outcome.status == "down":
        raise ServerDown(outcome.detail)
    return outcome, attempts


class TakenOver(Exception):
    """Another sender released this sender's claim (it had stopped renewing it)."""


def send_loop(edition_id: int, prepared: PreparedEdition, stats: dict[str, int]) -> None:
    """One connection's work: claim, send, record, until nothing is pending."""
    transport = make_transport()
    token = uuid.uuid4().hex
    recorder = Recorder(token, stats)
    try:
        try:
            transport.open()
        except OSError as error:  # refused, unreachable, TLS or login failure
            raise ServerDown(f"cannot connect: {error}"[:500]) from error
        renewed = time.monotonic()
        while rows := claim(edition_id, token):
            recorder.token = token
            for number, row in enumerate(rows):
                following = rows[number + 1] if number + 1 < len(rows) else None
                try:
                    outcome, attempts = _send_one(transport, prepared, row, recorder, following)
                    if not recorder.add(row[0], outcome, attempts):
                        raise TakenOver
                except ServerDown:
                    recorder.flush()
                    give_back(token)
                    raise
                except TakenOver:
                    logger.warning("letters of claim %s were taken over by another sender", token)
                    give_back(token)
                    return
                if time.monotonic() - renewed > renewal_interval():
                    renew(token)
                    renewed = time.monotonic()
            if not recorder.flush():
                logger.warning("letters of claim %s were taken over by another sender", token)
                give_back(token)
                return
            token = uuid.uuid4().hex
    finally:
        try:
            recorder.flush()  # after an unexpected error: what was sent, as sent
        except Exception:
            logger.exception("recording the last letters failed; they will be in doubt")
        transport.close()


def send_pending(*, edition_id: int, connections: int | None = None) -> dict[str, int]:
    """Send every pending letter of a sending edition over ``connections`` connections."""
    from samizdat.newsletter.actions import finish_edition

    edition = Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).first()
    if edition is None:
        return {}
    prepared = PreparedEdition(
        edition.pk,
        edition.language,
        RenderedEdition(edition.frozen_subject, edition.frozen_html, edition.frozen_text),
    )
    count = max(connections or settings.NEWSLETTER_CONNECTIONS, 1)
    stats: dict[str, int] = {}
    errors: list[BaseException] = []
    if count == 1:
        send_loop(edition_id, prepared, stats)
    else:

        def run() -> None:
            try:
                send_loop(edition_id, prepared, stats)
            except BaseException as error:
                errors.append(error)
            finally:
                close_old_connections()
                connection.close()

        threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    finish_edition(edition_id=edition_id)
    return stats


def drain(*, edition_id: int, connections: int | None = None, poll: float = 1.0) -> None:
    """Send until the edition is finished, taking over claims of senders that stopped (after
    their lease runs out). Used by ``samizdat newsletter send``."""
    from samizdat.newsletter.actions import finish_edition

    while True:
        release_stale_claims(edition_id=edition_id)
        send_pending(edition_id=edition_id, connections=connections)
        if (
            finish_edition(edition_id=edition_id)
            or not Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).exists()
        ):
            return
        time.sleep(poll)  # another sender holds a claim: wait for it to finish or go stale
