"""A reader on a copy of the site: the bundle under a path prefix on another server, and on disk."""

from __future__ import annotations

import http.server
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from samizdat.mirrors import bundle
from tests import factories
from tests.browser.conftest import QuietHandler, file_server, origin, record_requests

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PREFIX = "/copies/lantern/"


class BundleHandler(QuietHandler):
    """A plain static server that, like the generated nginx configuration, answers a
    directory with its ``index.html`` or (feeds) ``index.xml``."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/xml",
        ".webp": "image/webp",
    }

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.is_dir() and not (path / "index.html").exists() and (path / "index.xml").exists():
            self.path = self.path.split("?", 1)[0].rstrip("/") + "/index.xml"
        return super().send_head()


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
    with file_server(served, BundleHandler) as base:
        yield base + PREFIX


def test_a_reader_browses_a_copy_under_a_path_prefix(browser: Browser, copy: str) -> None:
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(copy)  # the root sends readers to their language
        expect(page).to_have_url(copy + "en/")
        page.wait_for_load_state("load")
        assert styled(page)
        page.get_by_role("link", name="News", exact=True).first.click()
        expect(page).to_have_url(copy + "en/news/")
        page.get_by_role("link", name="Court opens trial of reporter").first.click()
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        lead = page.locator("figure.lead-image img")
        expect(lead).to_be_visible()
        assert lead.evaluate("img => img.complete && img.naturalWidth > 0")
        page.locator("aside.read-more").get_by_role("link", name="Earlier story").click()
        expect(page).to_have_url(copy + "en/news/earlier/")
        page.get_by_role("link", name="courts").first.click()
        expect(page).to_have_url(copy + "en/tags/courts/")
        feed = page.request.get(copy + "en/feed/rss/")
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
        assert page.url.endswith("/en/news/index.html") or page.url.endswith("/en/news/")
