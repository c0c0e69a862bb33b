"""A full build spread over the workers of every node, through the database.

On PostgreSQL (``possible``), the building worker, holding the builder's lock, writes the
build's chunks of addresses as ``BundleChunk`` rows, with the SHA-256 of each of their files
in the bundle's last manifest, and asks up to ``BUNDLE_HELPERS`` workers to help (``help``
tasks on the ``bundle`` queue, which any node's worker may run). Whoever renders a chunk
claims it first with one conditional UPDATE by the database's clock (``claim``), for
``BUNDLE_CHUNK_LEASE`` seconds renewed as it renders:

- a helper (another process, any machine) renders it and stores in the database only the
  files whose bytes differ from the last manifest's, with their compressed siblings, and what
  it found (pages, files produced, media linked, problems). It reads nothing of its own
  node's disk: the row says what the bundle holds. Media files are only named;
- the building worker's processes render chunks into the bundle as they always did.

The building process collects finished rows as they come, writes their files into its copy
and calls ``progress`` after each chunk; a chunk whose claim lapsed (its helper died) is
claimed again by whoever asks next, the builder included, so a helper killed mid-chunk
changes nothing in the end. The first result of a chunk counts (a helper's result is stored
only while its claim holds). The rows of a build are deleted when it ends, and those a
builder that died left behind when the next build starts.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models.functions import Now

from samizdat.core import build_memo, hooks
from samizdat.mirrors import manifest, state
from samizdat.mirrors.bundle import BuildReport, _Chunk, render_paths
from samizdat.mirrors.models import BundleChunk, BundleChunkFile
from samizdat.mirrors.write import (
    COMPRESSED,
    BundleError,
    changed_files,
    file_for,
    write_changed,
    write_file,
)

logger = logging.getLogger(__name__)

POLL = 0.25  # seconds the builder waits for helpers when it has no chunk of its own to render

# The builds this process runs: a helper task that lands in the building process itself (a
# test's immediate tasks) leaves the work to it.
_building_here: set[str] = set()


class _Lost(Exception):
    """The claim on a chunk lapsed and another process took it, or the build is gone."""


def possible() -> bool:
    """Whether workers of other processes may help a full build: on PostgreSQL (which every
    node shares), unless ``BUNDLE_HELPERS`` is 0."""
    return bool(connections["default"].vendor == "postgresql" and settings.BUNDLE_HELPERS > 0)


def claimant() -> str:
    """Who claims: this machine and process, and a token of this claim's own."""
    return f"{socket.gethostname()[:40]} pid {os.getpid()} #{secrets.token_hex(4)}"


# The first open chunk in order, one a claim lapsed on included; rows claimed at this moment
# by another statement are skipped rather than waited for.
CLAIM = """
UPDATE {table} AS chunk
SET claimed_by = %s, claimed_until = clock_timestamp() + make_interval(secs => %s)
FROM (
    SELECT id, claimed_by FROM {table}
    WHERE build = %s AND NOT done
      AND (claimed_until IS NULL OR claimed_until < clock_timestamp())
    ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED
) AS free
WHERE chunk.id = free.id
RETURNING chunk.id, free.claimed_by
"""


def claim(build: str, token: str, lease: float) -> BundleChunk | None:
    """Claim the next chunk of ``build`` nobody holds (one UPDATE, by the database's clock)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(CLAIM.format(table=BundleChunk._meta.db_table), [token, lease, build])
        row = cursor.fetchone()
    if row is None:
        return None
    if row[1]:
        logger.warning("bundle: took back a chunk whose claim lapsed (%s)", row[1])
    return BundleChunk.objects.filter(pk=row[0]).first()


class _Claim:
    """A chunk this process holds: renewed every third of the lease while it renders."""

    def __init__(self, pk: int, token: str, lease: float) -> None:
        self.pk = pk
        self.token = token
        self.lease = lease
        self.renewed_at = time.monotonic()

    def renew(self) -> None:
        if time.monotonic() - self.renewed_at < self.lease / 3:
            return
        asked = time.monotonic()
        mine = BundleChunk.objects.filter(pk=self.pk, claimed_by=self.token, done=False)
        if not mine.update(claimed_until=Now() + timedelta(seconds=self.lease)):
            raise _Lost
        self.renewed_at = asked


# --- the building node ----------------------------------------------------------------


def render(
    root: Path,
    chunks: Sequence[Sequence[str]],
    report: BuildReport,
    collect: Callable[[_Chunk], None],
    pool: ProcessPoolExecutor | None = None,
    slots: int = 0,
) -> None:
    """Render ``chunks`` of a full build into ``root``: in this process, the ``slots``
    processes of ``pool`` and whatever workers help; ``collect`` each chunk's result once."""
    build = secrets.token_hex(16)
    # One builder at a time holds the lock: rows of another build are a dead builder's.
    BundleChunk.objects.exclude(build=build).delete()
    known = _last_manifest(root)
    BundleChunk.objects.bulk_create(
        [
            BundleChunk(build=build, number=number, paths=list(paths), known=_known(paths, known))
            for number, paths in enumerate(chunks)
        ],
        batch_size=500,
    )
    _building_here.add(build)
    try:
        _ask_for_helpers(build, len(chunks))
        _gather(root, build, len(chunks), report, collect, pool, slots)
    finally:
        _building_here.discard(build)
        BundleChunk.objects.filter(build=build).delete()


def _last_manifest(root: Path) -> dict[str, str]:
    """The SHA-256 of each file the bundle's manifest lists (none without one)."""
    try:
        data = (root / manifest.MANIFEST).read_bytes()
    except OSError:
        return {}
    listed, _problems = manifest.read_manifest(data)
    return {entry["path"]: entry["sha256"] for entry in listed["files"]} if listed else {}


def _known(paths: Sequence[str], hashes: dict[str, str]) -> dict[str, str]:
    names = (file_for(path) for path in paths)
    files = (name for rel in names for name in (rel, *(rel + suffix for suffix in COMPRESSED)))
    return {name: hashes[name] for name in files if name in hashes}


def _ask_for_helpers(build: str, chunks: int) -> None:
    from samizdat.mirrors import tasks

    for _ in range(min(settings.BUNDLE_HELPERS, chunks - 1)):
        tasks.help_build.enqueue(build=build)


def _gather(
    root: Path,
    build: str,
    count: int,
    report: BuildReport,
    collect: Callable[[_Chunk], None],
    pool: ProcessPoolExecutor | None,
    slots: int,
) -> None:
    lease = float(settings.BUNDLE_CHUNK_LEASE)
    collected: set[int] = set()

    def take(number: int, chunk: _Chunk) -> None:
        if number in collected:
            # Rendered twice (a claim that lapsed): the files it wrote count, once.
            report.written += chunk.written
            return
        collected.add(number)
        collect(chunk)

    running: set[Future[tuple[int, _Chunk] | None]] = set()
    open_chunks = True  # whether the last claim here found a chunk
    while len(collected) < count:
        while pool is not None and open_chunks and len(running) < 2 * slots:
            running.add(pool.submit(render_here, root, build, lease))
        mine = render_here(root, build, lease)
        open_chunks = mine is not None
        if mine is not None:
            take(*mine)
        for number, chunk in _finished(root, build, report):
            take(number, chunk)
        if running:
            done, running = wait(
                running, timeout=0 if open_chunks else POLL, return_when=FIRST_COMPLETED
            )
            for future in done:
                if (result := future.result()) is not None:
                    take(*result)
        elif not open_chunks and len(collected) < count:
            if not BundleChunk.objects.filter(build=build).exists():
                raise BundleError("the build's chunks vanished from the database")
            time.sleep(POLL)


def render_here(root: Path, build: str, lease: float) -> tuple[int, _Chunk] | None:
    """Claim a chunk of ``build`` and render it into ``root`` (the building node's processes);
    its number and what it did; None when no chunk is open now."""
    token = claimant()
    row = claim(build, token, lease)
    if row is None:
        return None
    held = _Claim(row.pk, token, lease)

    def renew() -> None:
        with suppress(_Lost):  # the files go into this bundle all the same
            held.renew()

    chunk = render_paths(
        row.paths, False, lambda rel, body: write_file(root, rel, body), tick=renew
    )
    BundleChunk.objects.filter(pk=row.pk, claimed_by=token).update(done=True, result=None)
    return row.number, chunk


def _finished(root: Path, build: str, report: BuildReport) -> list[tuple[int, _Chunk]]:
    """The chunks helpers finished since the last look, their files written into ``root``
    (and their rows deleted)."""
    taken = []
    rows = BundleChunk.objects.filter(build=build, done=True, result__isnull=False)
    for row in rows.order_by("number"):
        files = {
            name: bytes(data)
            for name, data in BundleChunkFile.objects.filter(chunk=row).values_list("name", "data")
        }
        result: dict[str, Any] = row.result or {}
        chunk = _Chunk(
            pages=result["pages"],
            produced=set(result["produced"]),
            media=set(result["media"]),
            written=write_changed(root, files),
            problems=result["problems"],
            failed=set(result["failed"]),
            process=result["process"],
            node=result["node"],
        )
        report.helped += 1
        report.received += len(files)
        row.delete()
        taken.append((row.number, chunk))
    return taken


# --- a helping worker -------------------------------------------------------------------


def help(build: str) -> dict[str, Any]:
    """Render chunks of ``build`` while any is open, for at most ``BUNDLE_HELP_SECONDS``
    (``more`` says that time ran out with chunks left); nothing once the build ended."""
    if build in _building_here or not BundleChunk.objects.filter(build=build).exists():
        return {"chunks": 0}
    hooks.forget_cached()  # values this process cached before the change being built
    token = claimant()
    lease = float(settings.BUNDLE_CHUNK_LEASE)
    started = time.monotonic()
    rendered = 0
    with build_memo.building():
        while time.monotonic() - started < settings.BUNDLE_HELP_SECONDS:
            if not _builder_alive():
                # The builder died: its rows wait for the next build, which deletes them.
                return {"chunks": rendered}
            row = claim(build, token, lease)
            if row is None:
                return {"chunks": rendered}
            rendered += _render_for(row, token, lease)
    return {"chunks": rendered, "more": True}


def _builder_alive() -> bool:
    """Whether a builder holds the builder's lock (a session's advisory lock, PostgreSQL) in
    this installation's database: another database on the same server has locks of its own."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = %s AND objid = %s AND objsubid = 2 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()))",
            [state.LOCK_NAMESPACE, state.LOCK_BUILDER],
        )
        return bool(cursor.fetchone()[0])


def _render_for(row: BundleChunk, token: str, lease: float) -> int:
    """Render a claimed chunk and store its result and changed files in the database; 1
    when they were stored (the claim still held), else 0."""
    held = _Claim(row.pk, token, lease)
    files: dict[str, bytes] = {}

    def store(rel: str, body: bytes) -> list[str]:
        changed = changed_files(rel, body, row.known)
        files.update(changed)
        return sorted(changed)

    try:
        chunk = render_paths(row.paths, False, store, tick=held.renew)
    except _Lost:
        logger.warning("bundle: lost the claim on chunk %s of build %s", row.number, row.build)
        return 0
    result = {
        "pages": chunk.pages,
        "produced": sorted(chunk.produced),
        "media": sorted(chunk.media),
        "problems": chunk.problems,
        "failed": sorted(chunk.failed),
        "process": chunk.process,
        "node": chunk.node,
    }
    with transaction.atomic():
        mine = BundleChunk.objects.filter(pk=row.pk, claimed_by=token, done=False)
        if not mine.update(done=True, result=result):
            return 0
        BundleChunkFile.objects.bulk_create(
            [
                BundleChunkFile(chunk_id=row.pk, name=name, data=data)
                for name, data in files.items()
            ],
            batch_size=50,
        )
    return 1


def chunks_open(build: str) -> bool:
    return BundleChunk.objects.filter(build=build, done=False).exists()
