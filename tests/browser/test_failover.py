"""A reader whose way to the site is cut: the site's service worker reads the page from a
mirror (checked against the newsroom's signed manifest), from what it kept, or shows the
offline page; and once the site answers again it reports how often it failed over.

The site is the app behind a real HTTP server of the test's own, stopped and started again on
the same port; the mirrors are plain static servers (with CORS) holding a built bundle."""

from __future__ import annotations

import base64
import io
import json
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import BaseWSGIServer, make_server

from samizdat.mirrors import bundle, manifest
from samizdat.mirrors.models import Mirror
from samizdat.reach.models import FailoverCount
from tests import factories
from tests.browser.conftest import QuietHandler

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ONION = "http://lanternxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu.onion"
PREFIX = "copies/lantern/"


@dataclass
class Origin:
    """The app on a port that stays the same when it is stopped and started again; it
    records what is posted to ``/reach/failovers/`` before the app counts it."""

    port: int = 0
    reports: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    server: BaseWSGIServer | None = None
    # What answers in the site's place: "" (the app), "block" (a provider's block page, 200
    # without the site's header) or "error" (a 502 of a broken proxy).
    impostor: str = ""

    def __post_init__(self) -> None:
        self.app = StaticFilesHandler(get_wsgi_application())

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/reach/failovers/" and environ["REQUEST_METHOD"] == "POST":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            headers = {k: str(v) for k, v in environ.items() if k.startswith(("HTTP_", "CONTENT"))}
            body = environ["wsgi.input"].read(size)
            self.reports.append((headers, body))
            environ["wsgi.input"] = io.BytesIO(body)
        elif self.impostor == "block":
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b"<!DOCTYPE html><h1>Access restricted by order of the regulator</h1>"]
        elif self.impostor == "error":
            start_response("502 Bad Gateway", [("Content-Type", "text/html")])
            return [b"<!DOCTYPE html><h1>502 Bad Gateway</h1>"]
        return self.app(environ, start_response)

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class StaticServer:
    """A mirror: a plain file server with CORS, recording the paths it was asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.asked: list[str] = []
        asked = self.asked

        class Handler(QuietHandler):
            def end_headers(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                super().end_headers()

            def do_GET(self) -> None:
                asked.append(self.path)
                super().do_GET()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.running = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.running = False


@dataclass
class World:
    origin: Origin
    tampered: StaticServer  # first: a file changed, the manifest as signed
    forged: StaticServer  # second: a file changed and a manifest signed by another key
    good: StaticServer  # third: the bundle as built, under a path prefix
    good_copy: Path  # where the third one's copy is

    @property
    def mirrors(self) -> list[StaticServer]:
        return [self.tampered, self.forged, self.good]


@pytest.fixture
def world(newsroom: dict[str, Any], tmp_path: Path, settings: Any) -> Iterator[World]:
    for slug, title in (("second", "Second story"), ("third", "Third story")):
        factories.ArticlePageFactory(parent=newsroom["news"], title=title, slug=slug)
    private, _public = manifest.generate_key()
    (tmp_path / "signing.pem").write_bytes(private)
    settings.BUNDLE_SIGNING_KEY = str(tmp_path / "signing.pem")
    settings.ONION_URL = ONION
    origin = Origin()
    origin.start()
    settings.SITE_URL = origin.url
    settings.APP_ORIGINS = [origin.url]
    roots = [tmp_path / name for name in ("tampered", "forged", "good")]
    for root in roots:
        root.mkdir()
    servers = [StaticServer(root) for root in roots]
    try:
        mirror_urls = [servers[0].url + "/", servers[1].url + "/", servers[2].url + "/" + PREFIX]
        for order, url in enumerate(mirror_urls):
            Mirror.objects.create(url=url, sort_order=order)
        built = tmp_path / "bundle"
        bundle.build_bundle(built)
        shutil.copytree(built, roots[0], dirs_exist_ok=True)
        shutil.copytree(built, roots[1], dirs_exist_ok=True)
        shutil.copytree(built, roots[2] / PREFIX, dirs_exist_ok=True)
        for root in roots[:2]:
            second = root / "en/news/second/index.html"
            second.write_text(second.read_text().replace("Second story", "Forged story"))
        # The second one also names its own key in a mirror list signed by that key alone.
        other, other_public = manifest.generate_key()
        manifest.write_manifest(roots[1], private_key_pem=other)
        forged_list = json.dumps({"format": 1, "key": raw_key(other_public), "mirrors": []})
        (roots[1] / "mirrors.json").write_text(forged_list)
        signature = Ed25519PrivateKey.from_private_bytes(raw_private(other)).sign(
            forged_list.encode()
        )
        (roots[1] / "mirrors.json.sig").write_bytes(base64.b64encode(signature) + b"\n")
        tampered, forged, good = servers
        yield World(origin, tampered, forged, good, good_copy=roots[2] / PREFIX)
    finally:
        origin.stop()
        for server in servers:
            server.stop()


def raw_key(public_pem: bytes) -> str:
    key = serialization.load_pem_public_key(public_pem)
    assert isinstance(key, Ed25519PublicKey)
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def raw_private(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def open_with_worker(page: Page, url: str) -> None:
    """Open ``url`` and wait until the site's worker is installed and in charge."""
    page.goto(url)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def styled(page: Page) -> bool:
    return page.evaluate("() => getComputedStyle(document.body).marginTop") == "0px"


def test_a_page_never_opened_comes_from_a_mirror_when_the_site_is_down(
    browser: Browser, world: World
) -> None:
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        world.origin.stop()
        page.goto(f"{site}/en/news/third/")
        expect(page.locator("h1")).to_have_text("Third story")
        expect(page).to_have_url(f"{site}/en/news/third/")  # the reader stays where they were
        notice = page.locator(".failover-notice")
        expect(notice).to_contain_text("came from one of its mirrors")
        expect(notice.get_by_role("link", name=ONION + "/")).to_have_attribute("href", ONION + "/")
        assert styled(page)  # the stylesheet came from the mirror too
        # Links lead on: the next page also comes from a mirror.
        page.get_by_role("link", name="News", exact=True).first.click()
        expect(page.locator("h1")).to_have_text("News")
        expect(page.locator(".failover-notice")).to_be_visible()


def test_a_block_page_or_a_server_error_in_the_sites_place_is_a_failure(
    browser: Browser, world: World
) -> None:
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        world.origin.impostor = "block"
        page.goto(f"{site}/en/news/third/")
        expect(page.locator("h1")).to_have_text("Third story")
        expect(page.locator(".failover-notice")).to_be_visible()
        world.origin.impostor = "error"
        page.goto(f"{site}/en/news/")
        expect(page.locator("h1")).to_have_text("News")
        expect(page.locator(".failover-notice")).to_be_visible()
        world.origin.impostor = ""
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        expect(page.locator(".failover-notice")).to_have_count(0)


def test_a_copy_that_does_not_match_the_signed_manifest_is_never_shown(
    browser: Browser, world: World
) -> None:
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        world.origin.stop()
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        expect(page.locator(".failover-notice")).to_be_visible()
        # The first mirror's file was fetched and refused (its SHA-256 is not the manifest's);
        # the second one's manifest was refused (not the newsroom's signature), so its file
        # was never fetched; the third one's copy was shown.
        assert "/en/news/second/index.html" in world.tampered.asked
        assert "/manifest.json" in world.forged.asked
        assert "/en/news/second/index.html" not in world.forged.asked
        assert f"/{PREFIX}en/news/second/index.html" in world.good.asked


def test_a_new_key_is_adopted_only_when_the_trusted_key_signed_it(
    browser: Browser, world: World, settings: Any, tmp_path: Path
) -> None:
    """The newsroom replaces its key while the site is blocked: the mirror list signed by the
    old key and the new one brings the new key (the second mirror's list, signed by its own
    key alone, brings nothing), and copies signed with the new key are read."""
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        world.origin.stop()
        new_key, _public = manifest.generate_key()
        (tmp_path / "new.pem").write_bytes(new_key)
        settings.BUNDLE_PREVIOUS_SIGNING_KEY = settings.BUNDLE_SIGNING_KEY
        settings.BUNDLE_SIGNING_KEY = str(tmp_path / "new.pem")
        bundle.build_bundle(world.good_copy)
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        expect(page.locator(".failover-notice")).to_be_visible()
        assert "/mirrors.json.sig" in world.forged.asked
        assert "/en/news/second/index.html" not in world.forged.asked
        assert f"/{PREFIX}mirrors.json.sig" in world.good.asked


def test_with_every_address_down_read_pages_open_and_others_show_the_offline_page(
    browser: Browser, world: World
) -> None:
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        world.origin.stop()
        for mirror in world.mirrors:
            mirror.stop()
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        expect(page.locator(".failover-notice")).to_contain_text("You are offline")
        assert styled(page)
        page.goto(f"{site}/en/")  # the front page, kept when the worker was installed
        expect(page.get_by_role("link", name="Third story").first).to_be_visible()
        page.goto(f"{site}/en/news/third/")
        expect(page.locator("h1")).to_have_text("This page cannot be reached")
        listed = page.locator(".mirror-list a")
        expect(listed).to_have_count(4)
        hrefs = [listed.nth(i).get_attribute("href") for i in range(4)]
        assert hrefs == [
            world.tampered.url + "/en/",
            world.forged.url + "/en/",
            world.good.url + f"/{PREFIX}en/",
            ONION + "/en/",
        ]
        assert styled(page)


def test_the_site_answers_again_and_hears_how_often_readers_failed_over(
    browser: Browser, world: World
) -> None:
    site = world.origin.url
    with browser.new_context() as context:
        page = context.new_page()
        open_with_worker(page, f"{site}/en/news/court-opens-trial/")
        world.origin.stop()
        page.goto(f"{site}/en/news/third/")
        expect(page.locator(".failover-notice")).to_be_visible()
        page.goto(f"{site}/en/news/second/")
        expect(page.locator("h1")).to_have_text("Second story")
        assert world.origin.reports == []
        world.origin.start()
        page.goto(f"{site}/en/news/")
        expect(page.locator("h1")).to_have_text("News")
        expect(page.locator(".failover-notice")).to_have_count(0)
        deadline = time.monotonic() + 10
        while not world.origin.reports and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(world.origin.reports) == 1
        headers, body = world.origin.reports[0]
        assert headers["CONTENT_TYPE"] == "application/json"
        assert "HTTP_COOKIE" not in headers
        today = datetime.now(UTC).date().isoformat()
        reported = {(f["day"], f["mirror"], f["count"]) for f in json.loads(body)["failovers"]}
        assert reported == {
            (today, world.tampered.url, 1),  # the third story: its first mirror's copy is good
            (today, world.good.url, 1),  # the second: tampered at the first two mirrors
        }
        # The newsroom's counts: per day and mirror, nothing else.
        counted = FailoverCount.objects.values_list("day", "mirror", "count")
        assert {(day.isoformat(), mirror, count) for day, mirror, count in counted} == reported
        # Sent and answered: forgotten, so the next page sends nothing more.
        page.goto(f"{site}/en/news/third/")
        expect(page.locator("h1")).to_have_text("Third story")
        time.sleep(0.5)
        assert len(world.origin.reports) == 1
