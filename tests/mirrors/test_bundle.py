"""The static bundle: every page as a file, links that resolve inside it, incremental = full."""

from __future__ import annotations

import gzip
import html.parser
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import brotli
import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django import DjangoDbBlocker
from pytest_django.fixtures import Settings
from wagtail.models import PageViewRestriction

from samizdat.mirrors import bundle, manifest, render
from samizdat.mirrors.actions import build_bundle_when_due
from samizdat.mirrors.models import BundleTakedown, MirrorTarget
from samizdat.newsletter.actions import ensure_newsletter_pages, finish_edition
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.models import ArticlePage, ArticlePageAuthor
from tests import factories
from tests.conftest import build_once
from tests.publishing.helpers import media_story, stored_media, stored_subtitles
from tests.publishing.media_files import WEBVTT, demo_mp3, demo_webm

pytestmark = pytest.mark.django_db


def _stories(newsroom: dict[str, Any]) -> list[ArticlePage]:
    now = timezone.now()
    return [
        factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 3 else newsroom["culture"],
            title=f"Story {n}",
            slug=f"story-{n}",
            published_at=now - timedelta(hours=n),
            authors=[newsroom["anna"]] if n % 2 else [newsroom["pavel"]],
            tags=["courts"] if n % 4 == 0 else ["elections"],
        )
        for n in range(1, 12)
    ]


@pytest.fixture(scope="module")
def module_data_stories(
    module_transaction: bool,
    django_db_blocker: DjangoDbBlocker,
    module_data_newsroom: dict[str, Any] | None,
) -> list[ArticlePage] | None:
    if module_data_newsroom is None:
        return None
    newsroom = module_data_newsroom
    return build_once(module_transaction, django_db_blocker, lambda: _stories(newsroom))


@pytest.fixture
def site(
    newsroom: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    module_data_stories: list[ArticlePage] | None,
) -> dict[str, Any]:
    """The newsroom with enough stories for archive pages (three a page), tags and authors."""
    settings.ARTICLES_PER_PAGE = 3
    settings.BUNDLE_DIR = tmp_path / "bundle"
    if module_data_stories is None:
        stories = _stories(newsroom)
    else:
        stories = [ArticlePage.objects.get(pk=story.pk) for story in module_data_stories]
    return {**newsroom, "stories": stories, "root": settings.BUNDLE_DIR}


class Links(html.parser.HTMLParser):
    """Every link, asset and form action in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("href", "src", "action"):
                self.links.append(value)
            elif value and name == "srcset":
                self.links += [part.strip().split(" ")[0] for part in value.split(",")]


def url_of(rel: str) -> str:
    """The public URL path of a bundle file (``en/news/index.html`` → ``/en/news/``)."""
    for index in ("index.html", "index.xml"):
        if rel == index or rel.endswith("/" + index):
            return "/" + rel[: -len(index)]
    return "/" + rel


def resolves(root: Path, page: str, link: str) -> bool:
    """Whether ``link`` in the bundle file ``page`` names a file of the bundle, as a browser
    that opened the page from disk finds it: a folder is no page there."""
    target = urlsplit(urljoin("file:///copy/" + page, link))
    path = unquote(target.path).removeprefix("/copy/")
    return path != "" and not path.endswith("/") and (root / path).is_file()


def html_files(root: Path) -> list[str]:
    return sorted(rel for rel, _ in manifest.walk(root) if rel.endswith(".html"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {rel: Path(path).read_bytes() for rel, path in manifest.walk(root)}


def test_every_page_feed_and_asset_is_a_file(site: dict[str, Any]) -> None:
    report = bundle.build_bundle(site["root"])
    root = site["root"]
    assert report.problems == []
    for rel in (
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "sitemap-articles.xml",
        "sitemap-pages.xml",
        "news-sitemap.xml",
        "en/index.html",
        "en/news/index.html",
        "en/news/page/1/index.html",
        "en/news/story-1/index.html",
        "en/news/court-opens-trial/index.html",
        "en/news/feed/rss/index.xml",
        "en/feed/atom/index.xml",
        "en/tags/elections/index.html",
        "en/tags/elections/page/1/index.html",
        "en/tags/courts/feed/rss/index.xml",
        "en/authors/index.html",
        "en/authors/anna-berg/index.html",
        "en/authors/anna-berg/feed/atom/index.xml",
        "en/mirrors/index.html",
        "ru/index.html",
        "static/samizdat/site.css",
        "static/samizdat/forms.js",
    ):
        assert (root / rel).is_file(), rel
    story = (root / "en/news/story-1/index.html").read_text()
    assert "<h1>Story 1</h1>" in story
    not_found = (root / "404.html").read_text()
    assert not_found.count("We could not find that page") == 1
    # Served at any depth: its links start from the site's root.
    assert (
        '<head>\n<base href="/">' in not_found and 'href="./static/samizdat/site.css' in not_found
    )
    # The lead photo's renditions travel with the page.
    lead = (root / "en/news/court-opens-trial/index.html").read_text()
    assert "media/images/" in lead
    assert any(rel.startswith("media/images/") for rel, _ in manifest.walk(root))
    # Precompressed siblings hold the same bytes.
    page = (root / "en/news/index.html").read_bytes()
    assert gzip.decompress((root / "en/news/index.html.gz").read_bytes()) == page
    assert brotli.decompress((root / "en/news/index.html.br").read_bytes()) == page
    assert manifest.verify(root, public_key_pem=None) == []


def test_bundle_pages_are_the_pages_the_app_serves(site: dict[str, Any], client: Any) -> None:
    """The same pages, but a copy's links name the files a folder's address leads to."""
    bundle.build_bundle(site["root"])
    for path in ("/en/news/story-2/", "/en/news/", "/en/tags/courts/", "/en/feed/rss/"):
        copy = (site["root"] / bundle.file_for(path)).read_bytes()
        served = client.get(path).content
        assert copy == served if path.endswith("/rss/") else copy != served
        assert re.sub(rb'/index\.(html|xml)(["#?])', rb"/\2", copy) == served


def test_the_app_sends_a_copys_file_address_to_the_folder(
    site: dict[str, Any], client: Any
) -> None:
    """Where a server passes what it has no file for to the app (a page not baked yet), the
    file name a copy links leads to the page."""
    for named, folder in (
        ("/en/news/story-2/index.html", "/en/news/story-2/"),
        ("/en/feed/rss/index.xml", "/en/feed/rss/"),
        ("/index.html?from=copy", "/?from=copy"),
    ):
        answer = client.get(named)
        assert (answer.status_code, answer["Location"]) == (301, folder)
    assert client.get("/en/news/story-2/index.html", follow=True).status_code == 200
    assert client.post("/en/news/index.html").status_code == 405


def test_every_relative_link_resolves_to_a_file_of_the_bundle(site: dict[str, Any]) -> None:
    bundle.build_bundle(site["root"])
    root = site["root"]
    broken = []
    pages = html_files(root)
    assert len(pages) > 30
    for rel in pages:
        if rel == "404.html":  # served at any depth, anchored by <base>: see the test above
            continue
        parser = Links()
        parser.feed((root / rel).read_text())
        for link in parser.links:
            if link.startswith(("http:", "https:", "mailto:", "#", "data:")):
                continue
            if not resolves(root, rel, link):
                broken.append(f"{rel}: {link}")
    assert broken == [], "\n".join(sorted({item.split(": ", 1)[1] for item in broken}))


@contextmanager
def python_http_server(directory: Path) -> Iterator[str]:
    """``python -m http.server`` serving ``directory`` on a port of its own: its address."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1"],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = re.search(r"port (\d+)", server.stdout.readline())
        assert port, "http.server did not say its port"
        yield f"http://127.0.0.1:{port[1]}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_every_link_answers_from_a_plain_web_server(site: dict[str, Any]) -> None:
    """Served by a server that knows no index file but a folder's ``index.html``, every link
    of every page (feeds too) answers with a file, never an error or a directory listing."""
    bundle.build_bundle(site["root"])
    with python_http_server(site["root"]) as base:
        seen: set[str] = set()
        waiting = [base + "/index.html"]
        bad = []
        while waiting:
            url = waiting.pop()
            if url in seen:
                continue
            seen.add(url)
            try:
                with urllib.request.urlopen(url, timeout=10) as answer:
                    body = answer.read()
            except urllib.error.HTTPError as error:
                bad.append(f"{url}: {error.code}")
                continue
            if b"Directory listing for" in body:
                bad.append(f"{url}: a directory listing")
            if not url.endswith(".html"):
                continue
            parser = Links()
            parser.feed(body.decode())
            for link in parser.links:
                target = urljoin(url, link).split("#", 1)[0]
                if target.startswith(base) and "?" not in target:
                    waiting.append(target)
    assert bad == [], "\n".join(sorted(bad))
    assert base + "/en/news/story-1/index.html" in seen
    assert base + "/en/feed/rss/index.xml" in seen and base + "/en/tags/courts/index.html" in seen


def test_the_only_absolute_links_are_canonical_feeds_and_forms(site: dict[str, Any]) -> None:
    bundle.build_bundle(site["root"])
    parser = Links()
    parser.feed((site["root"] / "en/news/story-2/index.html").read_text())
    absolute = [link for link in parser.links if link.startswith(("http:", "https:", "//"))]
    assert absolute, "the canonical link at least"
    assert all(link.startswith("http://testserver/") for link in absolute), absolute


def test_a_second_build_writes_nothing_and_a_gone_page_is_removed(site: dict[str, Any]) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    before = snapshot(root)
    again = bundle.build_bundle(root)
    assert again.written == [] and again.removed == []
    assert snapshot(root) == before
    site["stories"][0].unpublish()
    third = bundle.build_bundle(root)
    assert "en/news/story-1/index.html" in third.removed
    assert not (root / "en/news/story-1").exists()


def test_publishing_touches_few_files_and_equals_a_full_build(
    site: dict[str, Any], tmp_path: Path
) -> None:
    incremental = site["root"]
    bundle.build_bundle(incremental)
    new = factories.ArticlePageFactory(
        parent=site["news"], title="Fresh", slug="fresh", authors=[site["anna"]], tags=["courts"]
    )
    report = rebake(new, incremental)
    pages = report.pages_written
    assert "en/news/fresh/index.html" in pages
    assert "en/news/index.html" in pages and "en/index.html" in pages
    assert len(pages) <= 30, pages
    assert not any("/page/" in rel for rel in pages), "archive pages keep their bytes"
    assert_same(incremental, full_build(tmp_path / "full"))


def test_successive_publications_equal_a_full_build(site: dict[str, Any], tmp_path: Path) -> None:
    # News holds 9 stories, #courts 3, Anna 7 (three a page): each publication below adds to
    # all three, and between them they complete an archive page of each.
    incremental = site["root"]
    bundle.build_bundle(incremental)
    for n in range(3):
        new = factories.ArticlePageFactory(
            parent=site["news"],
            title=f"Update {n}",
            slug=f"update-{n}",
            authors=[site["anna"]],
            tags=["courts"],
        )
        rebake(new, incremental)
        assert_same(incremental, full_build(tmp_path / f"full-{n}"))
    assert (incremental / "en/news/page/3/index.html").is_file()
    assert (incremental / "en/tags/courts/page/1/index.html").is_file()


def test_a_correction_equals_a_full_build(site: dict[str, Any], tmp_path: Path) -> None:
    incremental = site["root"]
    bundle.build_bundle(incremental)
    old = site["stories"][7]
    old.title = "Story 8, corrected"
    old.save_revision().publish()
    report = rebake(old, incremental)
    assert "en/news/story-8/index.html" in report.written
    assert "Story 8, corrected" in (incremental / "en/news/story-8/index.html").read_text()
    assert_same(incremental, full_build(tmp_path / "full"))


def test_a_correction_that_takes_tags_and_authors_away_equals_a_full_build(
    site: dict[str, Any], tmp_path: Path
) -> None:
    incremental = site["root"]
    story = factories.ArticlePageFactory(
        parent=site["news"],
        title="Tagged",
        slug="tagged",
        tags=["archives"],
        authors=[site["pavel"]],
    )
    bundle.build_bundle(incremental)
    assert (incremental / "en/tags/archives/index.html").is_file()
    story = ArticlePage.objects.get(pk=story.pk)
    story.tags.set(["elections"])
    story.article_authors.all().delete()
    story.article_authors.add(ArticlePageAuthor(author=site["anna"], sort_order=0))
    story.save_revision().publish()
    rebake(story, incremental)
    assert not (incremental / "en/tags/archives").exists(), "its only story left the tag"
    assert "Tagged" not in (incremental / "en/authors/pavel-drozd/index.html").read_text()
    assert_same(incremental, full_build(tmp_path / "full"))


def test_a_withdrawn_story_leaves_nothing_behind(
    site: dict[str, Any],
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    lead = site["lead"]
    assert [rel for rel, _ in manifest.walk(root) if rel.startswith("media/")]
    assert lead.touched_paths() is not None
    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    with django_capture_on_commit_callbacks(execute=True):
        lead.unpublish()
    assert lead.touched_paths() is None, "a withdrawn story asks for a full build"
    assert not (root / "en/news/court-opens-trial").exists()
    assert [rel for rel, _ in manifest.walk(root) if rel.startswith("media/")] == []
    assert "Court opens trial" not in (root / "en/index.html").read_text()
    assert "Court opens trial" not in (root / "en/tags/courts/index.html").read_text()
    assert_same(root, full_build(tmp_path / "full"))


OLD_FILE = "en/news/court-opens-trial/index.html"


def takedowns() -> list[str]:
    return [path for row in BundleTakedown.objects.filter(done_at=None) for path in row.paths]


def test_a_page_made_private_leaves_the_bundle_at_once_and_never_as_a_password_form(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    settings.BUNDLE_AUTO_BUILD = True
    with django_capture_on_commit_callbacks(execute=False):  # the takedown alone, no build
        PageViewRestriction.objects.create(
            page=site["lead"], restriction_type=PageViewRestriction.PASSWORD, password="x"
        )
    assert "/en/news/court-opens-trial/" in takedowns()

    report = bundle.rebake([], root=root)

    assert OLD_FILE in report.removed
    assert not (root / OLD_FILE).exists()
    assert (root / "en/news/index.html").exists()
    bundle.rebake(["/en/news/court-opens-trial/"], root=root)  # as a later edit would
    assert not (root / OLD_FILE).exists()


def test_the_old_address_of_a_page_moved_leaves_every_copy_at_once(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    settings.BUNDLE_AUTO_BUILD = True
    with django_capture_on_commit_callbacks(execute=False):  # the takedown alone, no build
        site["lead"].move(site["culture"], pos="last-child")
    assert "/en/news/court-opens-trial/" in takedowns()
    assert not [path for path in takedowns() if path.startswith("/en/culture/")]

    report = bundle.rebake([], root=root)

    assert OLD_FILE in report.removed
    assert not (root / OLD_FILE).exists()


def test_the_old_address_of_a_page_renamed_is_taken_down_with_the_new_slug(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    settings.BUNDLE_AUTO_BUILD = True
    lead = site["lead"]
    lead.slug = "court-opens-the-trial"
    with django_capture_on_commit_callbacks(execute=True):
        lead.save_revision().publish()
    taken = [path for row in BundleTakedown.objects.all() for path in row.paths]
    assert "/en/news/court-opens-trial/" in taken
    assert "/en/news/court-opens-the-trial/" not in taken
    assert not (root / OLD_FILE).exists()
    assert (root / "en/news/court-opens-the-trial/index.html").exists()


def test_a_new_front_page_choice_re_renders_the_front_page_alone(
    site: dict[str, Any],
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from samizdat.publishing.models import HomePage, HomePageFeaturedStory

    root = site["root"]
    home, chosen = site["home"], site["stories"][6]
    home.save_revision().publish()  # a publication to compare the next one with
    bundle.build_bundle(root)
    home = HomePage.objects.get(pk=home.pk)
    home.lead_story = chosen
    home.featured_stories = [HomePageFeaturedStory(story=site["stories"][8], sort_order=0)]
    home.save_revision().publish()
    paths = HomePage.objects.get(pk=home.pk).touched_paths()
    assert paths == ["/en/", "/en/feed/rss/", "/en/feed/atom/"]
    bundle.rebake(paths, root=root)
    lead = (root / "en/index.html").read_text()
    assert '<a href="../en/news/story-7/index.html">Story 7</a></h2>' in lead
    assert_same(root, full_build(tmp_path / "full"))

    # Withdrawing the chosen lead asks for a full build: it leaves the front page at once.
    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    with django_capture_on_commit_callbacks(execute=True):
        ArticlePage.objects.get(pk=chosen.pk).unpublish()
    assert "Story 7" not in (root / "en/index.html").read_text()


def rebake(page: ArticlePage, root: Path) -> bundle.BuildReport:
    """What publishing ``page`` queues: re-render the paths the page says it touched."""
    paths = page.touched_paths()
    assert paths is not None
    return bundle.rebake(paths, root=root)


def full_build(root: Path) -> Path:
    bundle.build_bundle(root)
    return root


def assert_same(one: Path, other: Path) -> None:
    a, b = snapshot(one), snapshot(other)
    assert sorted(a) == sorted(b)
    assert [rel for rel in a if a[rel] != b[rel]] == []
    # Both manifests list the same files with the same digests.
    files = [
        manifest.read_manifest((root / "manifest.json").read_bytes())[0] for root in (one, other)
    ]
    assert files[0] is not None and files[1] is not None
    assert files[0]["files"] == files[1]["files"]


def test_publishing_keeps_the_bundle_current_in_the_background(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    root = site["root"]
    bundle.build_bundle(root)
    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.ArticlePageFactory(parent=site["news"], title="Scoop", slug="scoop")
    assert "<h1>Scoop</h1>" in (root / "en/news/scoop/index.html").read_text()
    assert "Scoop" in (root / "en/news/index.html").read_text()
    page.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert not (root / "en/news/scoop/index.html").exists()
    assert "Scoop" not in (root / "en/news/index.html").read_text()
    assert manifest.verify(root, public_key_pem=None) == []
    # A story made private leaves the public copy too.
    story = site["stories"][0]
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=story, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
        )
    assert not (root / "en/news/story-1/index.html").exists()


def test_writes_are_atomic_for_readers_reading_meanwhile(tmp_path: Path) -> None:
    pages = [b"<!DOCTYPE html>" + bytes([65 + n]) * 400_000 + b"</html>\n" for n in range(2)]
    bundle.write_file(tmp_path, "en/index.html", pages[0])
    stop = threading.Event()
    seen: list[bytes] = []

    def read() -> None:
        while not stop.is_set():
            seen.append((tmp_path / "en/index.html").read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(60):
            bundle.write_file(tmp_path, "en/index.html", pages[n % 2])
    finally:
        stop.set()
        reader.join()
    assert seen and all(body in pages for body in seen)
    assert not [p for p in (tmp_path / "en").iterdir() if p.name.endswith(".tmp")]


def test_media_links_are_found_at_any_depth_and_only_in_public_folders() -> None:
    html = (
        b'<img src="../../media/images/a.webp" srcset="./media/images/b.webp 2x">'
        b'<a href="media/documents/%D0%B0.pdf?x=1">d</a><a href="../media/original_images/o.jpg">'
        b'<a href="/socialmedia/x">s</a><a href="../media/../secret">z</a>'
        b"<video src='../../../media/media/v.webm'></video>"
    )
    assert render.media_links(html) == {
        "media/images/a.webp",
        "media/images/b.webp",
        "media/documents/\u0430.pdf",
        "media/media/v.webm",
    }
    assert render.media_links(b"<p>no uploads here</p>") == set()


def test_the_command_shows_progress_and_a_summary(site: dict[str, Any], tmp_path: Path) -> None:
    out, err = StringIO(), StringIO()
    call_command("mirror", "build", str(tmp_path / "out"), stdout=out, stderr=err)
    assert "pages rendered" in out.getvalue() and "files written" in out.getvalue()
    assert "pages" in err.getvalue()
    assert (tmp_path / "out" / "en" / "news" / "story-1" / "index.html").is_file()


def test_a_signing_key_signs_every_build(site: dict[str, Any], settings: Settings) -> None:
    private, public = manifest.generate_key()
    key = site["root"].parent / "newsroom.key"
    key.write_bytes(private)
    settings.BUNDLE_SIGNING_KEY = str(key)
    bundle.build_bundle(site["root"])
    assert manifest.verify(site["root"], public_key_pem=public) == []
    new = factories.ArticlePageFactory(parent=site["news"], title="Signed", slug="signed")
    rebake(new, site["root"])
    assert manifest.verify(site["root"], public_key_pem=public) == []
    (site["root"] / "en/news/signed/index.html").write_text("forged")
    assert "en/news/signed/index.html: changed" in " ".join(
        manifest.verify(site["root"], public_key_pem=public)
    )


def test_every_build_reaches_the_mirror_targets(site: dict[str, Any], tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    MirrorTarget.objects.create(name="local", kind=MirrorTarget.Kind.DIRECTORY, path=str(mirror))
    bundle.build_bundle(site["root"])
    assert manifest.verify(mirror, public_key_pem=None) == []
    new = factories.ArticlePageFactory(parent=site["news"], title="Relayed", slug="relayed")
    rebake(new, site["root"])
    assert "<h1>Relayed</h1>" in (mirror / "en/news/relayed/index.html").read_text()
    assert manifest.verify(mirror, public_key_pem=None) == []
    # Files lost on the mirror come back with a full sync.
    (mirror / "en/news/relayed/index.html").unlink()
    out = StringIO()
    call_command("mirror", "sync", "--full", stdout=out)
    assert "local: ok" in out.getvalue()
    assert manifest.verify(mirror, public_key_pem=None) == []


def test_the_worker_queues_a_full_build_at_start_then_daily(
    site: dict[str, Any], settings: Settings
) -> None:
    settings.BUNDLE_AUTO_BUILD = True
    assert build_bundle_when_due() is True  # the test settings run tasks at once
    assert (site["root"] / "en/news/story-1/index.html").is_file()
    assert build_bundle_when_due() is False


def test_any_app_announcing_a_change_updates_those_paths(
    site: dict[str, Any],
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A sent edition joins the newsletter's archive in the bundle: the newsletter announces
    its pages, and only those are rendered."""
    root = site["root"]
    ensure_newsletter_pages()
    bundle.build_bundle(root)
    edition = Edition.objects.create(
        language="en", subject="The week in courts", status=Edition.Status.SENDING
    )
    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    before = snapshot(root)
    with django_capture_on_commit_callbacks(execute=True):
        assert finish_edition(edition_id=edition.pk)
    after = snapshot(root)
    changed = sorted(rel for rel in after if before.get(rel) != after[rel])
    assert f"en/newsletter/{edition.pk}/index.html" in changed
    assert "The week in courts" in (root / "en/newsletter/index.html").read_text()
    assert {rel.split("/")[0] for rel in changed} <= {"en", "manifest.json"}
    assert not [rel for rel in changed if rel.startswith("en/news/")]
    assert_same(root, full_build(tmp_path / "full"))


def test_a_correction_reaches_the_newsletter_archive_and_a_deleted_edition_leaves_it(
    site: dict[str, Any],
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    root = site["root"]
    ensure_newsletter_pages()
    story = site["stories"][0]
    edition = Edition.objects.create(
        language="en",
        subject="Courts digest",
        status=Edition.Status.SENT,
        finished_at=timezone.now(),
    )
    EditionItem.objects.create(edition=edition, article=story, sort_order=0)
    bundle.build_bundle(root)
    archived = root / f"en/newsletter/{edition.pk}/index.html"
    assert "Story 1" in archived.read_text()
    assert "Courts digest" in (root / "en/newsletter/index.html").read_text()
    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    with django_capture_on_commit_callbacks(execute=True):
        story.title = "Story 1, corrected"
        story.save_revision().publish()
    assert "Story 1, corrected" in archived.read_text()
    assert_same(root, full_build(tmp_path / "full"))
    with django_capture_on_commit_callbacks(execute=True):
        edition.delete()
    assert not archived.exists()
    assert "Courts digest" not in (root / "en/newsletter/index.html").read_text()


def test_a_deleted_photo_leaves_every_copy_with_its_renditions(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    # A photo of its own: deleting one removes its files, which no rollback puts back.
    photo: Any = factories.ImageFactory(title="Flooded village")
    factories.ArticlePageFactory(
        parent=site["news"], title="The dam gave way", slug="dam", lead_image=photo
    )
    stem = Path(photo.file.name).stem
    root = site["root"]
    bundle.build_bundle(root)

    def media(name: str) -> list[str]:
        return [rel for rel, _ in manifest.walk(root) if rel.startswith(f"media/images/{name}")]

    assert media(stem) and media(Path(site["image"].file.name).stem)
    settings.BUNDLE_AUTO_BUILD = True
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert media(stem) == []
    assert stem not in (root / "en/news/dam/index.html").read_text()
    assert media(Path(site["image"].file.name).stem)  # the other photos stay


def test_a_story_s_gallery_and_document_travel_with_it_and_leave_with_a_takedown(
    site: dict[str, Any], settings: Settings, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.files.base import ContentFile
    from wagtail.rich_text import RichText

    from tests.publishing.helpers import draft_article
    from tests.publishing.media_files import authored_pdf

    # Named as a Russian newsroom names its files: the link is percent-encoded, the file not.
    ruling = factories.pdf_document(title="The ruling", name="Решение суда.pdf")
    leak = factories.pdf_document(title="Not yet", name="not-yet.pdf")
    photos: list[Any] = [
        factories.ImageFactory(title="Bench"),
        factories.ImageFactory(title="Gallery"),
    ]
    story = factories.ArticlePageFactory(
        parent=site["news"],
        title="The verdict",
        slug="verdict",
        body=[
            ("paragraph", RichText("<p>The court ruled.</p>")),
            (
                "gallery",
                {"title": "", "images": [{"image": p, "caption": "In court"} for p in photos]},
            ),
            ("document", {"document": ruling, "title": "The ruling", "description": ""}),
        ],
    )
    draft_article(
        site["news"],
        title="Scoop",
        slug="scoop",
        body=[("document", {"document": leak, "title": "", "description": ""})],
    )
    root = site["root"]
    bundle.build_bundle(root)
    page = "en/news/verdict/index.html"
    parser = Links()
    parser.feed((root / page).read_text())
    linked = [link for link in parser.links if "media/" in link]
    assert any(link.endswith(".pdf") for link in linked)
    assert sum("images/" in link for link in linked) >= 2 * 2  # src and srcset of each photo
    assert all(resolves(root, page, link) for link in linked), linked
    copy = root / "media" / ruling.file.name
    assert copy.name.startswith("Решение")
    assert copy.read_bytes() == Path(ruling.file.path).read_bytes()
    documents = [rel for rel, _ in manifest.walk(root) if rel.startswith("media/documents/")]
    assert documents == [f"media/{ruling.file.name}"]  # never the draft's document

    settings.BUNDLE_AUTO_BUILD = True
    # The editor replaces the file (a name redacted): the copies get the new one only.
    ruling.file = ContentFile(authored_pdf(), name="ruling-redacted.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        ruling.save()
    assert not copy.exists()
    copy = root / "media" / ruling.file.name
    assert copy.read_bytes() == Path(ruling.file.path).read_bytes()
    assert ruling.file.name in (root / page).read_text()
    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
    assert not copy.exists()
    assert not any(rel.startswith("media/documents/") for rel, _ in manifest.walk(root))
    photo_stems = [Path(p.file.name).stem for p in photos]
    assert not any(stem in rel for rel, _ in manifest.walk(root) for stem in photo_stems), (
        "the gallery's renditions leave with it"
    )


def test_audio_video_subtitles_posters_and_podcast_travel_with_their_stories(
    site: dict[str, Any],
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The files a public story plays are in the bundle (with the poster's renditions and the
    section's podcast), reachable from the page; an incremental build equals a full one; a
    takedown removes every one of them."""
    root = site["root"]
    bundle.build_bundle(root)
    assert not (root / "en/news/feed/podcast/index.xml").exists()
    assert not [rel for rel, _ in manifest.walk(root) if rel.startswith("media/media/")]
    audio = stored_media("audio", "episode.mp3", demo_mp3())
    video = stored_media("video", "film.webm", demo_webm(), duration=12)
    subtitles = stored_subtitles("en", WEBVTT)
    unused = stored_media("audio", "unused.mp3", demo_mp3())
    episode = media_story(site["news"], "audio", audio, title="Episode", slug="episode")
    rebake(episode, root)
    assert (root / "en/news/feed/podcast/index.xml").is_file()
    film = media_story(
        site["culture"],
        "video",
        video,
        title="Film",
        slug="film",
        poster_image=factories.ImageFactory(title="Film poster"),
        subtitles=[{"file": subtitles, "language": "en", "kind": "subtitles"}],
    )
    rebake(film, root)
    files = {rel for rel, _ in manifest.walk(root)}
    played = {f"media/{name}" for name in (audio.file.name, video.file.name, subtitles.file.name)}
    assert played <= files
    assert f"media/{unused.file.name}" not in files
    assert (root / f"media/{audio.file.name}").read_bytes() == demo_mp3()
    page = (root / "en/culture/film/index.html").read_text()
    parser = Links()
    parser.feed(page)
    poster = re.findall(r'<video [^>]*poster="([^"]+)"', page)
    assert len(poster) == 1 and "media/images/" in poster[0]
    links = [link for link in [*parser.links, *poster] if "media/" in link]
    assert len(links) >= 4  # the video, its download link, the subtitles, the poster
    for link in links:
        assert resolves(root, "en/culture/film/index.html", link), link
    podcast = (root / "en/news/feed/podcast/index.xml").read_text()
    assert f'url="http://testserver/media/{audio.file.name}"' in podcast
    assert_same(root, full_build(tmp_path / "full"))

    settings.BUNDLE_AUTO_BUILD = True  # the test settings run tasks at once
    with django_capture_on_commit_callbacks(execute=True):
        episode.unpublish()
        film.unpublish()
    files = {rel for rel, _ in manifest.walk(root)}
    assert not [rel for rel in files if rel.startswith(("media/media/", "media/documents/"))]
    poster_file = unquote(urljoin("/en/culture/film/", poster[0])).lstrip("/")
    assert poster_file not in files
    assert "en/news/feed/podcast/index.xml" not in files
