"""A real chromium, driven through Playwright, for the reader-facing browser tests."""

from __future__ import annotations

import os
import re
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright

from tests.logins import app_code, authenticator

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed, and CI must run the browser tests")
        pytest.skip("chromium not installed: apt-get install chromium")
    outside_loop = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as p:
        # Playwright's sync API keeps an event loop running in the test thread. Django refuses
        # database access there unless told it is safe, and looks up a separate set of
        # connections: give it the ones the test database is set up and serialized on.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, connection in outside_loop.items():
            connections[alias] = connection
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def log_in_to_admin(page: Page, base: str, username: str, password: str) -> None:
    """Sign in to the admin as staff do: the password, then the code their authenticator
    app shows (the user is given an app first if they have none)."""
    device = authenticator(get_user_model().objects.get(username=username))
    page.goto(f"{base}/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form.login-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/2fa/verify/"))
    page.get_by_label("Code").fill(app_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page).not_to_have_url(re.compile(r"/admin/(login|2fa)/"))


def record_requests(page: Page) -> list[Request]:
    """Every request the page makes from now on (to check that none leaves the site)."""
    seen: list[Request] = []

    def note(request: Request) -> None:
        seen.append(request)

    page.on("request", note)
    return seen


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _Assets(HTMLParser):
    """The stylesheets, icons and scripts a page links to, as written in its HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.links.append(str(found["src"]))
        if tag == "link" and found.get("rel") in {"stylesheet", "icon"} and found.get("href"):
            self.links.append(str(found["href"]))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def save_copy(site: str, path: str, root: Path) -> list[str]:
    """Save the page at ``path`` of ``site`` as the app renders it now, with the assets it
    links, under ``root`` (as a mirror would hold it); the links as written in the page."""
    html = fetch(site + path)
    parser = _Assets()
    parser.feed(html.decode())
    for link in parser.links:
        asset = urlsplit(urljoin(site + path, link)).path
        target = root / asset.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(fetch(site + asset))
    page = root / path.strip("/") / "index.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(html)
    return parser.links


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def file_server(
    root: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler
) -> Iterator[str]:
    """A plain static file server for ``root`` on a port of its own: its address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
