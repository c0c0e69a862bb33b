"""The public site as a static bundle: every page, feed and sitemap, the assets and renditions.

``build_bundle`` renders every public address (``render.all_paths``) into the bundle directory
and removes the files of pages that are gone; ``rebake`` re-renders the paths a change touched
(sent with ``core.signals.public_site_changed``: the pages know which of their addresses a
change touches) and removes those that now answer 404. Rendering is ``render.py``'s business,
files ``write.py``'s; this module runs them, in several processes for a full build, one
builder at a time in the whole installation (``state.builder_lock``), then writes the manifest,
publishes the bundle to its bucket (``published.py``, when there is one) and sends the changes
to the mirror targets. Pages taken down (``BundleTakedown``) vanish with the next rebake, or
between two chunks of a full build running meanwhile, from here, the bucket and the targets.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections

from samizdat.core import build_memo, hooks
from samizdat.mirrors import manifest, processes, published, state
from samizdat.mirrors.render import (
    Renderer,
    all_paths,
    body_of,
    live_pages,
    media_links,
    not_found_page,
    root_page,
)
from samizdat.mirrors.write import (
    COMPRESSED,
    BundleError,
    assets,
    copy_media,
    file_for,
    remove_file,
    safe_path,
    write_file,
)

logger = logging.getLogger(__name__)

CHUNK_SIZE = 25  # paths per task of a rendering process: small, so none waits long for the last

Progress = Callable[[int, int], None]
SERVER_ERROR = re.compile(r"HTTP 5\d\d$")


@dataclass
class BuildReport:
    """What a build did: pages rendered, files written (with compressed siblings), removed."""

    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # files of pages that failed to render
    gone: set[str] = field(default_factory=set)  # files of pages that answer 404 now
    seconds: float = 0.0
    published: published.Published | None = None  # what went to the bundle bucket
    publish_error: str = ""  # why the bucket could not be brought to the bundle
    taken_down: set[str] = field(default_factory=set)  # files of takedowns met during a build
    processes: int = 1  # processes that rendered pages
    helped: int = 0  # chunks rendered by workers of other processes (mirrors/spread.py)
    received: int = 0  # files those sent through the database (the changed ones)

    @property
    def pages_written(self) -> list[str]:
        return [path for path in self.written if not path.endswith(COMPRESSED)]

    @property
    def server_errors(self) -> int:
        """Pages that answered a server error (5xx) and were kept as they were."""
        return sum(1 for problem in self.problems if SERVER_ERROR.search(problem))

    @property
    def status(self) -> str:
        """``ok``; ``partial`` when some pages answered a server error (the bundle keeps
        their last good files); ``failed`` when it could not be published."""
        if self.publish_error:
            return "failed"
        return "partial" if self.server_errors else "ok"

    def summary(self) -> str:
        text = f"{self.status}: {self.pages} pages, {len(self.written)} files written, "
        text += f"{len(self.removed)} removed"
        if self.server_errors:
            text += f"; {self.server_errors} page(s) answered a server error"
        if self.publish_error:
            text += f"; not published: {self.publish_error}"
        return text


@dataclass
class _Chunk:
    """What rendering some paths produced (sent back from a worker process)."""

    pages: int = 0
    produced: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)
    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # files kept as they were
    gone: set[str] = field(default_factory=set)  # files of paths that answer 404 now
    process: int = field(default_factory=os.getpid)  # the process that rendered them
    node: str = field(default_factory=socket.gethostname)  # on which machine


# A page moved or renamed answers its old address with a redirect (Wagtail's redirects):
# there is no page there any more.
MOVED = {301, 302, 303, 307, 308}


def _render_chunk(root: Path, paths: Sequence[str], missing_is_gone: bool) -> _Chunk:
    return render_paths(paths, missing_is_gone, lambda rel, body: write_file(root, rel, body))


def render_paths(
    paths: Sequence[str],
    missing_is_gone: bool,
    store: Callable[[str, bytes], list[str]],
    *,
    tick: Callable[[], None] | None = None,
) -> _Chunk:
    """Render ``paths``, handing each page's file and bytes to ``store`` (which says what
    it wrote); ``tick`` after each page."""
    renderer = Renderer()
    chunk = _Chunk()
    for path in paths:
        if tick is not None:
            tick()
        response = renderer.get(path)
        chunk.pages += 1
        rel = file_for(path)
        if missing_is_gone and (response.status_code == 404 or response.status_code in MOVED):
            chunk.gone.add(rel)
            continue
        if response.status_code != 200:
            # A page that should exist but failed (the database away for a moment) keeps its
            # last good file, here and on the mirrors.
            chunk.problems.append(f"{path}: HTTP {response.status_code}")
            logger.warning("bundle: %s answered %s; kept as it was", path, response.status_code)
            chunk.failed.add(rel)
            continue
        body = body_of(response)
        chunk.written += store(rel, body)
        chunk.produced.add(rel)
        if rel.endswith(".html"):
            chunk.media |= media_links(body)
    return chunk


def _jobs(count: int) -> int:
    """Processes that render: ``SAMIZDAT_BUNDLE_JOBS`` (by default the machine's CPUs), no
    more than there are chunks of ``count`` paths, and one where no other process can open
    the database (an in-memory SQLite database)."""
    database = connections["default"]
    in_memory = database.vendor == "sqlite" and database.is_in_memory_db()  # type: ignore[attr-defined]
    if in_memory or count < 2 * CHUNK_SIZE:
        return 1
    return max(1, min(settings.BUNDLE_JOBS, -(-count // CHUNK_SIZE)))


def _database_names() -> dict[str, str]:
    return {alias: str(connections[alias].settings_dict["NAME"]) for alias in connections}


def _renderer_ready() -> int:
    return os.getpid()


def _start_method() -> str:
    """How the rendering processes start: forked when this process runs no other thread and
    is in no transaction (``samizdat mirror build``), so they begin with Django set up (about
    3 s of CPU each that a fresh interpreter spends importing it); spawned, as fresh
    interpreters, otherwise: the worker that builds runs other threads, and a lock one of them
    held at fork time would hang a forked child for ever."""
    if (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not any(connection.in_atomic_block for connection in connections.all())
    ):
        return "fork"
    return "spawn"


def _chunks(paths: Sequence[str]) -> list[Sequence[str]]:
    return [paths[start : start + CHUNK_SIZE] for start in range(0, len(paths), CHUNK_SIZE)]


def _render_into(
    root: Path,
    paths: Sequence[str] | Callable[[], Sequence[str]],
    report: BuildReport,
    progress: Progress | None,
    *,
    missing_is_gone: bool = False,
) -> set[str]:
    """Render ``paths`` into ``root``, in chunks, in ``_jobs()`` processes when there are
    many; the bundle files they produced and the media files they link. ``paths`` may be the
    function that lists them (``all_paths``, a full build): the processes start while it
    runs, and where workers of other processes or machines can help (``spread.possible``)
    the chunks go through the database for them to share. ``progress`` is called in this
    process after each chunk. With ``missing_is_gone``, a path that answers 404 or a
    redirect is gone: its file is listed in ``report.gone``."""
    from samizdat.mirrors import spread

    # Listing takes a while on a large site: the live pages say beforehand whether the
    # processes are worth starting (a page has one address or more).
    jobs = _jobs(live_pages() if callable(paths) else len(paths))
    spread_out = callable(paths) and spread.possible()
    produced: set[str] = set()
    media: set[str] = set()
    rendered_by: set[tuple[str, int]] = set()
    total = 0

    def collect(chunk: _Chunk) -> None:
        report.pages += chunk.pages
        report.written += chunk.written
        report.problems += chunk.problems
        report.failed |= chunk.failed
        report.gone |= chunk.gone
        produced.update(chunk.produced)
        media.update(chunk.media)
        rendered_by.add((chunk.node, chunk.process))
        if progress is not None:
            progress(report.pages, total)

    if jobs == 1:
        listed = paths() if callable(paths) else paths
        total = len(listed)
        with build_memo.building():
            if spread_out:
                spread.render(root, _chunks(listed), report, collect)
            else:
                for chunk in _chunks(listed):
                    collect(_render_chunk(root, chunk, missing_is_gone))
    else:
        method = _start_method()
        if method == "fork":
            # A forked process opens database connections of its own, never this one's.
            connections.close_all()
        context = multiprocessing.get_context(method)
        helpers = jobs - 1  # this process renders too: one interpreter fewer to set up
        try:
            with (
                ProcessPoolExecutor(
                    helpers,
                    mp_context=context,
                    initializer=processes.start_renderer,
                    initargs=(_database_names(),),
                ) as pool,
                build_memo.building(),
            ):
                # A trivial task each starts the processes (Django's setup takes a while)
                # while the pages are listed here.
                for _ in range(helpers):
                    pool.submit(_renderer_ready)
                listed = paths() if callable(paths) else paths
                total = len(listed)
                if spread_out:
                    spread.render(root, _chunks(listed), report, collect, pool, helpers)
                else:
                    _render_here(root, _chunks(listed), missing_is_gone, collect, pool, helpers)
        except BrokenProcessPool as error:
            raise BundleError(f"a rendering process died: {error}") from error
    report.processes = max(report.processes, len(rendered_by))
    report.written += copy_media(root, media)
    return produced | media


def _render_here(
    root: Path,
    chunks: list[Sequence[str]],
    missing_is_gone: bool,
    collect: Callable[[_Chunk], None],
    pool: ProcessPoolExecutor,
    helpers: int,
) -> None:
    """Render ``chunks`` in this process and the ``helpers`` processes of ``pool``."""
    waiting = deque(chunks)
    running: set[Future[_Chunk]] = set()
    while waiting or running:
        # Each process has a chunk at work and one queued; this one takes chunks from the
        # other end in between, and waits only when none is left.
        while waiting and len(running) < 2 * helpers:
            chunk = waiting.popleft()
            running.add(pool.submit(_render_chunk, root, chunk, missing_is_gone))
        if waiting:
            collect(_render_chunk(root, waiting.pop(), missing_is_gone))
        done, running = wait(running, timeout=0 if waiting else None, return_when=FIRST_COMPLETED)
        for future in done:
            collect(future.result())


def _signing_key() -> bytes | None:
    path = settings.BUNDLE_SIGNING_KEY
    return Path(path).read_bytes() if path else None


def _finish(root: Path, report: BuildReport, *, full: bool, started: float) -> BuildReport:
    changed = sorted(set(report.written))
    if full:
        manifest.write_manifest(root, private_key_pem=_signing_key())
    else:
        manifest.update_manifest(
            root, changed=changed, removed=report.removed, private_key_pem=_signing_key()
        )
    report.written = changed
    report.seconds = time.monotonic() - started
    return report


def sync(root: Path, report: BuildReport) -> None:
    """Send a build's changes to the mirror targets outside the build's lock: a slow target
    never holds up the next publication. Each target is claimed in the database, so one
    process at a time syncs it; one that another process is syncing gets this build from it.
    Also with nothing changed: a target that missed earlier changes gets what it lacks."""
    from samizdat.mirrors import targets

    targets.sync_targets(
        root,
        changed=[*report.written, manifest.MANIFEST, *_signature(root)],
        removed=report.removed,
    )


def _signature(root: Path) -> list[str]:
    return [manifest.SIGNATURE] if (root / manifest.SIGNATURE).exists() else []


def _installation(root: Path) -> bool:
    """Whether ``root`` is the installation's bundle (published, with its state shared),
    not a copy built elsewhere (``samizdat mirror build OUTDIR``)."""
    return root.resolve() == Path(settings.BUNDLE_DIR).resolve()


def build_bundle(root: Path | None = None, *, progress: Progress | None = None) -> BuildReport:
    """Render the whole public site into ``root`` (default ``SAMIZDAT_BUNDLE_DIR``); remove
    files of pages that are gone; write the manifest; publish it to the bundle bucket; send
    the changes to the mirror targets. One builder at a time (``state.builder_lock``)."""
    root = Path(root or settings.BUNDLE_DIR)
    with state.builder_lock("full build") as holder:
        report = _build(root, progress, holder)
    sync(root, report)
    return report


def _build(root: Path, progress: Progress | None, holder: state.Holder) -> BuildReport:
    """A full build, with the builder's lock held. Between chunks it renews the lease and
    removes the pages taken down meanwhile (here and from the bucket at once), so the build
    cannot add them again."""
    started = time.monotonic()
    report = BuildReport()
    ours = _installation(root)
    if ours:
        state.build_started()
    root.mkdir(parents=True, exist_ok=True)
    hooks.forget_cached()  # values this process cached before the change being built

    def between_chunks(done: int, total: int) -> None:
        holder.renew()
        if ours:
            _take_down_pending(root, report)
        if progress is not None:
            progress(done, total)

    produced = _render_into(root, all_paths, report, between_chunks)
    if report.pages and len(report.problems) == report.pages:
        raise BundleError(f"no page could be rendered (the first: {report.problems[0]})")
    renderer = Renderer()
    report.written += write_file(root, "404.html", not_found_page(renderer))
    report.written += write_file(root, "index.html", root_page())
    produced |= {"404.html", "index.html"}
    for rel, source in assets().items():
        report.written += write_file(root, rel, source.read_bytes(), asset=True)
        produced.add(rel)
    if ours:
        _take_down_pending(root, report)
    for rel in report.failed - report.taken_down:
        with suppress(OSError):
            produced |= {rel} | media_links(safe_path(root, rel).read_bytes())
    produced -= report.taken_down
    report.written = [rel for rel in report.written if rel not in report.taken_down]
    keep = produced | {rel + suffix for rel in produced for suffix in COMPRESSED}
    for rel, _path in sorted(manifest.walk(root)):
        if rel not in keep:
            report.removed += remove_file(root, rel)
    _finish(root, report, full=True, started=started)
    if ours:
        _publish(root, report, full=True)
        state.build_finished(report.summary())
    _log(report, "full build")
    return report


def _take_down_pending(root: Path, report: BuildReport) -> None:
    """Remove the files of pages taken down since the build started, from this bundle, the
    bucket and the mirror targets, now; the build leaves them out to its end."""
    rows = state.pending_takedowns()
    if not rows:
        return
    rels = {file_for(path) for row in rows for path in row.paths}
    rels |= {rel + suffix for rel in rels for suffix in COMPRESSED}
    for rel in sorted(rels):
        report.removed += remove_file(root, rel)
    report.taken_down |= rels
    try:
        published.take_down(root, rels, private_key_pem=_signing_key())
    except published.PublishError as error:
        logger.error("bundle: a takedown could not reach the bucket yet: %s", error)
        return  # still pending: the takedown's own rebake tries again
    state.takedowns_done([row.pk for row in rows])
    # The manifest here is now the last build's without these files, which is what a target
    # in step holds: a sync against it removes them there and changes nothing else.
    from samizdat.mirrors import targets

    targets.sync_targets(root, changed=[manifest.MANIFEST, *_signature(root)], removed=sorted(rels))


def _publish(root: Path, report: BuildReport, *, full: bool) -> None:
    if not published.configured():
        return
    try:
        report.published = published.publish(
            root, changed=report.written, removed=report.removed, full=full
        )
    except (published.PublishError, OSError) as error:
        report.publish_error = str(error)


def _log(report: BuildReport, what: str) -> None:
    if report.status == "ok":
        logger.info("bundle %s %s", what, report.summary())
    else:
        logger.error("bundle %s %s", what, report.summary())


def rebake(paths: Iterable[str], *, root: Path | None = None) -> BuildReport:
    """Re-render these public paths (what a change touched, as the changed pages say) and
    those of pending takedowns; a path that answers 404 or a redirect now is gone, and its
    files go too.
    A node behind the bundle bucket catches up from it first; without a bundle yet, build
    it all."""
    root = Path(root or settings.BUNDLE_DIR)
    with state.builder_lock("rebake") as holder:
        ours = _installation(root)
        if ours and published.configured():
            published.catch_up(root)
        if (root / manifest.MANIFEST).exists():
            report = _rebake(root, list(paths), holder, ours)
        else:
            report = _build(root, None, holder)
    sync(root, report)
    return report


def _rebake(root: Path, paths: list[str], holder: state.Holder, ours: bool) -> BuildReport:
    started = time.monotonic()
    report = BuildReport()
    hooks.forget_cached()
    takedowns = state.pending_takedowns() if ours else []
    paths = list(dict.fromkeys([*(p for row in takedowns for p in row.paths), *paths]))
    _render_into(root, paths, report, lambda *_: holder.renew(), missing_is_gone=True)
    for rel in sorted(report.gone):
        report.removed += remove_file(root, rel)
    _finish(root, report, full=False, started=started)
    if ours:
        _publish(root, report, full=False)
        if takedowns and not report.publish_error:
            state.takedowns_done([row.pk for row in takedowns])
    _log(report, "rebake")
    return report
