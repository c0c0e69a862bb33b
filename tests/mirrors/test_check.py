"""``samizdat mirror check``: copies of the site served by real HTTP servers, compared with the
newsroom's bundle — by hand, for stored mirrors, and every few hours by the worker."""

from __future__ import annotations

import importlib.util
import random
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db.models import F
from django.test import override_settings

from samizdat.core.models import PeriodicRun
from samizdat.mirrors.actions import MIRROR_CHECK_PERIOD, check_mirrors_when_due
from samizdat.mirrors.check import CheckResult, check_mirror, load_bundle_manifest
from samizdat.mirrors.manifest import write_manifest
from samizdat.mirrors.models import Mirror

ARTICLE = "ru/новости/суд-над-журналистом.html"
YESTERDAY = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
TODAY = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def write_site(root: Path, *, edition: str) -> None:
    files = {
        "en/index.html": f"<!DOCTYPE html><title>Front page</title><p>{edition}",
        "ru/index.html": f"<!DOCTYPE html><title>Главная</title><p>{edition}",
        "en/news/court-opens-trial/index.html": "<!DOCTYPE html><title>Court opens trial</title>",
        ARTICLE: "<!DOCTYPE html><title>Суд над журналистом</title>",
        "static/samizdat/site.css": "body { font-family: serif }",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """The newsroom's current bundle, five files with today's manifest."""
    root = tmp_path / "bundle"
    write_site(root, edition="Sunday")
    write_manifest(root, generated=TODAY)
    return root


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    """Start an HTTP server on 127.0.0.1 (a directory, or a handler class); its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(what: Path | type[BaseHTTPRequestHandler]) -> str:
        if isinstance(what, Path):
            handler: Any = partial(QuietFiles, directory=str(what))
        else:
            handler = what
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietFiles(SimpleHTTPRequestHandler):
    """A copy served as `mirror nginx-conf` and the S3 targets serve one: readable by the
    site's pages elsewhere (CORS)."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class WithoutCors(QuietFiles):
    def end_headers(self) -> None:
        SimpleHTTPRequestHandler.end_headers(self)


class Failing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(500)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Garbage(Failing):
    def do_GET(self) -> None:
        body = b"<html>Welcome to nginx!</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def copy_of(bundle: Path, where: Path) -> Path:
    shutil.copytree(bundle, where)
    return where


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def check(url: str, bundle: Path, *, sample: int = 20) -> CheckResult:
    with requests.Session() as session:
        return check_mirror(
            url,
            local=load_bundle_manifest(bundle),
            sample=sample,
            session=session,
            rng=random.Random(7),
        )


# --- one mirror ---------------------------------------------------------------------------


def test_an_identical_copy_is_up_to_date(bundle: Path, tmp_path: Path, serve: Any) -> None:
    url = serve(copy_of(bundle, tmp_path / "mirror"))
    result = check(url, bundle)
    assert result.status == Mirror.Status.OK
    # Every file was fetched, the Russian-named article included.
    assert result.summary == "manifest matches; 5 sampled files match"
    assert result.details == []


def test_a_copy_without_cors_is_reported(bundle: Path, tmp_path: Path, serve: Any) -> None:
    """A service worker that fails over from a blocked address reads the copy from the
    site's pages: without CORS, the copy is no refuge for it."""
    copy = copy_of(bundle, tmp_path / "mirror")
    server_url = serve(partial(WithoutCors, directory=str(copy)))
    result = check(server_url, bundle)
    assert result.status == Mirror.Status.OK
    assert result.summary == "manifest matches; 5 sampled files match; no CORS header"
    assert any("Access-Control-Allow-Origin" in line for line in result.details)


def test_a_copy_of_yesterdays_bundle_is_stale_and_says_by_how_much(
    tmp_path: Path, serve: Any
) -> None:
    root = tmp_path / "bundle"
    write_site(root, edition="Saturday")
    write_manifest(root, generated=YESTERDAY)
    url = serve(copy_of(root, tmp_path / "mirror"))
    write_site(root, edition="Sunday")  # both front pages change
    (root / "en" / "news" / "new-story.html").write_text("<!DOCTYPE html><title>New</title>")
    write_manifest(root, generated=TODAY)

    result = check(url, root)
    assert result.status == Mirror.Status.STALE
    assert result.summary == "3 files behind, generated 2026-11-28T09:00:00Z"
    assert "3 to add or update, 0 to remove" in result.details
    assert "out of date: en/index.html, en/news/new-story.html, ru/index.html" in result.details


def test_a_tampered_file_under_a_matching_manifest_is_broken(
    bundle: Path, tmp_path: Path, serve: Any
) -> None:
    mirror = copy_of(bundle, tmp_path / "mirror")
    (mirror / ARTICLE).write_text("<!DOCTYPE html><title>Суд оправдал власти</title>")
    result = check(serve(mirror), bundle)
    assert result.status == Mirror.Status.BROKEN
    assert result.summary == f"1 sampled file of 5 is wrong: {ARTICLE}"
    assert result.details == [f"{ARTICLE}: content differs (SHA-256)"]


def test_the_front_pages_are_always_compared(bundle: Path, tmp_path: Path, serve: Any) -> None:
    mirror = copy_of(bundle, tmp_path / "mirror")
    forged = (mirror / "ru" / "index.html").read_bytes().replace(b"Sunday", b"Monday")
    (mirror / "ru" / "index.html").write_bytes(forged)  # same size, other bytes
    (mirror / "static" / "samizdat" / "site.css").unlink()
    (mirror / "en" / "news" / "court-opens-trial" / "index.html").write_text("<!DOCTYPE html>")
    url = serve(mirror)

    result = check(url, bundle, sample=1)
    assert result.status == Mirror.Status.BROKEN
    assert result.summary == "1 sampled file of 2 is wrong: ru/index.html"
    assert result.details == ["ru/index.html: content differs (SHA-256)"]

    result = check(url, bundle)
    assert result.summary.startswith("3 sampled files of 5 are wrong: ")
    assert "static/samizdat/site.css: missing (HTTP 404)" in result.details
    assert (
        "en/news/court-opens-trial/index.html: size differs (15 bytes, expected 47)"
        in result.details
    )


def test_a_server_error_or_a_closed_port_is_unreachable(bundle: Path, serve: Any) -> None:
    result = check(serve(Failing), bundle)
    assert (result.status, result.summary) == (
        Mirror.Status.UNREACHABLE,
        "server error (HTTP 500)",
    )
    result = check(closed_port_url(), bundle)
    assert (result.status, result.summary) == (Mirror.Status.UNREACHABLE, "connection refused")


def test_a_missing_or_garbled_manifest_is_broken(bundle: Path, tmp_path: Path, serve: Any) -> None:
    result = check(serve(Garbage), bundle)
    assert (result.status, result.summary) == (
        Mirror.Status.BROKEN,
        "manifest.json is not valid JSON",
    )
    mirror = copy_of(bundle, tmp_path / "mirror")
    (mirror / "manifest.json").unlink()
    result = check(serve(mirror), bundle)
    assert (result.status, result.summary) == (
        Mirror.Status.BROKEN,
        "manifest.json is missing (HTTP 404)",
    )
    (mirror / "manifest.json").write_text('{"format": 1, "files": [{"path": 5}]}')
    result = check(serve(mirror), bundle)
    assert (result.status, result.summary) == (Mirror.Status.BROKEN, "manifest.json is malformed")


@override_settings(TOR_PROXY="")
def test_an_onion_mirror_without_a_tor_proxy_is_unreachable_and_says_why(bundle: Path) -> None:
    onion = "http://" + "a" * 56 + ".onion/"
    result = check(onion, bundle)
    assert (result.status, result.summary) == (
        Mirror.Status.UNREACHABLE,
        "onion mirrors need SAMIZDAT_TOR_PROXY",
    )


@pytest.mark.skipif(importlib.util.find_spec("socks") is not None, reason="PySocks is installed")
@override_settings(TOR_PROXY="socks5h://127.0.0.1:9050")
def test_an_onion_mirror_needs_pysocks_for_the_tor_proxy(bundle: Path) -> None:
    result = check("http://" + "a" * 56 + ".onion/", bundle)
    assert result.status == Mirror.Status.UNREACHABLE
    assert result.summary.startswith("onion mirrors need SAMIZDAT_TOR_PROXY with PySocks")


def test_a_redirect_is_followed_and_recorded(bundle: Path, tmp_path: Path, serve: Any) -> None:
    target = serve(copy_of(bundle, tmp_path / "mirror"))

    class Moved(Failing):
        def do_GET(self) -> None:
            self.send_response(301)
            self.send_header("Location", target + self.path.lstrip("/"))
            self.send_header("Content-Length", "0")
            self.end_headers()

    result = check(serve(Moved), bundle, sample=0)
    assert (result.status, result.summary) == (Mirror.Status.OK, "manifest matches")
    assert result.details[0].endswith(f"manifest.json: redirected to {target}manifest.json")


def test_an_endless_answer_is_cut_off_at_the_expected_size(
    bundle: Path, tmp_path: Path, serve: Any
) -> None:
    manifest = (bundle / "manifest.json").read_bytes()

    class Endless(Failing):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            if self.path == "/manifest.json":
                self.wfile.write(manifest)
                return
            try:
                while True:  # no Content-Length: the file never ends
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass

    result = check(serve(Endless), bundle, sample=1)
    assert result.status == Mirror.Status.BROKEN
    assert "en/index.html: larger than in the bundle (49 bytes)" in result.details


# --- the command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_checking_urls_by_hand_prints_a_line_each_and_stores_nothing(
    bundle: Path, tmp_path: Path, serve: Any
) -> None:
    good = serve(copy_of(bundle, tmp_path / "good"))
    out = StringIO()
    call_command("mirror", "check", good, "--bundle", str(bundle), stdout=out)
    assert out.getvalue() == f"ok          {good}  manifest matches; 5 sampled files match\n"

    bad = closed_port_url()
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 mirror"):
        call_command("mirror", "check", good, bad.rstrip("/"), "--bundle", str(bundle), stdout=out)
    assert out.getvalue().splitlines()[1] == f"unreachable {bad}  connection refused"

    tampered = copy_of(bundle, tmp_path / "tampered")
    (tampered / ARTICLE).write_text("<!DOCTYPE html><title>Суд оправдал власти</title>")
    url = serve(tampered)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1 mirror"):
        call_command("mirror", "check", url, "--bundle", str(bundle), verbosity=2, stdout=out)
    assert out.getvalue().splitlines() == [
        f"broken      {url}  1 sampled file of 5 is wrong: {ARTICLE}",
        f"    {ARTICLE}: content differs (SHA-256)",
    ]
    assert not Mirror.objects.exists()


@pytest.mark.django_db
def test_checking_the_stored_mirrors_saves_each_result(
    bundle: Path, tmp_path: Path, serve: Any
) -> None:
    good = Mirror.objects.create(url=serve(copy_of(bundle, tmp_path / "good")), sort_order=1)
    hidden = Mirror.objects.create(url=serve(Garbage), public=False, sort_order=2)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 mirror"):
        call_command("mirror", "check", "--bundle", str(bundle), "--sample", "2", stdout=out)
    assert out.getvalue().splitlines() == [
        f"ok          {good.url}  manifest matches; 2 sampled files match",
        f"broken      {hidden.url}  manifest.json is not valid JSON",
    ]
    good.refresh_from_db()
    hidden.refresh_from_db()
    assert good.last_status == Mirror.Status.OK
    assert good.last_checked_at is not None
    assert good.last_report == "manifest matches; 2 sampled files match"
    assert hidden.last_status == Mirror.Status.BROKEN
    assert hidden.last_report == "manifest.json is not valid JSON"

    hidden.delete()
    out = StringIO()
    call_command("mirror", "check", "--bundle", str(bundle), stdout=out)  # all well: exit 0
    assert out.getvalue().startswith("ok ")


@pytest.mark.django_db
def test_the_check_needs_the_newsrooms_bundle_and_real_addresses(tmp_path: Path) -> None:
    Mirror.objects.create(url="https://lantern.example.net/")
    with pytest.raises(CommandError, match=r"manifest\.json is missing: there is no bundle"):
        call_command("mirror", "check", "--bundle", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="Enter an http:// or https:// address"):
        call_command("mirror", "check", "ftp://lantern.example.net/")
    assert Mirror.objects.get().last_status == Mirror.Status.UNCHECKED


@pytest.mark.django_db
def test_with_no_mirrors_there_is_nothing_to_do(bundle: Path) -> None:
    out = StringIO()
    call_command("mirror", "check", "--bundle", str(bundle), stdout=out)
    assert "No mirrors to check" in out.getvalue()


# --- the worker ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_worker_checks_the_mirrors_once_per_period(
    bundle: Path, tmp_path: Path, serve: Any, settings: Any
) -> None:
    settings.BUNDLE_DIR = bundle
    settings.MIRROR_CHECK_HOURS = 6
    mirror = Mirror.objects.create(url=serve(copy_of(bundle, tmp_path / "mirror")))

    assert check_mirrors_when_due(now=TODAY)
    mirror.refresh_from_db()
    assert (mirror.last_status, mirror.last_checked_at) == (Mirror.Status.OK, TODAY)

    # A mirror added since waits for the next period: another worker claimed this one.
    late = Mirror.objects.create(url=closed_port_url())
    assert not check_mirrors_when_due(now=TODAY + timedelta(minutes=1))
    late.refresh_from_db()
    assert late.last_status == Mirror.Status.UNCHECKED

    # Once the period is over (by the database's clock), the next round checks every mirror.
    hours_pass(6)
    assert check_mirrors_when_due(now=TODAY + timedelta(hours=6))
    late.refresh_from_db()
    assert late.last_status == Mirror.Status.UNREACHABLE


@pytest.mark.django_db
def test_a_restarted_worker_does_not_check_again_before_the_period_is_over(
    bundle: Path, tmp_path: Path, serve: Any, settings: Any
) -> None:
    settings.BUNDLE_DIR = bundle
    settings.MIRROR_CHECK_HOURS = 6
    Mirror.objects.create(url=serve(copy_of(bundle, tmp_path / "mirror")))
    assert check_mirrors_when_due(now=TODAY)
    cache.clear()  # a new worker process, and no Redis: the claim is in the database
    hours_pass(5)
    assert not check_mirrors_when_due(now=TODAY + timedelta(hours=5))
    hours_pass(1)
    assert check_mirrors_when_due(now=TODAY + timedelta(hours=6))


@pytest.mark.django_db
def hours_pass(hours: float) -> None:
    """The database's clock moves on: the last claim of the check is that much older."""
    PeriodicRun.objects.filter(name=MIRROR_CHECK_PERIOD).update(
        last_run=F("last_run") - timedelta(hours=hours)
    )


@pytest.mark.django_db
def test_without_mirrors_the_worker_costs_one_query_and_claims_nothing(
    django_assert_num_queries: Any, bundle: Path, settings: Any
) -> None:
    settings.BUNDLE_DIR = bundle
    with django_assert_num_queries(1):
        assert not check_mirrors_when_due(now=TODAY)
    assert not PeriodicRun.objects.exists()


@pytest.mark.django_db
def test_without_a_bundle_the_worker_logs_a_warning_and_skips(
    tmp_path: Path, settings: Any, caplog: Any
) -> None:
    settings.BUNDLE_DIR = tmp_path / "nowhere"
    mirror = Mirror.objects.create(url="https://lantern.example.net/")
    assert not check_mirrors_when_due(now=TODAY)
    assert "mirrors not checked" in caplog.text
    assert "manifest.json is missing" in caplog.text
    mirror.refresh_from_db()
    assert mirror.last_status == Mirror.Status.UNCHECKED
