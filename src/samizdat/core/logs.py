"""Log lines that say what happened without saying who asked."""

from __future__ import annotations

import logging


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
