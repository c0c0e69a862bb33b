"""gunicorn's error log without client addresses (``samizdat serve --logger-class``).

gunicorn names the client in its error log: ``Invalid request from ip=…`` for every malformed
request, and the proxy's or client's address in PROXY-protocol and forbidden-proxy errors.
A seized server's log must not list who read what, so every line of the error log (and the
traceback of one) has its IP addresses replaced by ``[address]`` — except the line naming the
address the server itself listens at. The access log's format names no address either.
Imported by gunicorn before Django: no Django here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

HIDDEN = "[address]"
_IP = re.compile(
    r"(?<![\w.:])(?:"
    r"(?:\d{1,3}\.){3}\d{1,3}"  # IPv4
    r"|\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?"  # IPv6, with at least 2 colons
    r")(?![\w.])"
)
_FROM = re.compile(r"Invalid request from ip=\[address\]:?")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")  # 12:45 or 12:45:27 is a time, not an address


def without_addresses(text: str) -> str:
    def hide(match: re.Match[str]) -> str:
        found = match.group(0)
        if ":" in found and "." not in found and _TIME.fullmatch(found):
            return found
        return HIDDEN

    return _FROM.sub("Invalid request:", _IP.sub(hide, text))


class NoAddresses(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Listening at:"):  # the server's own address, for the operator
            return True
        record.msg, record.args = without_addresses(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = without_addresses(record.exc_text)
        return True


class Logger(GunicornLogger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(isinstance(f, NoAddresses) for f in self.error_log.filters):
            self.error_log.addFilter(NoAddresses())
