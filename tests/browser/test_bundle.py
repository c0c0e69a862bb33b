"""A reader on a copy of the site: the bundle under a path prefix of a plain web server (one
that knows nothing of index files but a folder's ``index.html``), and on disk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from samizdat.mirrors import bundle
from tests import factories
from tests.browser.conftest import file_server, origin, record_requests

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PREFIX = "/copies/lantern/"


def styled(page: Page) -> bool:
    """Whether the site's stylesheet applies (its body has no margin; browsers' has 8px)."""
    return page.evaluate("() => getComputedStyle(document.body).marginTop") == "0px"


@pytest.fixture
def copy(newsroom: dict[str, Any], tmp_path: Path, settings: Any) -> Iterator[str]:
    """The bundle at ``PREFIX`` of a static server on its own port; yields the copy's URL."""
    settings.SITE_URL = "https://lantern.example"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "lantern.example"]
    factories.ArticlePageFactory(
        parent=newsroom["news"],
        title="Earlier story",
        slug="earlier",
        tags=["courts"],
        published_at=timezone.now() - timedelta(days=1),
    )
    served = tmp_path / "www"
    bundle.build_bundle(served / PREFIX.strip("/"))
    with file_server(served) as base:
        yield base + PREFIX


def test_a_reader_browses_a_copy_under_a_path_prefix(browser: Browser, copy: str) -> None:
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(copy)  # the root sends readers to their language
        expect(page).to_have_url(copy + "en/index.html")
        page.wait_for_load_state("load")
        assert styled(page)
        page.get_by_role("link", name="News", exact=True).first.click()
        expect(page).to_have_url(copy + "en/news/index.html")
        page.get_by_role("link", name="Court opens trial of reporter").first.click()
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        lead = page.locator("figure.lead-image img")
        expect(lead).to_be_visible()
        assert lead.evaluate("img => img.complete && img.naturalWidth > 0")
        page.locator("aside.read-more").get_by_role("link", name="Earlier story").click()
        expect(page).to_have_url(copy + "en/news/earlier/index.html")
        page.get_by_role("link", name="courts").first.click()
        expect(page).to_have_url(copy + "en/tags/courts/index.html")
        # The feed the page announces is a file, not a folder this server would list.
        announced = page.locator('link[type="application/rss+xml"]').first
        feed = page.request.get(announced.evaluate("link => link.href"))
        assert feed.ok and b"<rss" in feed.body()
        elsewhere = {origin(request.url) for request in requests} - {origin(copy)}
        assert elsewhere == set(), "a reader of a copy asks nothing of any other server"
        # Forms still lead to the newsroom's app, not to the copy.
        action = page.locator("form.search").first.get_attribute("action")
        assert action == "https://lantern.example/en/search/"


def test_the_bundle_reads_from_disk(browser: Browser, copy: str, tmp_path: Path) -> None:
    root = tmp_path / "www" / PREFIX.strip("/")
    with browser.new_context() as context:
        page = context.new_page()
        article = root / "en" / "news" / "court-opens-trial" / "index.html"
        assert article.is_file(), sorted(p.name for p in root.iterdir())
        page.goto(article.as_uri())
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        assert styled(page)
        page.get_by_role("link", name="News", exact=True).first.click()
        expect(page).to_have_url((root / "en/news/index.html").as_uri())
        expect(page.locator("h1")).to_have_text("News")


# Every address a page leads to or loads: links, stylesheets, images (each of a srcset),
# media and their posters, resolved as the browser resolves them.
READ = """() => {
  const found = [];
  const selector = "a[href], link[href], img, source, script[src], video, audio, track";
  for (const el of document.querySelectorAll(selector)) {
    for (const name of ["href", "src", "poster"]) {
      if (el.getAttribute(name)) found.push(new URL(el.getAttribute(name), document.baseURI).href);
    }
    for (const part of (el.getAttribute("srcset") || "").split(",")) {
      const url = part.trim().split(" ")[0];
      if (url) found.push(new URL(url, document.baseURI).href);
    }
  }
  return {url: document.URL, ready: document.readyState, title: document.title, found};
}"""


def read_page(page: Page, url: str) -> tuple[str, str, list[str]]:
    """The address, title and addresses of the page ``url`` leads to, once it has loaded. The
    copy's root sends readers on with a ``<meta http-equiv="refresh">``, which may fire while
    the page is being read: then the page it led to is read, once it has loaded."""
    page.goto(url)
    for _ in range(10):
        try:
            read = page.evaluate(READ)
        except PlaywrightError as error:
            if "context was destroyed" not in str(error):
                raise
        else:
            if read["ready"] == "complete":
                return read["url"], read["title"], read["found"]
        page.wait_for_load_state("load")
    raise AssertionError(f"{url} kept navigating")


def test_every_address_of_the_copy_opens_from_disk(
    browser: Browser, copy: str, tmp_path: Path
) -> None:
    """Chromium walks the whole copy from ``file://``: every link, image and feed it meets
    names a file of the copy (a folder would open as a directory listing)."""
    root = tmp_path / "www" / PREFIX.strip("/")
    start = (root / "index.html").as_uri()
    seen: set[str] = set()
    waiting = [start]
    missing: set[str] = set()
    with browser.new_context() as context:
        page = context.new_page()
        while waiting:
            url = waiting.pop()
            if url in seen:
                continue
            seen.add(url)
            url, title, addresses = read_page(page, url)
            seen.add(url)
            assert not title.startswith("Index of"), url
            for found in addresses:
                target = found.split("#", 1)[0].split("?", 1)[0]
                if not target.startswith("file://"):
                    continue  # forms and canonical links lead to the newsroom's app
                path = Path(unquote(urlsplit(target).path))
                if not path.is_file():
                    missing.add(f"{url} → {found}")
                elif target.endswith(".html") and target not in seen:
                    waiting.append(target)
    assert missing == set(), "\n".join(sorted(missing))
    pages = {Path(unquote(urlsplit(url).path)) for url in seen}
    assert root / "en/news/court-opens-trial/index.html" in pages
    assert len(pages) >= 20
