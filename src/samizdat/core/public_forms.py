"""What every reader-facing form shares: origin check, rate limits, the client's address.

Reader forms may sit on static copies of the site, so they carry no CSRF token; they hold no
session either. They accept only their own fields, refuse posts from unknown origins and are
rate-limited in the cache. Addresses are only ever used as HMAC digests in cache keys.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.crypto import salted_hmac
from django.views.decorators.csrf import csrf_exempt

from samizdat.core import hooks

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL as a browser writes it (no default port), or ""."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # "http://[bad", a port past 65535: no origin a browser sends
        return ""
    scheme = parts.scheme.lower()
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
    seconds. The key is kept only as a keyed digest."""
    digest = salted_hmac("samizdat.ratelimit", f"{scope}:{key}").hexdigest()[:32]
    cache_key = f"samizdat:rl:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=window):
        return limit >= 1  # a limit of 0 allows nothing
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        return limit >= 1
    return count <= limit


def public_form(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view as a reader form: no CSRF token, but posts from unknown origins refused."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = request.headers.get("Origin")
        if (
            request.method == "POST"
            and origin
            and origin != "null"
            and origin_of(origin) not in known_origins()
        ):
            return HttpResponseForbidden(
                "This form only accepts posts from the newsroom's own pages.",
                content_type="text/plain; charset=utf-8",
            )
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)
