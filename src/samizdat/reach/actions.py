"""Folding access logs into daily counts, recording failover reports, forgetting old counts.

Counts are added with one ``INSERT … ON CONFLICT DO UPDATE`` per batch (SQLite 3.35+ and
PostgreSQL alike), in the same transaction as the log's cursor moves on: a fold that fails
or is interrupted adds nothing, and one that ran already is not counted twice.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from samizdat.core.public_forms import origin_of
from samizdat.mirrors.models import Mirror
from samizdat.reach import logfile
from samizdat.reach.models import OTHER, FailoverCount, LogCursor, ReadCount

logger = logging.getLogger(__name__)

CHUNK_BYTES = 4 * 1024 * 1024  # read and counted in one transaction
HEAD_BYTES = 8192  # a first line longer than this is not one of ours
BATCH = 500  # rows per INSERT


@dataclass
class FoldReport:
    path: str
    lines: int = 0  # lines read
    reads: int = 0  # page reads counted
    skipped: int = 0  # malformed lines
    restarted: bool = False  # rotated or truncated since the last fold: read from its start
    missing: bool = False


class _Lost(Exception):
    """Another process folded the same lines first."""


def node_name() -> str:
    return socket.gethostname()


def hosts() -> logfile.Hosts:
    """The site's hosts (SITE_URL and the other addresses of the app, the onion apart) and
    those of every mirror on the list."""
    onion = urlsplit(settings.ONION_URL).hostname if settings.ONION_URL else None
    site = {urlsplit(url).hostname for url in [settings.SITE_URL, *settings.APP_ORIGINS]}
    site.discard(onion)
    mirrors = {urlsplit(url).hostname for url in Mirror.objects.values_list("url", flat=True)}
    return logfile.Hosts(
        site={host for host in site if host}, mirrors={host for host in mirrors if host}
    )


def fold(*, paths: Iterable[str | Path], node: str | None = None) -> list[FoldReport]:
    """Count the page reads of each access log from where the last fold stopped."""
    if not settings.REACH_COUNTS:
        return []
    known = hosts()
    return [fold_file(path=Path(path), hosts=known, node=node) for path in paths]


def fold_file(*, path: Path, hosts: logfile.Hosts, node: str | None = None) -> FoldReport:
    report = FoldReport(path=str(path))
    key = f"{node or node_name()}:{os.path.abspath(path)}"
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        report.missing = True
        return report
    first_skipped_at: int | None = None
    with handle:
        first = handle.readline(HEAD_BYTES)
        if not first.endswith(b"\n"):
            return report  # empty, or its first line still being written
        head = hashlib.sha256(first).hexdigest()
        while True:
            size = os.fstat(handle.fileno()).st_size
            try:
                with transaction.atomic():
                    # Write first: takes SQLite's write lock (as IMMEDIATE transactions do)
                    # and PostgreSQL's row lock, so folds of one log wait for each other.
                    LogCursor.objects.filter(key=key).update(updated_at=timezone.now())
                    cursor = LogCursor.objects.select_for_update().filter(key=key).first()
                    start = _start(handle, cursor, head, size)
                    if cursor is not None and start == 0 and cursor.offset:
                        report.restarted = True
                    handle.seek(start)
                    data = handle.read(CHUNK_BYTES)
                    end = data.rfind(b"\n") + 1
                    if end == 0:
                        break  # nothing new, or only a line still being written
                    counts: Counter[tuple[datetime.date, str, str]] = Counter()
                    lines = skipped = 0
                    at = 0
                    while at < end:
                        stop = data.index(b"\n", at) + 1
                        line, at = data[at:stop], stop
                        lines += 1
                        try:
                            found = logfile.read(line, hosts)
                        except logfile.Malformed:
                            skipped += 1
                            if first_skipped_at is None:
                                first_skipped_at = start + stop - len(line)
                            continue
                        if found is not None:
                            counts[found] += 1
                    _add_reads(counts)
                    _move(cursor, key=key, head=head, start=start, end=start + end,
                          lines=lines, skipped=skipped)  # fmt: skip
            except _Lost:
                break
            report.lines += lines
            report.skipped += skipped
            report.reads += sum(counts.values())
            if len(data) < CHUNK_BYTES:
                break
    if report.skipped:
        logger.warning(
            "%s: %d of %d lines are not in the readers' log format and were skipped (the "
            "first at byte %d); is its log_format the one `samizdat mirror nginx-conf "
            "--reach-log` writes?",
            path, report.skipped, report.lines, first_skipped_at or 0,
        )  # fmt: skip
    return report


def _start(handle: BinaryIO, cursor: LogCursor | None, head: str, size: int) -> int:
    """Where to read on: where the last fold stopped, unless the file is another one now
    (another first line), shorter than that (truncated) or not at a line's end there."""
    if cursor is None or cursor.head != head or cursor.offset > size or cursor.offset <= 0:
        return 0
    handle.seek(cursor.offset - 1)
    return cursor.offset if handle.read(1) == b"\n" else 0


def _move(
    cursor: LogCursor | None, *, key: str, head: str, start: int, end: int, lines: int, skipped: int
) -> None:
    if cursor is None:
        try:
            with transaction.atomic():
                LogCursor.objects.create(
                    key=key, head=head, offset=end, lines=lines, skipped=skipped
                )
        except IntegrityError:
            raise _Lost from None
        return
    moved = LogCursor.objects.filter(key=key, head=cursor.head, offset=cursor.offset).update(
        head=head,
        offset=end,
        lines=(cursor.lines if start else 0) + lines,
        skipped=(cursor.skipped if start else 0) + skipped,
    )
    if moved != 1:
        raise _Lost


def _upsert(table: str, columns: Sequence[str], unique: Sequence[str], rows: list[tuple]) -> None:
    """Add each row's last value (the count) to the row with its other values."""
    names = ", ".join(columns)
    conflict = ", ".join(unique)
    with connection.cursor() as cursor:
        for at in range(0, len(rows), BATCH):
            batch = rows[at : at + BATCH]
            values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
            # Table and column names are our own constants; the values are parameters.
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT ({conflict}) DO UPDATE SET count = {table}.count + excluded.count",
                [value for row in batch for value in row],
            )


def _add_reads(counts: Mapping[tuple[datetime.date, str, str], int]) -> None:
    rows = [(day, path, channel, count) for (day, path, channel), count in sorted(counts.items())]
    _upsert(ReadCount._meta.db_table, ("day", "path", "channel", "count"),
            ("day", "path", "channel"), rows)  # fmt: skip


# Failover reports from readers' service workers.

MAX_ITEMS = 50
MAX_COUNT = 1000
DAYS_BACK = 30
# A reader's day may already be tomorrow in UTC (up to UTC+14).
AHEAD = datetime.timedelta(hours=14)


class BadReport(ValueError):
    """A failover report that is refused; the message says why."""


def read_failovers(data: object, *, now: datetime.datetime) -> Counter[tuple[datetime.date, str]]:
    """The counts a report holds, by day and mirror origin ("other" for an address that is no
    public mirror), or BadReport with the reason."""
    if not isinstance(data, dict) or set(data) != {"failovers"}:
        raise BadReport('The report must be a JSON object with one key, "failovers".')
    items = data["failovers"]
    if not isinstance(items, list):
        raise BadReport('"failovers" must be a list.')
    if len(items) > MAX_ITEMS:
        raise BadReport(f"At most {MAX_ITEMS} items in one report.")
    utc_now = now.astimezone(datetime.UTC)
    latest = (utc_now + AHEAD).date()
    earliest = utc_now.date() - datetime.timedelta(days=DAYS_BACK)
    public = public_mirror_origins()
    counts: Counter[tuple[datetime.date, str]] = Counter()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or set(item) != {"day", "mirror", "count"}:
            raise BadReport(f'Item {number} must have exactly "day", "mirror" and "count".')
        day_text, mirror, count = item["day"], item["mirror"], item["count"]
        try:
            if not isinstance(day_text, str) or len(day_text) != 10:
                raise ValueError
            day = datetime.date.fromisoformat(day_text)
        except ValueError:
            raise BadReport(f"Item {number}: the day must be a date like 2026-12-03.") from None
        if not earliest <= day <= latest:
            raise BadReport(
                f"Item {number}: the day must be within the last {DAYS_BACK} days, not later "
                "than today."
            )
        if not isinstance(mirror, str) or len(mirror) > 500:
            raise BadReport(f"Item {number}: the mirror must be an address (text).")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            raise BadReport(
                f"Item {number}: the count must be a whole number from 1 to {MAX_COUNT}."
            )
        origin = origin_of(mirror)
        counts[(day, origin if origin in public else OTHER)] += count
    return counts


def public_mirror_origins() -> set[str]:
    urls = Mirror.objects.filter(public=True).values_list("url", flat=True)
    return {origin for origin in map(origin_of, urls) if origin}


def record_failovers(*, counts: Mapping[tuple[datetime.date, str], int]) -> int:
    """Add reported failovers to the day's counts (nothing when counting is off); returns
    how many were added."""
    if not settings.REACH_COUNTS or not counts:
        return 0
    rows = [(day, mirror, count) for (day, mirror), count in sorted(counts.items())]
    with transaction.atomic():
        _upsert(FailoverCount._meta.db_table, ("day", "mirror", "count"), ("day", "mirror"), rows)
    return sum(counts.values())


def forget_old(*, today: datetime.date, keep_days: int) -> int:
    """Delete counts of days more than ``keep_days`` before ``today``."""
    before = today - datetime.timedelta(days=keep_days)
    reads, _ = ReadCount.objects.filter(day__lt=before).delete()
    failovers, _ = FailoverCount.objects.filter(day__lt=before).delete()
    return reads + failovers
