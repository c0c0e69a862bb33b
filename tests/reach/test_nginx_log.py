"""The readers' log a real nginx writes with ``samizdat mirror nginx-conf --reach-log``,
through the site's block and the onion's: nothing about who asked, and folded into the
right counts."""

from __future__ import annotations

import datetime
import http.client
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from samizdat.mirrors.models import Mirror
from samizdat.reach import actions
from samizdat.reach.models import ReadCount
from tests.mirrors.test_nginx import NGINX, free_port, make_bundle, missing, running, write_config

pytestmark = pytest.mark.django_db

ONION = "http://lanternreachtestonion.onion"
STORY = "/en/news/court-opens-trial/"
SECRET_AGENT = "ReaderBrowser/1.0 (unique-fingerprint-42)"
SECRET_REFERRER = "https://search.example/?q=who-reads-this"


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    if NGINX is None:
        missing("nginx is not installed")


def generate(bundle: Path, port: int, log: Path, *extra: str) -> str:
    out = StringIO()
    argv = ["--bundle", str(bundle), "--listen", f"127.0.0.1:{port}", "--no-app", "--no-brotli"]
    call_command("mirror", "nginx-conf", *argv, "--reach-log", str(log), *extra, stdout=out)
    return out.getvalue()


def get(port: int, path: str, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "GET",
            path,
            headers={"Host": host, "User-Agent": SECRET_AGENT, "Referer": SECRET_REFERRER},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def wait_for_lines(log: Path, count: int) -> str:
    deadline = time.monotonic() + 5  # nginx writes a line as it finishes the request
    while (not log.exists() or log.read_text().count("\n") < count) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log.read_text()


def test_nginx_logs_where_reads_came_from_and_nothing_about_readers(
    tmp_path: Path, settings: Any
) -> None:
    settings.ONION_URL = ONION
    Mirror.objects.create(url="https://mirror.example/", public=True)
    bundle = make_bundle(tmp_path / "bundle")
    log = tmp_path / "reach.log"
    web, onion = free_port(), free_port()
    blocks = generate(bundle, web, log, "--server-name", "testserver mirror.example")
    blocks += generate(bundle, onion, log, "--onion")
    config = write_config(tmp_path / "nginx", blocks, brotli=False)
    with running(config, web):  # the onion's block runs in the same nginx
        statuses = [
            get(web, STORY, "testserver"),
            get(web, STORY + "?via=newsletter&token=SecretToken123", "testserver"),
            get(web, STORY + "?via=someone@example.org", "testserver"),
            get(web, STORY, "mirror.example"),
            get(web, "/en/feed/rss/", "testserver"),
            get(web, "/static/samizdat/site.css", "testserver"),  # an asset
            get(web, "/en/no-such-page/", "testserver"),  # a 404
            get(onion, STORY, "lanternreachtestonion.onion"),
        ]
        text = wait_for_lines(log, 7)
    assert statuses == [200, 200, 200, 200, 200, 200, 404, 200]
    assert text.count("\n") == 7  # the asset is not logged at all
    for secret in ("127.0.0.1", SECRET_AGENT, "search.example", "SecretToken", "someone", ":"):
        assert secret not in text  # no address, browser, referrer, query, time of day
    [report] = actions.fold(paths=[log])
    assert (report.lines, report.reads, report.skipped) == (7, 6, 0)
    found = {(row.path, row.channel): row.count for row in ReadCount.objects.all()}
    assert found == {
        (STORY, "origin"): 2,  # the second marker is no newsletter's: an ordinary read
        (STORY, "newsletter"): 1,
        (STORY, "mirror:mirror.example"): 1,
        (STORY, "onion"): 1,
        ("/en/feed/rss/", "feed"): 1,
    }
    assert {row.day for row in ReadCount.objects.all()} == {
        datetime.date.today()
    }  # nginx's local day

    # Rotated: nginx goes on writing at the start of the truncated file.
    log.write_text("")
    with running(config, web):  # the onion's block runs in the same nginx
        assert get(web, STORY, "testserver") == 200
        wait_for_lines(log, 1)
    [report] = actions.fold(paths=[log])
    assert report.restarted and report.reads == 1
    assert ReadCount.objects.get(path=STORY, channel="origin").count == 3
