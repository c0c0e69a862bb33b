"""The old addresses in `samizdat mirror nginx-conf`: a real nginx answers them without the app."""

from __future__ import annotations

import http.client
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wagtail.contrib.redirects.models import Redirect

from samizdat.importer import addresses
from samizdat.mirrors import nginx
from tests.mirrors.test_nginx import (
    free_port,
    generate,
    make_bundle,
    missing,
    running,
    write_config,
)

WP = "wordpress:lantern.example"
STORY = "/en/news/court-opens-trial/"


@pytest.fixture
def moved_newsroom(newsroom: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if nginx.nginx_binary() is None:
        missing("nginx is not installed")
    lead = newsroom["lead"]
    addresses.remember(
        source=WP,
        old_paths=["/2019/05/court-opens-trial/", "/?p=123", "/2020/01/%d1%81%d1%83%d0%b4/"],
        page=lead,
    )
    addresses.remember(
        source=WP, old_paths=["/category/world/news/"], page=newsroom["news"], kind="section"
    )
    addresses.remember(
        source=WP, old_paths=["/tag/courts/"], target_url="/en/tags/courts/", kind="tag"
    )
    addresses.remember_site_feeds(source=WP, language="en")
    # Editors' own: one with what the configuration must escape, one for a page that exists.
    Redirect.objects.create(old_path='/old "quoted" story', redirect_page=lead)
    Redirect.objects.create(old_path="/price$5", redirect_page=lead)
    Redirect.objects.create(old_path="/en/news", redirect_link="/en/culture/")
    yield newsroom


def status_and_location(port: int, path: str) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, response.headers.get("Location")
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["app", "mirror"])
def test_nginx_answers_the_old_addresses(
    moved_newsroom: dict[str, Any], tmp_path: Path, mode: str
) -> None:
    port = free_port()
    bundle = make_bundle(tmp_path / "bundle")
    # The app is never asked here: its address is one nothing listens at.
    extra = ["--app", f"127.0.0.1:{free_port()}"] if mode == "app" else ["--no-app"]
    block = generate(bundle, port, "--no-brotli", *extra)
    assert "map_hash_max_size" in block
    config = write_config(tmp_path / "nginx", block, brotli=False)
    checked = subprocess.run(
        [str(nginx.nginx_binary()), "-t", "-p", str(config.parent), "-c", str(config)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    with running(config, port):
        for old, new in [
            ("/?p=123", STORY),
            ("/index.php?p=123", STORY),
            ("/2019/05/court-opens-trial/", STORY),
            ("/2019/05/court-opens-trial", STORY),
            ("/2019/05/court-opens-trial/?utm_source=feed", STORY),
            ("/2019/05/court-opens-trial/feed/", STORY),
            ("/2020/01/%D1%81%D1%83%D0%B4/", STORY),
            ("/2020/01/%d1%81%d1%83%d0%b4/", STORY),  # as WordPress wrote its links
            ("/category/world/news/", "/en/news/"),
            ("/category/world/news/feed/", "/en/news/feed/rss/"),
            ("/tag/courts/", "/en/tags/courts/"),
            ("/tag/courts/feed/", "/en/tags/courts/feed/rss/"),
            ("/?tag=courts", "/en/tags/courts/"),
            ("/feed/", "/en/feed/rss/"),
            ("/?feed=rss2", "/en/feed/rss/"),
            ("/feed/atom/", "/en/feed/atom/"),
            ("/old%20%22quoted%22%20story/", STORY),
        ]:
            assert status_and_location(port, old) == (301, new), old
        # The bundle's own pages are served as ever, whatever an old address says.
        assert status_and_location(port, "/en/news/") == (200, None)
        assert status_and_location(port, "/") == (200, None)
        assert status_and_location(port, "/?s=court") == (200, None)
        if mode == "mirror":
            assert status_and_location(port, "/2019/05/never-existed/") == (404, None)
            # What the configuration cannot hold is left to the app: a mirror has none.
            assert status_and_location(port, "/price$5/") == (404, None)


def test_the_onion_block_beside_the_sites_answers_them_too(
    moved_newsroom: dict[str, Any], tmp_path: Path, settings: Any
) -> None:
    settings.ONION_URL = "http://lantern2xyzonion.onion"
    site, onion = free_port(), free_port()
    bundle = make_bundle(tmp_path / "bundle")
    blocks = generate(bundle, site, "--no-brotli", "--no-app")
    blocks += generate(bundle, onion, "--no-brotli", "--no-app", "--onion")
    settings_lines = [line for line in blocks.splitlines() if line.startswith("map_hash_")]
    assert len(settings_lines) == 2  # the http block's settings, once
    config = write_config(tmp_path / "nginx", blocks, brotli=False)
    with running(config, onion):
        assert status_and_location(onion, "/?p=123") == (301, STORY)
        assert status_and_location(onion, "/tag/courts/") == (301, "/en/tags/courts/")
        assert status_and_location(site, "/?p=123") == (301, STORY)
