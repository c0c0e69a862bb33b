"""Reading one line of the readers' access log (``mirrors.nginx.REACH_LOG_VERSION``) into
what it counts for: the day, the path and the channel, or nothing (not a page read)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from dataclasses import dataclass

from samizdat.mirrors.nginx import REACH_LOG_VERSION
from samizdat.reach.models import FEED, MIRROR, NEWSLETTER, ONION, ORIGIN, OTHER

FIELDS = 8
PATH_LENGTH = 500
_ESCAPED = re.compile(rb"\\x([0-9A-Fa-f]{2})")
_FEED = re.compile(r"/feed/(?:rss|atom)/(?:index\.xml)?$")
# Files of the site that are no page: assets, uploads, what the app answers for.
NOT_PAGES = ("/static/", "/media/", "/_collected/", "/admin/", "/documents/", "/_util/")
READ_STATUSES = {b"200", b"304"}
_DAY = re.compile(rb"\d{4}-\d\d-\d\d")


class Malformed(ValueError):
    """The line is not in the readers' log format."""


@dataclass(frozen=True)
class Hosts:
    """What a host read at says: the site's hosts, and the mirrors' hosts."""

    site: Collection[str]
    mirrors: Collection[str]

    def channel(self, host: str) -> str:
        if host in self.site:
            return ORIGIN
        if host in self.mirrors:
            return MIRROR + host
        return OTHER


def read(line: bytes, hosts: Hosts) -> tuple[datetime.date, str, str] | None:
    """(day, path, channel) of a page read; None for a line that is no page read (an asset,
    a 404, a redirect, a post); Malformed for a line not in the format."""
    fields = line.rstrip(b"\r\n").split(b"\t")
    if len(fields) != FIELDS or fields[0] != REACH_LOG_VERSION.encode():
        raise Malformed("not a line of the readers' log")
    _version, day_text, block, host_text, method, status, via, uri = fields
    if not _DAY.fullmatch(day_text) or block not in (b"web", b"onion"):
        raise Malformed("no day or server block")
    try:
        day = datetime.date.fromisoformat(day_text.decode())
        path = _unescape(uri)
        host = _unescape(host_text).lower()
    except (ValueError, UnicodeDecodeError):
        raise Malformed("a day or path that cannot be read") from None
    if method != b"GET" or status not in READ_STATUSES:  # HEAD: a link checker, not a reader
        return None
    if not path.startswith("/") or len(path) > PATH_LENGTH or path.startswith(NOT_PAGES):
        return None
    if _FEED.search(path):
        return day, path.removesuffix("index.xml"), ONION if block == b"onion" else FEED
    if path.endswith("/index.html"):
        path = path.removesuffix("index.html")
    if not path.endswith("/"):
        return None  # a file: robots.txt, a sitemap, an image
    if block == b"onion":
        return day, path, ONION
    if via == b"newsletter":
        return day, path, NEWSLETTER
    return day, path, hosts.channel(host)


def _unescape(value: bytes) -> str:
    """What nginx wrote as \\xHH back to the bytes, read as UTF-8."""
    return _ESCAPED.sub(lambda match: bytes([int(match.group(1), 16)]), value).decode("utf-8")
