"""A real chromium, driven through Playwright, for the reader-facing browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, Request, sync_playwright

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
