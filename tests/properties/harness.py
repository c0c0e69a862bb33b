"""What every property test of a public endpoint checks, and how it sends one request.

A request from the outside world (a reader, a bot, a payment or mail service) may be
anything. Whatever it is, the answer is never a 5xx; a refusal (4xx) says why in its body;
and a refused request leaves the database as it was and sends no mail. Each example runs in
a savepoint that is rolled back afterwards, with the caches emptied, so examples neither see
nor limit each other.

The addresses of the endpoints are built here (``url``, ``token_url``) and nowhere else in
these tests, so a route that changes shape is adapted in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from django.apps import apps
from django.core import mail
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client, TestCase
from django.urls import NoReverseMatch, reverse
from hypothesis import settings as hypothesis_settings

from tests.properties import tally

if TYPE_CHECKING:
    from tests.responses import ClientResponse


def budget(weight: float = 1.0) -> hypothesis_settings:
    """Hypothesis settings for one endpoint: ``weight`` times the profile's ``max_examples``
    (cheap endpoints get more examples, pages that render a lot fewer)."""
    profile = hypothesis_settings()  # the loaded profile's values
    return hypothesis_settings(max_examples=max(5, round(profile.max_examples * weight)))


def url(name: str, *args: Any, **query: Any) -> str:
    """The address of a named route, with ``query`` as its query string."""
    address = reverse(name, args=args)
    return f"{address}?{urlencode(query)}" if query else address


def token_url(name: str, token: str, **query: Any) -> str:
    """The address of a link that acts for a person: the token in the path where the route
    takes it there, otherwise in the query string (``?token=…``)."""
    try:
        address = reverse(name, args=["TOKEN"]).replace("TOKEN", quote(token, safe=""))
    except NoReverseMatch:
        address = reverse(name)
        query = {"token": token, **query}
    return f"{address}?{urlencode(query)}" if query else address


def mangle(token: str, how: int, text: str) -> str:
    """A genuine token changed as a forger or a broken mail client might: replaced by
    ``text`` (``how`` 0), cut in half (1), with ``text`` added (2), or one character near
    its end (where the signature is) replaced."""
    if how == 0:
        return text
    if how == 1:
        return token[: len(token) // 2]
    if how == 2:
        return token + text
    position = len(token) - 1 - (how % 7)
    return token[:position] + (text[:1] or "A") + token[position + 1 :]


# Made on a page's first view and kept, like a cache: reading may add them.
DERIVED = {"wagtailimages_rendition"}


def _tables() -> list[str]:
    names: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            names.add(meta.db_table)
    return sorted(names)


_COUNT_SQL: list[str] = []


def row_counts() -> dict[str, int]:
    """The number of rows of every table of every model, in one query."""
    tables = _tables()
    if not _COUNT_SQL:
        quote_name = connection.ops.quote_name
        # Table names from the models, not input.
        counts = ", ".join(f"(SELECT COUNT(*) FROM {quote_name(t)})" for t in tables)  # noqa: S608
        _COUNT_SQL.append(f"SELECT {counts}")
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SQL[0])
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


@contextmanager
def one_example() -> Iterator[None]:
    """A clean slate for one example: empty caches (rate limits, cached settings) and a
    savepoint rolled back afterwards."""
    for alias in ("default", "renditions"):
        caches[alias].clear()
    mail.outbox = []
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def send(
    endpoint: str,
    request: Callable[[], ClientResponse],
    *,
    reading: bool = False,
    stores_nothing: bool | None = None,
    retry_later: bool = False,
    records: frozenset[str] = frozenset(),
) -> ClientResponse:
    """Send one request (``request()``, a call on Django's test client) and check what every
    public endpoint owes its callers; the response, for checks of the endpoint's own.

    ``reading``: the endpoint only shows something, so whatever its answer it stores nothing
    (``stores_nothing``, also for endpoints that are not for readers) and sets no cookie.
    ``retry_later``: a webhook may answer 503 to have the sender try again later (an event
    ahead of the one it follows), saying why and storing nothing. ``records``: tables a
    refused request is meant to write to (a failed sign-in is counted and goes into the audit
    log); nothing else may change."""
    stores_nothing = reading if stores_nothing is None else stores_nothing
    before, letters = row_counts(), len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = request()
    status = response.status_code
    tally.count(endpoint, status)
    body = b"" if response.streaming else response.content
    refused = 400 <= status < 500 or (retry_later and status == 503)
    assert status < 500 or refused, f"{endpoint}: {status}\n{body[:2000]!r}"
    if refused:
        method = response.wsgi_request.method
        if method != "HEAD":
            assert body.strip(), f"{endpoint}: a {status} that does not say why"
    if refused or stores_nothing:
        after = row_counts()
        changed = {
            table: (before[table], after[table])
            for table in before
            if before[table] != after[table]
            and not (reading and table in DERIVED)
            and table not in records
        }
        assert not changed, f"{endpoint}: a {status} answer, and rows stored: {changed}"
        assert len(mail.outbox) == letters, f"{endpoint}: a {status} answer, and mail sent"
    if reading:
        assert not response.cookies, f"{endpoint}: a cookie for a reader: {response.cookies}"
    return response


def client(**defaults: Any) -> Client:
    """A fresh test client per request: no cookie carries over from one example to the next."""
    return Client(**defaults)
