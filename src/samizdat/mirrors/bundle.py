"""The public site as a static bundle: every page, feed and sitemap, the assets and renditions.

Pages are rendered by the dynamic site itself (the same middleware, views and templates, through
an in-process request), so the bundle holds exactly the HTML readers get from the app; its links
are already relative (``publishing/paths.py``). A directory path is written as ``index.html``
(feeds as ``index.xml``); text files get ``.gz`` and ``.br`` siblings for servers that send
precompressed files. Every file is written atomically and only when its bytes change, so a
reader never gets half a page and unchanged files keep their dates.

``build_bundle`` renders everything; ``rebake`` re-renders what a change to some articles
touches: the articles, their translations, later stories whose "Read more" shows them, their
home, section, tag and author listings (the front page and the archive pages from theirs on),
feeds and sitemaps. The listings number archive pages from the oldest story and "Read more"
offers only earlier stories, which is what keeps that set small and the result identical to a
full build.
"""

from __future__ import annotations

import fcntl
import gzip
import logging
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import brotli
import django
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.db.models import Q
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from taggit.models import Tag
from wagtail.models import Page

from samizdat.mirrors import manifest
from samizdat.publishing import models as publishing
from samizdat.publishing.paths import language_roots, public_path
from samizdat.publishing.sitemaps import SITEMAPS, ArticleSitemap

logger = logging.getLogger(__name__)

COMPRESSIBLE = frozenset({".html", ".xml", ".css", ".js", ".svg", ".txt", ".json"})
COMPRESSED = (".gz", ".br")
# Pages change often and are many: a fast brotli level; the few assets get the best one.
BROTLI_PAGE_QUALITY = 5
BROTLI_ASSET_QUALITY = 11
ASSET_NAMESPACE = "samizdat"
MEDIA_LINK = re.compile(rb'(?:\.\./|\./)*media/([^\s"\',?#<>]+)')
FEED_KINDS = ("rss", "atom")
LATER_STORIES = publishing.RELATED_CANDIDATES
CHUNK_SIZE = 50  # paths per task of a worker process
EARLIER_REVISIONS = 10  # revisions whose tags and authors a correction may have changed

Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """What a build did: pages rendered, files written (with compressed siblings), removed."""

    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # files of pages that failed to render
    seconds: float = 0.0

    @property
    def pages_written(self) -> list[str]:
        return [path for path in self.written if not path.endswith(COMPRESSED)]


class BundleError(Exception):
    """The bundle cannot be built (a page fails to render, the directory is unusable)."""


# --- where things go -----------------------------------------------------------------------


def file_for(url_path: str) -> str:
    """The bundle file of a public URL path: ``/en/news/`` → ``en/news/index.html``."""
    rel = url_path.lstrip("/")
    if rel == "" or rel.endswith("/"):
        index = "index.xml" if rel.rstrip("/").rsplit("/", 2)[-2:-1] == ["feed"] else "index.html"
        return rel + index
    return rel


def _listing_paths(base: str, total: int) -> list[str]:
    pages = publishing.archive_pages(total, settings.ARTICLES_PER_PAGE)
    return [base, *(f"{base}page/{number}/" for number in range(1, pages + 1))]


def _feeds(base: str) -> list[str]:
    return [f"{base}feed/{kind}/" for kind in FEED_KINDS]


def _sitemap_paths() -> list[str]:
    paths = ["/robots.txt", "/sitemap.xml", "/news-sitemap.xml"]
    for section, sitemap_class in SITEMAPS.items():
        pages = sitemap_class().paginator.num_pages
        paths += [f"/sitemap-{section}.xml"]
        paths += [f"/sitemap-{section}-{number}.xml" for number in range(2, pages + 1)]
    return paths


def all_paths() -> list[str]:
    """Every public URL path of the site, in a stable order."""
    roots = language_roots()
    paths: list[str] = []
    live = Page.objects.live().public().filter(depth__gt=1).specific().order_by("path")
    for page in live.iterator(chunk_size=500):
        base = public_path(page.url_path, roots)
        if base is None:
            continue
        if isinstance(page, publishing.HomePage):
            paths += [base, *_feeds(base), f"/{page.locale.language_code}/mirrors/"]
            for tag in Tag.objects.filter(
                pk__in=publishing.articles().filter(locale_id=page.locale_id).values("tags")
            ).order_by("slug"):
                tagged = page.tagged(tag)
                paths += _listing_paths(f"{base}tags/{tag.slug}/", tagged.count())
                paths += _feeds(f"{base}tags/{tag.slug}/")
        elif isinstance(page, publishing.SectionPage):
            paths += _listing_paths(base, page.stories().count()) + _feeds(base)
        elif isinstance(page, publishing.AuthorPage):
            paths += _listing_paths(base, page.authored_articles().count()) + _feeds(base)
        elif hasattr(page, "sent_editions"):  # the newsletter page and its archive
            paths += [base, *_feeds(base)]
            paths += [f"{base}{pk}/" for pk in page.sent_editions().values_list("pk", flat=True)]
        else:
            paths.append(base)
    return paths + _sitemap_paths()


# --- rendering -----------------------------------------------------------------------------


class Renderer:
    """Renders public paths through the app's own request handling, as a reader would get them."""

    def __init__(self) -> None:
        site = urlsplit(settings.SITE_URL)
        self.handler = BaseHandler()
        self.handler.load_middleware()
        self.factory = RequestFactory(HTTP_HOST=site.netloc or "localhost")
        # As the app sees a request behind its TLS proxy (else SSL_REDIRECT would answer 301).
        self.secure = site.scheme == "https" or settings.SECURE_SSL_REDIRECT

    def get(self, path: str) -> HttpResponse:
        request = self.factory.get(path, secure=self.secure)
        return self.handler.get_response(request)  # type: ignore[return-value]


def _body(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def root_page() -> bytes:
    """``index.html`` at the bundle's root: the languages of the site (the app redirects)."""
    languages = [(code, name) for code, name in settings.LANGUAGES]
    html = render_to_string(
        "mirrors/bundle_root.html",
        {
            "languages": languages,
            "default": settings.LANGUAGE_CODE,
            "SITE_NAME": settings.SITE_NAME,
        },
    )
    return html.encode()


# --- writing -------------------------------------------------------------------------------


def _safe(root: Path, rel: str) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BundleError(f"{rel}: outside the bundle")
    return target


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _compressed(rel: str, data: bytes, *, asset: bool) -> dict[str, bytes]:
    if Path(rel).suffix not in COMPRESSIBLE:
        return {}
    quality = BROTLI_ASSET_QUALITY if asset else BROTLI_PAGE_QUALITY
    return {
        rel + ".gz": gzip.compress(data, compresslevel=9, mtime=0),
        rel + ".br": brotli.compress(data, quality=quality),
    }


def write_file(root: Path, rel: str, data: bytes, *, asset: bool = False) -> list[str]:
    """Write ``rel`` and its compressed siblings when their bytes differ; the paths written."""
    target = _safe(root, rel)
    try:
        same = target.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        same = False
    written = []
    siblings = _compressed(rel, data, asset=asset)
    if same and all((root / name).exists() for name in siblings):
        return []
    if not same:
        _write_atomic(target, data)
        written.append(rel)
    for name, packed in siblings.items():
        path = root / name
        if not same or not path.exists():
            _write_atomic(path, packed)
            written.append(name)
    return written


def remove_file(root: Path, rel: str) -> list[str]:
    """Remove ``rel`` and its compressed siblings, then directories left empty."""
    removed = []
    for name in (rel, *(rel + suffix for suffix in COMPRESSED)):
        with suppress(FileNotFoundError):
            _safe(root, name).unlink()
            removed.append(name)
    parent = (root / rel).parent
    while parent != root and parent.is_relative_to(root):
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent
    return removed


def _built_marker(root: Path) -> Path:
    return root.with_name(f".{root.name}.built")


def built_since(when: float, root: Path | None = None) -> bool:
    """Whether a full build of the bundle started after ``when`` (a ``time.time()``)."""
    try:
        return _built_marker(Path(root or settings.BUNDLE_DIR)).stat().st_mtime > when
    except FileNotFoundError:
        return False


@contextmanager
def bundle_lock(root: Path, purpose: str = "build") -> Iterator[None]:
    """One build (or one sync) at a time per bundle, across processes (workers, commands).
    The lock file sits beside the bundle, so it is never copied to a mirror."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(f".{root.name}.{purpose}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _forget_cached_values() -> None:
    """Drop values a long-running process may hold from before the change being built."""
    from samizdat.donations import appeal

    publishing.forget_navigation()
    publishing.forget_view_restrictions()
    publishing.forget_privacy_policy()
    appeal.forget()


def _media_files(html: bytes) -> set[str]:
    if b"media/" not in html:
        return set()
    return {"media/" + name.decode("utf-8", "replace") for name in MEDIA_LINK.findall(html)}


def _copy_media(root: Path, names: Iterable[str]) -> list[str]:
    written = []
    media_root = Path(settings.MEDIA_ROOT).resolve()
    for rel in sorted(names):
        source = (media_root / rel.removeprefix("media/")).resolve()
        if not source.is_relative_to(media_root) or not source.is_file():
            continue
        written += write_file(root, rel, source.read_bytes(), asset=True)
    return written


def _assets() -> dict[str, Path]:
    """Static files of the reader pages: ``static/samizdat/…`` → source file."""
    found: dict[str, Path] = {}
    for finder in finders.get_finders():
        for name, storage in finder.list([]):
            if name.replace(os.sep, "/").startswith(f"{ASSET_NAMESPACE}/"):
                rel = f"static/{name.replace(os.sep, '/')}"
                found.setdefault(rel, Path(storage.path(name)))
    return found


@dataclass
class _Chunk:
    """What rendering some paths produced (sent back from a worker process)."""

    pages: int = 0
    produced: set[str] = field(default_factory=set)
    media: set[str] = field(default_factory=set)
    written: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # files kept as they were


def _render_chunk(root: Path, paths: Sequence[str]) -> _Chunk:
    renderer = Renderer()
    chunk = _Chunk()
    for path in paths:
        response = renderer.get(path)
        chunk.pages += 1
        if response.status_code != 200:
            # A page that should exist but failed (the database away for a moment) keeps its
            # last good file, here and on the mirrors.
            chunk.problems.append(f"{path}: HTTP {response.status_code}")
            logger.warning("bundle: %s answered %s; kept as it was", path, response.status_code)
            chunk.failed.add(file_for(path))
            continue
        rel = file_for(path)
        body = _body(response)
        chunk.written += write_file(root, rel, body)
        chunk.produced.add(rel)
        if rel.endswith(".html"):
            chunk.media |= _media_files(body)
    return chunk


def _render_in_child(root: Path, paths: Sequence[str]) -> _Chunk:
    return _render_chunk(root, paths)


def _jobs(count: int) -> int:
    """Worker processes for ``count`` paths: each has its own database connection, which an
    in-memory SQLite database (the tests') cannot give."""
    database = connections["default"]
    in_memory = database.vendor == "sqlite" and database.is_in_memory_db()  # type: ignore[attr-defined]
    if in_memory or count < 2 * CHUNK_SIZE:
        return 1
    return max(1, min(settings.BUNDLE_JOBS, count // CHUNK_SIZE))


def _render_into(
    root: Path,
    paths: Sequence[str],
    report: BuildReport,
    progress: Progress | None,
) -> set[str]:
    """Render ``paths`` into ``root`` (in ``BUNDLE_JOBS`` processes when there are many); the
    bundle files they produced and the media files they link."""
    chunks = [paths[start : start + CHUNK_SIZE] for start in range(0, len(paths), CHUNK_SIZE)]
    jobs = _jobs(len(paths))
    produced: set[str] = set()
    media: set[str] = set()

    def collect(chunk: _Chunk) -> None:
        report.pages += chunk.pages
        report.written += chunk.written
        report.problems += chunk.problems
        report.failed |= chunk.failed
        produced.update(chunk.produced)
        media.update(chunk.media)
        if progress is not None:
            progress(report.pages, len(paths))

    if jobs == 1:
        for paths_of_chunk in chunks:
            collect(_render_chunk(root, paths_of_chunk))
    else:
        # Fresh interpreters, not forks: the worker that builds runs other threads, and a
        # lock one of them held at fork time would hang a forked child for ever.
        context = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=django.setup) as pool:
                futures = [pool.submit(_render_in_child, root, chunk) for chunk in chunks]
                for future in as_completed(futures):
                    collect(future.result())
        except BrokenProcessPool as error:
            raise BundleError(f"a rendering process died: {error}") from error
    report.written += _copy_media(root, media)
    return produced | media


def _not_found_page(renderer: Renderer) -> bytes:
    """The page servers send for a missing address. It is served at any depth, so its links
    (written from the root) are anchored by ``<base>`` at the root of the site's address."""
    body = _body(renderer.get("/404.html"))
    base = urlsplit(settings.SITE_URL).path.rstrip("/") + "/"
    return body.replace(b"<head>", f'<head>\n<base href="{base}">'.encode(), 1)


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
    """Send a build's changes to the mirror targets, one sync at a time but outside the
    build's lock: a slow target never holds up the next publication. Also with nothing
    changed: a target that missed earlier changes gets every file."""
    from samizdat.mirrors import targets

    with bundle_lock(root, "sync"):
        targets.sync_targets(
            root,
            changed=[*report.written, manifest.MANIFEST, *_signature(root)],
            removed=report.removed,
        )


def _signature(root: Path) -> list[str]:
    return [manifest.SIGNATURE] if (root / manifest.SIGNATURE).exists() else []


def build_bundle(root: Path | None = None, *, progress: Progress | None = None) -> BuildReport:
    """Render the whole public site into ``root`` (default ``SAMIZDAT_BUNDLE_DIR``); remove
    files of pages that are gone; write the manifest; send the changes to the mirror targets."""
    root = Path(root or settings.BUNDLE_DIR)
    started = time.monotonic()
    report = BuildReport()
    with bundle_lock(root):
        _built_marker(root).touch()
        _forget_cached_values()
        paths = all_paths()
        produced = _render_into(root, paths, report, progress)
        if paths and len(report.problems) == len(paths):
            raise BundleError(f"no page could be rendered (the first: {report.problems[0]})")
        renderer = Renderer()
        report.written += write_file(root, "404.html", _not_found_page(renderer))
        report.written += write_file(root, "index.html", root_page())
        produced |= {"404.html", "index.html"}
        for rel, source in _assets().items():
            report.written += write_file(root, rel, source.read_bytes(), asset=True)
            produced.add(rel)
        for rel in report.failed:
            with suppress(OSError):
                produced |= {rel} | _media_files(_safe(root, rel).read_bytes())
        keep = produced | {rel + suffix for rel in produced for suffix in COMPRESSED}
        for rel, _path in sorted(manifest.walk(root)):
            if rel not in keep:
                report.removed += remove_file(root, rel)
        _finish(root, report, full=True, started=started)
    sync(root, report)
    return report


# --- incremental ---------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def published_at(article: Any) -> datetime:
    """When the article was first published; a page that never was counts as the oldest, so
    everything after it is re-rendered."""
    return article.first_published_at or EPOCH


def _position_paths(base: str, queryset: Any, article: Any) -> list[str]:
    """The pages of a newest-first listing that may change when ``article`` appears in it or
    changes: its own address, and the archive pages from the article's on."""
    size = settings.ARTICLES_PER_PAGE
    total = queryset.count()
    older = queryset.filter(
        Q(first_published_at__lt=published_at(article))
        | Q(first_published_at=published_at(article), pk__lt=article.pk)
    ).count()
    pages = publishing.archive_pages(total, size)
    # The last two pages too: a story that completes a page adds one (and changes the "newer"
    # link of the one before), a story that leaves may end one.
    first = min(older // size + 1, pages - 1)
    return [base, *(f"{base}page/{number}/" for number in range(max(first, 1), pages + 1))]


def _stale_archive_pages(root: Path, base: str, paths: list[str]) -> list[str]:
    """Archive pages of ``base`` in the bundle beyond the listing's last page now."""
    folder = _safe(root, base.lstrip("/") + "page")
    if not folder.is_dir():
        return []
    wanted = set(paths)
    stale = []
    for child in folder.iterdir():
        path = f"{base}page/{child.name}/"
        if child.name.isdigit() and path not in wanted:
            stale.append(file_for(path))
    return stale


def _later_stories(article: Any, roots: list[tuple[str, str]]) -> list[str]:
    """The later stories of the language whose "Read more" candidates include ``article``:
    the next RELATED_CANDIDATES by publication. Their pages change when it appears, changes or
    moves in time (for the newest story, none)."""
    later = (
        publishing.articles()
        .filter(locale_id=article.locale_id)
        .filter(
            Q(first_published_at__gt=published_at(article))
            | Q(first_published_at=published_at(article), pk__gt=article.pk)
        )
        .order_by("first_published_at", "pk")
        .values_list("url_path", flat=True)[:LATER_STORIES]
    )
    return [path for path in (public_path(url_path, roots) for url_path in later) if path]


def _earlier_links(article: Any) -> tuple[set[int], set[int]]:
    """Tags and authors the article had in its recent revisions: a correction that takes a
    tag or an author away changes that listing too."""
    tags: set[int] = set()
    authors: set[int] = set()
    for content in article.revisions.order_by("-created_at", "-pk").values_list(
        "content", flat=True
    )[:EARLIER_REVISIONS]:
        tags |= {item.get("tag") for item in content.get("tagged_items", []) if item.get("tag")}
        authors |= {
            item.get("author") for item in content.get("article_authors", []) if item.get("author")
        }
    return tags, authors


def touched_paths(root: Path, article: Any) -> tuple[list[str], list[str]]:
    """(paths to render, bundle files to remove) when the live ``article`` was published or
    changed."""
    roots = language_roots()
    own = public_path(article.url_path, roots)
    render: list[str] = [own] if own else []
    remove: list[str] = []
    home_path = f"/{article.locale.language_code}/"
    home = publishing.HomePage.objects.live().filter(locale_id=article.locale_id).first()
    listings: list[tuple[str, Any]] = []
    earlier_tags, earlier_authors = _earlier_links(article)
    if home is not None:
        render += [home_path, *_feeds(home_path)]
        tags = Tag.objects.filter(Q(pk__in=earlier_tags) | Q(pk__in=article.tags.values("pk")))
        for tag in tags:
            base = f"{home_path}tags/{tag.slug}/"
            tagged = home.tagged(tag)
            if tagged.exists():
                listings.append((base, tagged))
                render += _feeds(base)
            else:  # the story was the tag's last: the tag's pages go, as in a full build
                gone = [*_feeds(base), base]
                remove += [file_for(path) for path in gone]
                remove += _stale_archive_pages(root, base, [])
    section = publishing.SectionPage.objects.live().filter(path=article.path[: -article.steplen])
    for page in section:
        section_base = public_path(page.url_path, roots)
        if section_base:
            listings.append((section_base, page.stories()))
            render += _feeds(section_base)
    authors = publishing.AuthorPage.objects.filter(
        Q(pk__in=earlier_authors) | Q(pk__in=article.article_authors.values("author"))
    )
    for author in authors:
        author_base = public_path(author.url_path, roots) if author.live else None
        if author_base:
            listings.append((author_base, author.authored_articles()))
            render += _feeds(author_base)
    for base, queryset in listings:
        pages = _position_paths(base, queryset, article)
        render += pages
        every = _listing_paths(base, queryset.count())
        remove += _stale_archive_pages(root, base, every)
    for translation in Page.objects.live().filter(translation_key=article.translation_key):
        path = public_path(translation.url_path, roots)
        if path and translation.pk != article.pk:
            render.append(path)
    render += _later_stories(article, roots)
    render += ["/sitemap.xml", "/news-sitemap.xml", *_article_sitemap_pages(article)]
    return list(dict.fromkeys(render)), list(dict.fromkeys(remove))


def _article_sitemap_pages(article: Any) -> list[str]:
    """The article sitemap pages from the one holding ``article`` (oldest first) to the last."""
    sitemap = ArticleSitemap()
    older = (
        publishing.ArticlePage.objects.live()
        .public()
        .filter(
            Q(first_published_at__lt=published_at(article))
            | Q(first_published_at=published_at(article), pk__lt=article.pk)
        )
        .count()
    )
    first = older // sitemap.limit + 1
    last = max(1, sitemap.paginator.num_pages)
    return [
        "/sitemap-articles.xml" if n == 1 else f"/sitemap-articles-{n}.xml"
        for n in range(first, last + 1)
    ]


def _surplus_sitemap_pages(root: Path) -> list[str]:
    """Article sitemap pages in the bundle beyond the last one now."""
    wanted = {file_for(path) for path in _sitemap_paths()}
    return [
        child.name
        for child in root.iterdir()
        if child.name.startswith("sitemap-")
        and child.name.endswith(".xml")
        and child.name not in wanted
    ]


def rebake(page_ids: Iterable[int], *, root: Path | None = None) -> BuildReport:
    """Re-render what publishing or correcting these articles touches. Anything else — a
    page that is not an article, or is no longer live or no longer exists — means a full
    build, so that a withdrawn story leaves nothing behind (its images included)."""
    root = Path(root or settings.BUNDLE_DIR)
    if not (root / manifest.MANIFEST).exists():
        return build_bundle(root)
    started = time.monotonic()
    report = BuildReport()
    ids = set(page_ids)
    pages = {page.pk: page for page in publishing.articles().filter(pk__in=ids).specific()}
    if pages.keys() != ids:
        return build_bundle(root)
    with bundle_lock(root):
        _forget_cached_values()
        render: list[str] = []
        remove: list[str] = []
        for page in pages.values():
            paths, files = touched_paths(root, page)
            render += paths
            remove += files
        render = list(dict.fromkeys(render))
        remove += _surplus_sitemap_pages(root)
        _render_into(root, render, report, None)
        rendered = {file_for(path) for path in render}
        for rel in dict.fromkeys(remove):
            if rel not in rendered:
                report.removed += remove_file(root, rel)
        _finish(root, report, full=False, started=started)
    sync(root, report)
    return report
