"""The one bundle of the installation, as every node agrees on it: who builds now, which full
build was asked for and which node runs it, and which pages must vanish.

One builder at a time, on whatever machine: on PostgreSQL a session advisory lock held on a
connection of its own (a builder that dies lets go with its connection); on SQLite a lease
in ``BundleState`` (``BUNDLE_LOCK_LEASE`` seconds by the database's clock, renewed as the
build progresses; one that stops renewing is taken over). A builder that cannot get the lock
within ``BUNDLE_LOCK_WAIT`` seconds raises ``BundleBusy``, naming the holder.

Full builds are asked for (``request_full_build``) and claimed (``claim_full_build``) with
conditional UPDATEs on a counter, so many requests queued on many nodes make one build.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from samizdat.mirrors.models import BundleState, BundleTakedown

# pg_advisory_lock(NAMESPACE, BUILDER): two int4 keys, so pg_locks shows them plainly.
LOCK_NAMESPACE = 0x53414D  # "SAM"
LOCK_BUILDER = 1
POLL = 0.25  # seconds between tries of a waiting builder


class BundleBusy(Exception):
    """Another process holds the builder's lock (named in the message) for longer than
    ``BUNDLE_LOCK_WAIT``."""

    def __init__(self, holder: str, waited: float) -> None:
        self.holder = holder
        super().__init__(
            f"another builder holds the bundle ({holder or 'unknown'}); waited {waited:.0f} s"
        )


def _state() -> Any:
    BundleState.objects.get_or_create(pk=1)
    return BundleState.objects.filter(pk=1)


def db_now() -> datetime:
    """The database's clock (every node compares times by it)."""
    sql = (
        "SELECT clock_timestamp()" if _postgres() else "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"
    )
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        now = cursor.fetchone()[0]
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    return now if timezone.is_aware(now) else now.replace(tzinfo=UTC)


def holder_name(purpose: str) -> str:
    """Who builds: machine, process, what and since when (at most 63 characters, what
    PostgreSQL keeps of an application_name)."""
    when = time.strftime("%H:%M:%S", time.gmtime())
    return f"{socket.gethostname()[:24]} pid {os.getpid()} {purpose[:12]} since {when}Z"[:63]


class Holder:
    """The builder's lock as held by this process; ``renew`` keeps an SQLite lease alive
    (called as the build progresses; cheap, it writes at most every third of the lease)."""

    def __init__(self, name: str, token: str, lease: float) -> None:
        self.name = name
        self.token = token
        self.lease = lease
        self.renewed_at = time.monotonic()

    def renew(self) -> None:
        if not self.token or time.monotonic() - self.renewed_at < self.lease / 3:
            return
        asked = time.monotonic()
        if (
            not _state()
            .filter(lock_holder=self.token)
            .update(lock_until=Now() + timedelta(seconds=self.lease))
        ):
            from samizdat.mirrors.write import BundleError

            raise BundleError("the bundle's lease was lost (another builder took it over)")
        self.renewed_at = asked


def _postgres() -> bool:
    return bool(connections["default"].vendor == "postgresql")


@contextmanager
def builder_lock(purpose: str = "build", *, wait: float | None = None) -> Iterator[Holder]:
    """Hold the one builder's lock of the installation, waiting up to ``wait`` seconds
    (default ``BUNDLE_LOCK_WAIT``) for it; ``BundleBusy`` names who holds it then."""
    wait = float(settings.BUNDLE_LOCK_WAIT if wait is None else wait)
    name = holder_name(purpose)
    if _postgres():
        with _advisory_lock(name, wait) as holder:
            yield holder
    else:
        with _lease(name, wait) as holder:
            yield holder


@contextmanager
def _advisory_lock(name: str, wait: float) -> Iterator[Holder]:
    own = connections["default"].copy()  # a session of its own: the lock lives as long
    try:
        own.ensure_connection()
        own.set_autocommit(True)
        with own.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', %s, false)", [name])
            deadline = time.monotonic() + wait
            while True:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, LOCK_BUILDER]
                )
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    raise BundleBusy(_advisory_holder(cursor), wait)
                time.sleep(POLL)
        try:
            yield Holder(name, "", float(settings.BUNDLE_LOCK_LEASE))
        finally:
            with own.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, LOCK_BUILDER])
    finally:
        own.close()


def _advisory_holder(cursor: Any) -> str:
    cursor.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s "
        "AND l.objsubid = 2 AND l.database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())",
        [LOCK_NAMESPACE, LOCK_BUILDER],
    )
    row = cursor.fetchone()
    return str(row[0]) if row else ""


@contextmanager
def _lease(name: str, wait: float) -> Iterator[Holder]:
    lease = float(settings.BUNDLE_LOCK_LEASE)
    token = f"{name} #{secrets.token_hex(4)}"
    deadline = time.monotonic() + wait
    while True:
        if take_lease(token, lease):
            break
        if time.monotonic() >= deadline:
            holder = BundleState.objects.filter(pk=1).values_list("lock_holder", flat=True)
            raise BundleBusy(str(holder.first() or "").rsplit(" #", 1)[0], wait)
        time.sleep(POLL)
    try:
        yield Holder(name, token, lease)
    finally:
        _state().filter(lock_holder=token).update(lock_holder="", lock_until=None)


def take_lease(token: str, lease: float) -> bool:
    """Take the SQLite builder's lease when it is free or lapsed (one UPDATE)."""
    free = Q(lock_until__isnull=True) | Q(lock_until__lt=Now())
    return bool(
        _state().filter(free).update(lock_holder=token, lock_until=Now() + timedelta(seconds=lease))
    )


# --- full builds --------------------------------------------------------------------------


def request_full_build() -> None:
    """Ask for a full build (the caller queues the task that claims it)."""
    _state().update(full_requests=F("full_requests") + 1, full_requested_at=Now())


def claim_full_build() -> bool:
    """Whether this process runs the full build asked for last: exactly one claimer wins
    each batch of requests (those made before it claimed)."""
    return bool(
        _state()
        .filter(full_claimed__lt=F("full_requests"))
        .update(full_claimed=F("full_requests"), full_started_at=Now())
    )


def full_build_started(*, since: float) -> bool:
    """Whether a full build started (by the database's clock) after ``since`` (a timestamp
    from ``db_now``)."""
    moment = datetime.fromtimestamp(since, tz=UTC)
    return BundleState.objects.filter(pk=1, full_started_at__gt=moment).exists()


def build_started() -> None:
    _state().update(full_started_at=Now())


def build_finished(result: str) -> None:
    _state().update(full_finished_at=Now(), last_result=result[:200])


# --- takedowns ----------------------------------------------------------------------------


def pending_takedowns() -> list[BundleTakedown]:
    return list(BundleTakedown.objects.filter(done_at=None).order_by("pk"))


def takedowns_done(pks: list[int]) -> None:
    BundleTakedown.objects.filter(pk__in=pks).update(done_at=Now())
