"""The week's edition as files: a strict, self-contained HTML page and an EPUB 3 book that
EPUBCheck accepts, both signed, the same bytes on every render, listed on the editions page,
and without a story once it is withdrawn (on the site and in the bundle)."""

from __future__ import annotations

import html.parser
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import html5lib
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings

from samizdat.core.paths import language_roots, public_path
from samizdat.core.signals import public_site_changed
from samizdat.editions import actions, build
from samizdat.editions.models import WeeklyEdition
from samizdat.mirrors import bundle
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.publishing.models import ArticlePage
from tests.editions.helpers import book_text, signing_key, this_week, verifies, week_stories

pytestmark = pytest.mark.django_db


class Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.src: list[str] = []
        self.href: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "src" and value is not None:
                self.src.append(value)
            elif name == "href" and value is not None:
                self.href.append(value)


def links(page: str) -> Links:
    found = Links()
    found.feed(page)
    return found


@pytest.fixture
def edition(site_tree: Any, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    ensure_newsletter_pages()
    public = signing_key(tmp_path, settings)
    stories = week_stories(3)
    week = actions.build_week(language="en", year=this_week().year, week=this_week().week)
    return {"stories": stories, "week": week, "public_key": public}


def epubcheck() -> list[str]:
    """The command that runs the official EPUBCheck (Debian's is a jar run by java)."""
    found = shutil.which("epubcheck")
    java = shutil.which("java")
    if found is None or java is None:
        if os.environ.get("CI") == "true":
            pytest.fail("epubcheck is missing (.ci/run installs it)")
        pytest.skip("EPUBCheck is not installed (apt-get install epubcheck)")
    jar = os.path.realpath(found)
    return [java, "-jar", jar] if jar.endswith(".jar") else [found]


def get(client: Client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return bytes(response.content)


def test_the_html_edition_is_strict_self_contained_and_signed(
    client: Client, edition: dict[str, Any]
) -> None:
    week: build.Week = edition["week"]
    data = get(client, week.path("html"))
    page = data.decode()
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    found = links(page)
    # Every picture is in the file: two a story (the lead photo and one in the body).
    assert len(found.src) == 6
    assert all(src.startswith("data:image/jpeg;base64,") for src in found.src)
    roots = language_roots()
    canonical = {
        f"http://testserver{public_path(story.url_path, roots)}" for story in edition["stories"]
    }
    for story in edition["stories"]:
        assert f"<h2>{story.title}</h2>" in page
    web = {href for href in found.href if re.match(r"https?:", href)}
    assert canonical <= web, (canonical, web)
    # Nothing leads anywhere but the site (a link elsewhere is written out as text).
    assert web - canonical == {"http://testserver/en/editions/"}
    assert "a report elsewhere (https://elsewhere.example/report)" in page
    assert "<script" not in page and "<link" not in page
    assert "By Author" in page and "Ada Lind" in page and "Lead caption 1" in page
    assert "The last paragraph &amp; its <i>last</i> word." in page
    # The reader who got it from a friend can check it is ours.
    signature = get(client, week.path("html", signature=True))
    assert verifies(edition["public_key"], data, signature)
    assert not verifies(edition["public_key"], data + b" ", signature)


def test_the_files_are_the_same_bytes_whoever_renders_them(edition: dict[str, Any]) -> None:
    week: build.Week = edition["week"]
    first = build.files(week)
    cache.clear()  # as on another node
    second = build.files(week)
    assert first is not second
    assert (first.html, first.epub) == (second.html, second.epub)


def test_the_book_is_a_valid_epub(client: Client, edition: dict[str, Any], tmp_path: Path) -> None:
    week: build.Week = edition["week"]
    response = client.get(week.path("epub"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/epub+zip"
    data = bytes(response.content)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        first = book.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert book.read("mimetype") == b"application/epub+zip"
        assert len([n for n in book.namelist() if n.endswith(".jpg")]) == 6
    text = book_text(data)
    for story in edition["stories"]:
        assert story.title in text
    assert verifies(edition["public_key"], data, get(client, week.path("epub", signature=True)))
    path = tmp_path / week.file_name("epub")
    path.write_bytes(data)
    result = subprocess.run(
        [*epubcheck(), str(path)], capture_output=True, text=True, timeout=300, check=False
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "No errors or warnings detected" in report, report


def test_the_editions_page_lists_every_week_newest_first(
    client: Client, edition: dict[str, Any]
) -> None:
    now: build.Week = edition["week"]
    earlier = actions.build_week(language="en", year=2025, week=3)
    page = get(client, "/en/editions/").decode()
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert page.index(f"week-{now.slug}") < page.index(f"week-{earlier.slug}")
    size = len(build.files(now).html)
    for week in (now, earlier):
        for kind in ("html", "epub"):
            assert f'href="../../en/editions/{week.slug}.{kind}" download' in page
            assert f'href="../../en/editions/{week.slug}.{kind}.sig"' in page
    assert "3 stories" in page and "0 stories" in page
    assert f"{size / 1024:.1f}".replace(".0", "") in page.replace("\xa0", " ")
    # Russian readers have their own page, with no English edition on it.
    assert now.slug not in get(client, "/ru/editions/").decode()


def test_a_week_without_an_edition_or_a_bad_address_is_a_404(
    client: Client, edition: dict[str, Any]
) -> None:
    week: build.Week = edition["week"]
    for path in (
        "/en/editions/2025-w04.html",  # a week with no edition
        "/en/editions/2025-w60.epub",  # no such week
        "/en/editions/2025-w00.epub",
        "/en/editions/0000-w01.html",
        "/en/editions/9999-W52.html.sig",
        "/en/editions/latest.epub",
        f"/en/editions/{week.slug}.pdf",
        f"/ru/editions/{week.slug}.html",  # the English edition only
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    assert client.post(week.path("html")).status_code == 405


def test_a_withdrawn_story_leaves_the_files_and_the_bundle(
    edition: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    week: build.Week = edition["week"]
    root = tmp_path / "bundle"
    bundle.build_bundle(root)
    rel = week.path("html").lstrip("/")
    withdrawn = edition["stories"][1]
    assert withdrawn.title in (root / rel).read_text()
    assert (root / "en/editions/index.html").exists()

    heard: list[list[str] | None] = []

    def listen(sender: Any, paths: list[str] | None = None, **kwargs: Any) -> None:
        heard.append(paths)

    public_site_changed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ArticlePage.objects.get(pk=withdrawn.pk).unpublish()
    finally:
        public_site_changed.disconnect(listen)
    announced = [path for paths in heard if paths for path in paths if "/editions/" in path]
    assert week.path("epub") in announced, heard

    # The rebake the announcement queues renders the week's files again, without the story
    # (the full build the withdrawal also queues would as well).
    report = bundle.rebake(announced, root=root)
    assert rel in report.written
    for kind in ("html", "epub"):
        data = (root / week.path(kind).lstrip("/")).read_bytes()
        text = data.decode() if kind == "html" else book_text(data)
        assert withdrawn.title not in text
        assert edition["stories"][0].title in text
        signature = (root / week.path(kind, signature=True).lstrip("/")).read_bytes()
        assert verifies(edition["public_key"], data, signature)


def test_the_command_builds_the_week_and_writes_the_files(
    site_tree: Any, settings: Settings, tmp_path: Path
) -> None:
    public = signing_key(tmp_path, settings)
    week_stories(2)
    out = io.StringIO()
    call_command("edition", "build", "--language", "en", "--out", str(tmp_path / "out"), stdout=out)
    week = this_week()
    assert WeeklyEdition.objects.filter(language="en", year=week.year, week=week.week).exists()
    assert f"en {week.slug}: 2 stories" in out.getvalue()
    for kind in ("html", "epub"):
        path = tmp_path / "out" / week.file_name(kind)
        signature = path.with_name(path.name + ".sig").read_bytes()
        assert verifies(public, path.read_bytes(), signature)
    with pytest.raises(CommandError, match="not an ISO week"):
        call_command("edition", "build", "--week", "last")
    with pytest.raises(CommandError, match="unknown language"):
        call_command("edition", "build", "--language", "xx")
    with pytest.raises(CommandError, match="has not begun"):
        call_command("edition", "build", "--week", f"{week.year + 1}-W10")


def test_the_week_keeps_its_newest_stories_up_to_the_setting(
    site_tree: Any, settings: Settings
) -> None:
    settings.EDITION_STORIES = 2
    stories = week_stories(3)
    week = actions.build_week(language="en", year=this_week().year, week=this_week().week)
    assert [story.title for story in build.files(week).stories] == [
        stories[2].title,
        stories[1].title,
    ]


def test_the_front_page_leads_to_the_editions(client: Client, edition: dict[str, Any]) -> None:
    english = get(client, "/en/").decode()
    assert '<a href="../en/editions/">This week\'s stories as one file' in english
    russian = get(client, "/ru/").decode()
    assert '<a href="../ru/editions/">Материалы недели одним файлом' in russian
