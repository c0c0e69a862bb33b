"""A story read from a copy of the site on another origin (a mirror): its signup form still
signs the reader up at the app, through whichever of the app's addresses answers, and when
none does the page says where else to go."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, Request, expect

from samizdat.donations.models import PaymentLink
from samizdat.mirrors.models import Mirror
from samizdat.newsletter import actions
from samizdat.newsletter.models import Subscriber
from samizdat.publishing.actions import ensure_site_tree
from tests import factories
from tests.browser.conftest import file_server, origin, record_requests, save_copy

pytestmark = pytest.mark.browser

ARTICLE_PATH = "/en/news/court-opens-trial/"
READER = "reader@example.org"
ONION = "http://lanternxyzabcdefghijklmnopqrstuvwxyz234567abcdefghijklmnop.onion"
UNREACHABLE = "Sign-up can't reach our server from here. Try again from one of our other addresses:"
NO_DONATE_PAGE = (
    "Our donation page can't be reached from here. You can give directly with our payment provider:"
)


def closed_port_origin() -> str:
    """An address where nothing answers: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def site(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> str:
    """A published story and the newsletter pages, rendered by the live server."""
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    settings.NEWSLETTER_POW_MAX_NUMBER = 3000
    ensure_site_tree()
    actions.ensure_newsletter_pages()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    factories.ArticlePageFactory(
        parent=news, title="Court opens trial of reporter", slug="court-opens-trial"
    )
    cache.clear()
    return str(live_server.url)


@pytest.fixture
def mirror(site: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A plain file server on another origin; calling it saves the story as the app renders
    it now (with the settings of the moment), plus the assets it links, and gives the copy's
    address. The copy is listed for readers as a mirror."""
    root = tmp_path / "copy"
    root.mkdir()
    with file_server(root) as base:
        Mirror.objects.create(url=f"{base}/lantern/", label="Test copy")

        def copy() -> str:
            cache.clear()
            save_copy(site, ARTICLE_PATH, root / "lantern")
            return f"{base}/lantern{ARTICLE_PATH}"

        yield copy


def sign_up(page: Page, email: str) -> None:
    form = page.locator("form.signup")
    form.get_by_label("Email address").fill(email)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Subscribe").click()


def signup_post(requests: list[Request]) -> Request:
    (post,) = [r for r in requests if r.method == "POST" and r.url.endswith("/subscribe/")]
    return post


def test_a_copy_signs_readers_up_through_the_app_address_that_answers(
    browser: Browser, site: str, mirror: Callable[[], str], settings: Any
) -> None:
    # The main address is blocked (nothing answers there); the app's second address works.
    # Only a solved puzzle lets anyone sign up, so the script must have fetched one from it.
    settings.SITE_URL = closed_port_origin()
    settings.APP_ORIGINS = [site]
    settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = 0
    copy = mirror()
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(copy)
        page.wait_for_load_state("load")
        # Reading the copy asks no other server anything; starting to use a form does.
        assert {origin(r.url) for r in requests} == {origin(copy)}
        page.locator("form.signup input[name=email]").focus()
        form = page.locator("form.signup")
        expect(form).to_have_attribute("action", f"{site}/newsletter/subscribe/")
        expect(form).to_have_attribute("data-pow", f"{site}/newsletter/challenge/")
        expect(page.locator("form.search")).to_have_attribute("action", f"{site}/en/search/")
        support = page.locator(".support-banner").get_by_role("link", name="Support us")
        expect(support).to_have_attribute("href", f"{site}/donate/?language=en")
        expect(page.locator("html")).not_to_have_class("apps-unreachable")
        expect(page.get_by_text(UNREACHABLE)).to_be_hidden()

        sign_up(page, READER)
        expect(page.locator("h1")).to_have_text("Check your inbox", timeout=15_000)
        assert page.url == f"{site}/newsletter/subscribe/"
        post = signup_post(requests)
        # The page's referrer policy (strict-origin) tells other sites, the app included, only
        # its origin: the post names the mirror, which reader forms take ("null", which a
        # sandboxed frame of any site sends, they refuse), and not the page's path.
        headers = post.all_headers()
        assert headers["origin"] == origin(copy)
        assert headers.get("referer", origin(copy) + "/") == origin(copy) + "/"

    assert Subscriber.objects.get().email == READER
    assert post.url == f"{site}/newsletter/subscribe/"
    fields = parse_qs(post.post_data or "")
    assert fields["email"] == [READER]
    assert fields["altcha"][0], "the puzzle came from the app's other address"
    # Nothing but the copy itself and the app's two addresses was asked for anything.
    assert {origin(r.url) for r in requests} == {origin(copy), site, settings.SITE_URL}


@pytest.fixture
def slow_app() -> Iterator[str]:
    """An address of the app that answers the script's question, but only after a second."""

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(1.0)
            self.send_response(204 if self.path == "/newsletter/ping/" else 404)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_first_address_in_the_list_that_answers_wins_not_the_fastest(
    browser: Browser, site: str, mirror: Callable[[], str], settings: Any, slow_app: str
) -> None:
    settings.SITE_URL = closed_port_origin()
    settings.APP_ORIGINS = [slow_app, site]
    copy = mirror()
    with browser.new_context() as context:
        page = context.new_page()
        page.goto(copy)
        page.locator("form.signup input[name=email]").focus()
        expect(page.locator("form.signup")).to_have_attribute(
            "action", f"{slow_app}/newsletter/subscribe/", timeout=10_000
        )
        expect(page.locator("html")).not_to_have_class("apps-unreachable")


def test_without_javascript_a_copy_posts_to_the_main_address(
    browser: Browser, site: str, mirror: Callable[[], str]
) -> None:
    copy = mirror()
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(copy)
        sign_up(page, READER)
        expect(page.locator("h1")).to_have_text("Check your inbox")
        assert page.url == f"{site}/newsletter/subscribe/"
    assert Subscriber.objects.get().email == READER


def test_when_no_app_address_answers_the_copy_shows_the_other_ways(
    browser: Browser, site: str, mirror: Callable[[], str], settings: Any
) -> None:
    settings.SITE_URL = closed_port_origin()
    settings.APP_ORIGINS = [closed_port_origin()]
    settings.ONION_URL = ONION
    PaymentLink.objects.create(
        currency="USD", frequency="monthly", amount=500, language="en",
        provider="stripe", url="https://buy.stripe.com/test_monthly5", link_id="plink_test_monthly5",
    )  # fmt: skip
    copy = mirror()
    with browser.new_context() as context:
        page = context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(origin(r.url)))
        page.goto(copy)
        page.locator("form.signup input[name=email]").focus()
        expect(page.locator("html")).to_have_class("apps-unreachable", timeout=10_000)

        signup = page.locator("form.signup")
        expect(signup.get_by_text(UNREACHABLE)).to_be_visible()
        expect(signup.get_by_role("link", name=ONION)).to_have_attribute("href", f"{ONION}/en/")
        mirrors = signup.get_by_role("link", name="Mirrors")
        expect(mirrors).to_be_visible()
        assert urljoin(copy, mirrors.get_attribute("href") or "") == origin(copy) + (
            "/lantern/en/mirrors/"
        )

        appeal = page.locator("aside.appeal")
        expect(appeal.get_by_text(NO_DONATE_PAGE)).to_be_visible()
        expect(appeal.get_by_role("link", name="$5")).to_have_attribute(
            "href", "https://buy.stripe.com/test_monthly5"
        )
        # The forms are left as they were: nothing better to point them at.
        expect(signup).to_have_attribute("action", f"{settings.SITE_URL}/newsletter/subscribe/")

    # Both addresses were asked (and neither answered).
    assert set(failed) >= {settings.SITE_URL, settings.APP_ORIGINS[0]}
