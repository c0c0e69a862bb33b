"""What every reader-facing form shares: origin check, rate limits, the client's address.

Reader forms may sit on static copies of the site, so they carry no CSRF token; they hold no
session either. They accept only their own fields, refuse posts from unknown origins (and from
the opaque origin ``null`` a sandboxed frame of any site sends) and are rate-limited for the
whole installation: in Redis when there is one, else in the database, never in one process's
memory. Addresses are only ever used as HMAC digests in the keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt

from samizdat.core import hooks

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL as a browser writes it (no default port), or ""."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if not scheme or not parts.hostname:
        return ""
    host = parts.hostname  # lower case, without brackets
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


def app_origins() -> list[str]:
    """Where the dynamic app answers, SITE_URL's origin first: what reader forms post to."""
    found = (origin_of(url) for url in [settings.SITE_URL, *settings.APP_ORIGINS])
    return list(dict.fromkeys(origin for origin in found if origin))


def known_origins() -> set[str]:
    """Origins whose pages may post reader forms: the app's, ``SAMIZDAT_FORM_ORIGINS`` and
    those apps register (the public mirrors')."""
    origins = {origin_of(url) for url in settings.FORM_ORIGINS}
    origins.update(app_origins())
    origins.update(origin_of(url) for url in hooks.collect(hooks.FORM_ORIGINS))
    origins.discard("")
    return origins


def client_ip(request: HttpRequest) -> str:
    """The reader's address: the socket's, or the one the trusted proxies saw."""
    if settings.TRUSTED_PROXIES:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= settings.TRUSTED_PROXIES:
            return forwarded[-settings.TRUSTED_PROXIES]
    return str(request.META.get("REMOTE_ADDR", ""))


def allow(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt for ``key`` in ``scope``; False once ``limit`` is passed in ``window``
    seconds. The key is kept only as a keyed digest. The count holds for every process of the
    installation: Redis when configured, otherwise a row in the database."""
    if settings.REDIS_URL:
        count = _count_in_cache(_slot(scope, key), window)
    else:
        count = _count_in_database(_slot(scope, key), window)
    return count <= limit  # a limit of 0 allows nothing


def peek(scope: str, key: str) -> int:
    """How many attempts ``allow`` has counted for ``key`` in ``scope`` in the current window,
    without counting one."""
    if settings.REDIS_URL:
        return int(cache.get(_slot(scope, key)) or 0)
    from samizdat.core.models import RateCount

    found = RateCount.objects.filter(slot=_slot(scope, key), expires__gt=int(time.time()))
    return int(found.values_list("count", flat=True).first() or 0)


def reset(scope: str, key: str) -> None:
    """Forget the attempts counted for ``key`` in ``scope``."""
    if settings.REDIS_URL:
        cache.delete(_slot(scope, key))
        return
    from samizdat.core.models import RateCount

    RateCount.objects.filter(slot=_slot(scope, key)).delete()


def _slot(scope: str, key: str) -> str:
    digest = salted_hmac("samizdat.ratelimit", f"{scope}:{key}").hexdigest()[:32]
    if settings.REDIS_URL:
        return f"samizdat:rl:{scope}:{digest}"
    return f"{scope[:60]}:{digest}"


def _count_in_cache(cache_key: str, window: int) -> int:
    if cache.add(cache_key, 1, timeout=window):
        return 1
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        return 1


# One statement, atomic in SQLite (3.35+) and PostgreSQL alike: the first attempt inserts the
# row, later ones add one, and the first attempt after the window starts a new one. Every
# expression of the SET reads the row as it was.
_UPSERT = """
INSERT INTO samizdat_core_ratecount (slot, count, expires) VALUES (%s, 1, %s)
ON CONFLICT (slot) DO UPDATE SET
    count = CASE WHEN samizdat_core_ratecount.expires <= %s THEN 1
                 ELSE samizdat_core_ratecount.count + 1 END,
    expires = CASE WHEN samizdat_core_ratecount.expires <= %s THEN excluded.expires
                   ELSE samizdat_core_ratecount.expires END
RETURNING count
"""


def _count_in_database(key: str, window: int) -> int:
    now = int(time.time())
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, now + window, now, now])
        row = cursor.fetchone()
    return int(row[0])


def forget_expired_counts(now: float | None = None) -> int:
    """Remove the counts of windows that are over (a periodic job)."""
    from samizdat.core.models import RateCount

    deleted, _ = RateCount.objects.filter(expires__lte=int(now or time.time())).delete()
    return deleted


def public_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view as a reader form: no CSRF token, but posts from unknown origins refused.

    ``Origin: null`` is refused too: it is what a sandboxed frame on any site sends. Our own
    pages never send it, since they ask for ``Referrer-Policy: strict-origin`` (a browser sends
    ``null`` for a cross-origin post under ``same-origin`` or ``no-referrer``). A post without
    ``Origin`` (an old browser, a mail client's one-click unsubscribe) is let through."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin:
            reason = ""
            if origin.strip() == "null":
                reason = (
                    "This form does not accept posts from sandboxed or hidden pages "
                    "(Origin: null): open the newsroom's page itself and send it from there."
                )
            elif origin_of(origin) not in known_origins():
                reason = "This form only accepts posts from the newsroom's own pages."
            if reason:
                return HttpResponseForbidden(reason, content_type="text/plain; charset=utf-8")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)
