"""Log lines that say what happened without saying who asked.

Every handler of ``settings.LOGGING`` carries ``RedactPersonalData``: what still looks like an
email address or a link's token in a line is replaced before it is written. It is a net under
the code, which does not log addresses or tokens in the first place.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# ?token=…, &token=…, and the path forms links had before tokens moved to the query string.
TOKEN = re.compile(
    r"(?P<key>[?&;]token=|/(?:confirm|unsubscribe|manage|transfer)/)(?P<value>[^\s&\"'/?#]{8,})"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    text = EMAIL.sub("[address]", text)
    return TOKEN.sub(lambda match: match.group("key") + REDACTED, text)


class RedactPersonalData(logging.Filter):
    """Rewrites the record's message (and its traceback) without addresses and tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format
            message = f"{record.msg} {record.args}"
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class MailNotSent(Exception):
    """A letter was not sent; the message says why in words that name no address."""


@contextmanager
def mail_errors_without_addresses() -> Iterator[None]:
    """Mail servers quote the recipient in their refusals (``SMTPRecipientsRefused`` holds
    the addresses): for the errors a task stores and the worker logs, re-raise those as
    ``MailNotSent`` with the address taken out."""
    try:
        yield
    except Exception as error:
        message = str(error)
        cleaned = redact(message)
        if cleaned == message and not isinstance(error, smtplib.SMTPException):
            raise
        code = getattr(error, "smtp_code", None)
        reason = f"{type(error).__name__}" + (f" ({code})" if code else "")
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            codes = sorted({str(code) for code, _reply in error.recipients.values()})
            reason += f" ({', '.join(codes)})"
        raise MailNotSent(f"{reason}: {cleaned}") from None


class RefusedHost(logging.Filter):
    """``django.security.DisallowedHost``: Django logs a full traceback with the request for
    each one, which a scanner turns into a flood. Keep one short line naming neither the
    client nor the host it asked for (an attacker writes that)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = "Refused a request for a host this site does not serve (ALLOWED_HOSTS)"
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.__dict__.pop("request", None)
        return True
