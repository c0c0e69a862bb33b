"""``samizdat mirror nginx-conf``: a real nginx serving a bundle with the generated config."""

from __future__ import annotations

import gzip
import http.client
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any

import brotli
import pytest
import requests
from django.core.management import CommandError, call_command

from samizdat.mirrors import nginx

NGINX = nginx.nginx_binary()


def missing(reason: str) -> None:
    """Skip on a developer's machine; on CI, which installs nginx and its brotli module
    (.ci/run), a missing one is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI must run the nginx tests")
    pytest.skip(f"{reason}: apt-get install nginx libnginx-mod-http-brotli-static")


@pytest.fixture(autouse=True)
def _nginx_installed() -> None:
    if NGINX is None:
        missing("nginx is not installed")


ARTICLE = "en/news/court-opens-trial/index.html"
ARTICLE_HTML = (
    "<!DOCTYPE html><html lang=en><title>Court opens trial of reporter</title>"
    + "<p>The hearing began on Monday. " * 40
)


def make_bundle(root: Path) -> Path:
    """A small hand-made bundle: pages with .gz (and .br) siblings, feeds, a sitemap, assets."""
    files = {
        "index.html": "<!DOCTYPE html><title>The Lantern</title>",
        "404.html": "<!DOCTYPE html><title>Page not found</title><h1>Nothing here</h1>",
        "en/index.html": "<!DOCTYPE html><title>Front page</title>",
        "en/news/index.html": "<!DOCTYPE html><title>News</title>",
        ARTICLE: ARTICLE_HTML,
        "en/newsletter/index.html": "<!DOCTYPE html><title>Our newsletter</title>",
        "en/feed/rss/index.xml": '<?xml version="1.0"?><rss version="2.0"></rss>',
        "en/feed/atom/index.xml": '<?xml version="1.0"?><feed></feed>',
        "sitemap.xml": '<?xml version="1.0"?><sitemapindex></sitemapindex>',
        "robots.txt": "User-agent: *\nSitemap: http://testserver/sitemap.xml\n",
        "static/samizdat/site.css": "body { font-family: serif; }\n" * 20,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    article = (root / ARTICLE).read_bytes()
    (root / (ARTICLE + ".gz")).write_bytes(gzip.compress(article))
    (root / (ARTICLE + ".br")).write_bytes(brotli.compress(article))
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class App(BaseHTTPRequestHandler):
    """Stands in for gunicorn: says what reached it."""

    def answer(self) -> None:
        if self.path == "/donate/page/":  # a page of the app, written for the site's address
            html = b'<!DOCTYPE html><form action="https://lantern.example/donate/"></form>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        text = (
            f"app saw {self.command} {self.path} host={self.headers['Host']} "
            f"for={self.headers['X-Forwarded-For']} proto={self.headers['X-Forwarded-Proto']} "
            f"body={body}"
        )
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def generate(bundle: Path, port: int, *extra: str) -> str:
    out = StringIO()
    argv = ["--bundle", str(bundle), "--listen", f"127.0.0.1:{port}", "--server-name", "localhost"]
    call_command("mirror", "nginx-conf", *argv, *extra, stdout=out)
    return out.getvalue()


def write_config(workdir: Path, server_block: str, *, brotli: bool) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "server.conf").write_text(server_block)
    module = nginx.brotli_module()
    modules = [module] if brotli and module is not None else []
    main = workdir / "nginx.conf"
    main.write_text(
        nginx.standalone_conf(server_conf=workdir / "server.conf", workdir=workdir, modules=modules)
    )
    return main


@contextmanager
def running(config: Path, port: int) -> Iterator[None]:
    """nginx in the foreground with ``config``, until the block ends."""
    assert NGINX is not None
    workdir = config.parent
    process = subprocess.Popen(
        [NGINX, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                log = (
                    (workdir / "error.log").read_text() if (workdir / "error.log").exists() else ""
                )
                pytest.fail(f"nginx exited: {output}{log}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("nginx did not start listening within 10 s")
                time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


Fetch = Callable[..., Answer]


@pytest.fixture
def serve(tmp_path: Path, app: str, db: None) -> Iterator[Callable[..., Fetch]]:
    """Start nginx over a fresh bundle with the generated config (which reads the site's
    redirects from the database); returns a fetcher."""
    stack = ExitStack()

    def start(*extra: str) -> Fetch:
        port = free_port()
        bundle = make_bundle(tmp_path / "bundle")
        block = generate(bundle, port, "--app", app, *extra)
        workdir = tmp_path / "nginx"
        config = write_config(workdir, block, brotli="--no-brotli" not in extra)
        stack.enter_context(running(config, port))

        def fetch(
            path: str, method: str = "GET", body: str | None = None, **headers: str
        ) -> Answer:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                names = {name.replace("_", "-"): value for name, value in headers.items()}
                conn.request(method, path, body=body, headers=names)
                response = conn.getresponse()
                return Answer(response.status, response.headers, response.read())
            finally:
                conn.close()

        return fetch

    with stack:
        yield start


def test_the_generated_config_passes_nginx_t(tmp_path: Path, app: str, db: None) -> None:
    assert NGINX is not None
    bundle = make_bundle(tmp_path / "bundle")
    for name, extra in [("full", ["--app", app]), ("plain", ["--no-brotli", "--no-app"])]:
        block = generate(bundle, free_port(), *extra)
        config = write_config(tmp_path / name, block, brotli="--no-brotli" not in extra)
        done = subprocess.run(
            [NGINX, "-t", "-p", str(config.parent), "-c", str(config)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        assert "test is successful" in done.stderr


def test_pages_come_from_the_bundle_with_short_caching(serve: Callable[..., Fetch]) -> None:
    fetch = serve()
    page = fetch("/" + ARTICLE.removesuffix("index.html"))
    assert page.status == 200
    assert page.body.decode() == ARTICLE_HTML
    assert page.header("Content-Type") == "text/html; charset=utf-8"
    assert page.header("Cache-Control") == "public, max-age=300"
    # A copy's links name the file: the same page, with the same headers.
    named = fetch("/" + ARTICLE)
    assert named.status == 200 and named.body == page.body
    assert named.header("Content-Security-Policy") == page.header("Content-Security-Policy")
    assert fetch("/").body.startswith(b"<!DOCTYPE html><title>The Lantern")
    # The newsletter page of a language is a file of the bundle, not the app's signup endpoint.
    assert b"Our newsletter" in fetch("/en/newsletter/").body
    moved = fetch("/en/news")
    assert moved.status == 301
    assert moved.header("Location") == "/en/news/"


def test_precompressed_files_are_sent_as_they_are_with_etags(
    serve: Callable[..., Fetch], tmp_path: Path
) -> None:
    fetch = serve()
    path = "/" + ARTICLE.removesuffix("index.html")
    zipped = fetch(path, Accept_Encoding="gzip")
    assert zipped.header("Content-Encoding") == "gzip"
    assert zipped.body == (tmp_path / "bundle" / (ARTICLE + ".gz")).read_bytes()
    assert "Accept-Encoding" in (zipped.header("Vary") or "")
    etag = zipped.header("ETag")
    assert etag
    again = fetch(path, Accept_Encoding="gzip", If_None_Match=etag)
    assert again.status == 304
    assert again.body == b""
    assert fetch(path).header("Content-Encoding") is None


def test_brotli_clients_get_the_br_file(serve: Callable[..., Fetch], tmp_path: Path) -> None:
    if nginx.brotli_module() is None:
        missing("nginx's brotli module is not installed (libnginx-mod-http-brotli-static)")
    fetch = serve()
    answer = fetch("/" + ARTICLE.removesuffix("index.html"), Accept_Encoding="br, gzip")
    assert answer.header("Content-Encoding") == "br"
    assert answer.body == (tmp_path / "bundle" / (ARTICLE + ".br")).read_bytes()


def test_feeds_sitemaps_and_robots_have_their_types(serve: Callable[..., Fetch]) -> None:
    fetch = serve()
    rss = fetch("/en/feed/rss/")
    assert rss.status == 200
    assert rss.header("Content-Type") == "application/rss+xml; charset=utf-8"
    assert rss.body.startswith(b"<?xml")
    assert fetch("/en/feed/atom/").header("Content-Type") == ("application/atom+xml; charset=utf-8")
    assert fetch("/sitemap.xml").header("Content-Type") == "application/xml; charset=utf-8"
    assert fetch("/robots.txt").header("Content-Type") == "text/plain; charset=utf-8"


def test_assets_are_cached_for_a_year(serve: Callable[..., Fetch]) -> None:
    css = serve()("/static/samizdat/site.css?v=0123abcd")
    assert css.status == 200
    assert css.header("Content-Type") == "text/css; charset=utf-8"
    assert css.header("Cache-Control") == "public, max-age=31536000, immutable"


def test_assets_missing_from_the_bundle_come_from_collectstatic(
    serve: Callable[..., Fetch], settings: Any, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path / "collected"
    (tmp_path / "collected" / "wagtailadmin").mkdir(parents=True)
    (tmp_path / "collected" / "wagtailadmin" / "core.js").write_text("// admin")
    fetch = serve()
    admin = fetch("/static/wagtailadmin/core.js")
    assert admin.status == 200
    assert admin.body == b"// admin"
    # The fallback location is internal: not an address of its own.
    assert fetch("/_collected/static/wagtailadmin/core.js").status == 404


def test_without_an_app_an_unknown_path_gets_the_bundles_404_page(
    serve: Callable[..., Fetch],
) -> None:
    missing = serve("--no-app", "--no-brotli")("/en/news/no-such-story/")
    assert missing.status == 404
    assert b"Nothing here" in missing.body
    # The security headers are on error pages too.
    assert "default-src 'self'" in (missing.header("Content-Security-Policy") or "")


def test_with_an_app_what_the_bundle_lacks_is_answered_by_the_app(
    serve: Callable[..., Fetch],
) -> None:
    fetch = serve()
    # A page behind a password or a login is not in the bundle, nor one not baked yet.
    restricted = fetch("/en/news/members-only/", Host="news.example.org")
    assert restricted.status == 200
    text = restricted.body.decode()
    assert text.startswith("app saw GET /en/news/members-only/ host=news.example.org")
    assert "for=127.0.0.1 proto=http" in text
    # The app's answer keeps its own headers: none of the bundle's are added.
    assert restricted.header("Cache-Control") is None
    assert restricted.header("Content-Security-Policy") is None
    # Files of the bundle are still served by nginx, and missing assets are still 404s.
    assert fetch("/en/news/").body == b"<!DOCTYPE html><title>News</title>"
    assert fetch("/en/news").status == 301
    missing_asset = fetch("/static/samizdat/gone.css")
    assert missing_asset.status == 404 and b"Nothing here" in missing_asset.body


def test_only_dynamic_paths_reach_the_app(serve: Callable[..., Fetch]) -> None:
    fetch = serve()
    posted = fetch(
        "/newsletter/subscribe/", "POST", body="email=a@example.org", Host="news.example.org"
    )
    assert posted.status == 200
    text = posted.body.decode()
    assert text.startswith("app saw POST /newsletter/subscribe/ host=news.example.org")
    assert "for=127.0.0.1 proto=http body=email=a@example.org" in text
    for path in ("/en/search/?q=court", "/ru/search/", "/donate/", "/admin/", "/webhooks/stripe/"):
        assert fetch(path).body.startswith(b"app saw GET " + path.encode()), path
    assert fetch("/admin").header("Location") == "/admin/"
    # What the app adds to its own answers is left alone (the admin sends its own CSP).
    assert fetch("/admin/").header("Content-Security-Policy") is None
    assert not fetch("/en/").body.startswith(b"app saw")


def test_a_mirror_without_an_app_serves_only_the_bundle(serve: Callable[..., Fetch]) -> None:
    fetch = serve("--no-app", "--no-brotli")
    answer = fetch("/newsletter/subscribe/", "POST", body="email=a@example.org")
    assert answer.status in (404, 405)
    assert b"app saw" not in answer.body
    assert fetch("/en/").status == 200


@pytest.mark.django_db
def test_reader_pages_carry_the_apps_security_headers(
    serve: Callable[..., Fetch], settings: Any, client: Any, site_tree: Any
) -> None:
    settings.ONION_URL = "http://lanternexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
    dynamic = client.get("/en/")
    assert dynamic.status_code == 200
    static = serve()("/en/")
    for name in (
        "Content-Security-Policy",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Cross-Origin-Opener-Policy",
        "Permissions-Policy",
        "Onion-Location",
    ):
        assert static.header(name) == dynamic.headers[name], name
    # The copy's files, unlike the app's answers, may be read by the site's pages elsewhere.
    assert static.header("Access-Control-Allow-Origin") == "*"
    assert "Access-Control-Allow-Origin" not in dynamic.headers


def test_values_that_would_break_the_config_are_refused(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="not a listen address"):
        call_command("mirror", "nginx-conf", "--listen", "80; include /etc/shadow")
    with pytest.raises(CommandError, match="not an app address"):
        call_command("mirror", "nginx-conf", "--app", "127.0.0.1:8000; return 200")
    with pytest.raises(CommandError, match="not a server name"):
        call_command("mirror", "nginx-conf", "--server-name", "a{b")
    with pytest.raises(CommandError, match="may not hold"):
        call_command("mirror", "nginx-conf", "--bundle", str(tmp_path / "my bundle"))


def test_the_onion_block_keeps_links_and_forms_on_the_onion(
    serve: Callable[..., Fetch], tmp_path: Path, settings: Any
) -> None:
    # Without JavaScript (Tor Browser's safest level) forms keep their written address: the
    # onion's block rewrites the site's address in pages, the bundle's and the app's alike.
    settings.SITE_URL = "https://lantern.example"
    settings.ONION_URL = "http://lantern2xyzonion.onion"
    fetch = serve("--onion")
    page = tmp_path / "bundle" / "en" / "newsletter" / "index.html"
    page.write_text(
        '<!DOCTYPE html><form action="https://lantern.example/newsletter/subscribe/"></form>'
    )
    answer = fetch("/en/newsletter/", Accept_Encoding="gzip")
    body = gzip.decompress(answer.body) if answer.header("Content-Encoding") else answer.body
    assert b'action="http://lantern2xyzonion.onion/newsletter/subscribe/"' in body
    assert b"lantern.example" not in body
    # The app's pages too.
    proxied = fetch("/donate/page/")
    assert b'action="http://lantern2xyzonion.onion/donate/"' in proxied.body


def test_the_onion_block_needs_the_onion_address(tmp_path: Path, settings: Any) -> None:
    settings.ONION_URL = ""
    with pytest.raises(CommandError, match="SAMIZDAT_ONION_URL"):
        generate(make_bundle(tmp_path / "bundle"), free_port(), "--onion")


def test_of_the_uploads_only_renditions_are_served(
    serve: Callable[..., Fetch], settings: Any, tmp_path: Path
) -> None:
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    files = {
        "images/harbour.width-800.webp": b"RIFF rendition",
        "original_images/harbour.jpg": b"JPEG as the camera wrote it",
        "documents/leak.pdf": b"%PDF the app serves with its privacy rules",
    }
    for name, data in files.items():
        (media / name).parent.mkdir(parents=True, exist_ok=True)
        (media / name).write_bytes(data)
    fetch = serve()
    # An original a bundle built before originals were kept out of it: not served either.
    stale = tmp_path / "bundle" / "media" / "original_images" / "old.jpg"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"JPEG from an old bundle")
    rendition = fetch("/media/images/harbour.width-800.webp")
    assert rendition.status == 200 and rendition.body == b"RIFF rendition"
    for path in (
        "/media/original_images/harbour.jpg",
        "/media/original_images/old.jpg",
        "/media/documents/leak.pdf",
        "/_collected/media/original_images/harbour.jpg",
    ):
        answer = fetch(path)
        assert answer.status == 404, path
        assert (
            b"camera" not in answer.body and b"PDF" not in answer.body and b"old" not in answer.body
        )


def test_documents_are_served_from_the_bundle_alone(
    serve: Callable[..., Fetch], settings: Any, tmp_path: Path
) -> None:
    """The bundle holds the documents public pages link; one only in the uploads (a draft's)
    is no reader's, and a document is cached briefly: a takedown removes it."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    (media / "documents").mkdir(parents=True)
    (media / "documents" / "draft-leak.pdf").write_bytes(b"%PDF not published yet")
    fetch = serve()
    copy = tmp_path / "bundle" / "media" / "documents" / "ruling.pdf"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"%PDF-1.7 the ruling")
    answer = fetch("/media/documents/ruling.pdf")
    assert answer.status == 200 and answer.body == b"%PDF-1.7 the ruling"
    assert answer.header("Content-Type") == "application/pdf"
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("Cache-Control") == "public, max-age=300"
    leak = fetch("/media/documents/draft-leak.pdf")
    assert leak.status == 404 and b"published" not in leak.body


def test_the_app_log_has_paths_without_tokens_or_readers(
    serve: Callable[..., Fetch], tmp_path: Path
) -> None:
    """Links carry their tokens in the query string; the app's log leaves it out, and who
    asked."""
    log = tmp_path / "app.log"
    fetch = serve("--app-log", str(log))
    token = "SecretToken" + "x" * 32
    assert fetch(f"/newsletter/unsubscribe/?token={token}").status == 200
    assert fetch(f"/donate/manage/gifts/?token={token}").status == 200
    fetch("/" + ARTICLE.removesuffix("index.html"))  # a reader's page: not logged at all
    deadline = time.monotonic() + 5  # nginx writes the line as it finishes the request
    while log.read_text().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    text = log.read_text()
    assert '"GET /newsletter/unsubscribe/" 200' in text
    assert '"GET /donate/manage/gifts/" 200' in text
    assert token not in text and "127.0.0.1" not in text
    assert ARTICLE.removesuffix("index.html") not in text


def test_audio_and_video_of_the_bundle_are_served_with_ranges_and_nothing_else(
    serve: Callable[..., Fetch], tmp_path: Path
) -> None:
    fetch = serve()
    film = bytes(range(256)) * 64
    bundle_media = tmp_path / "bundle" / "media"
    (bundle_media / "media").mkdir(parents=True)
    (bundle_media / "media" / "film.webm").write_bytes(film)
    (bundle_media / "documents").mkdir()
    (bundle_media / "documents" / "film.en.vtt").write_bytes(b"WEBVTT\n")
    part = fetch("/media/media/film.webm", Range="bytes=1000-1099")
    assert part.status == 206 and part.body == film[1000:1100]
    assert part.headers["Content-Range"] == f"bytes 1000-1099/{len(film)}"
    assert fetch("/media/documents/film.en.vtt").body == b"WEBVTT\n"
    # What the bundle lacks: audio and video go to the app (which answers staff previews
    # alone), a document never does.
    assert fetch("/media/media/draft.mp3").body.startswith(b"app saw GET /media/media/draft.mp3")
    assert fetch("/media/documents/leak.pdf").status == 404


def test_with_media_in_a_bucket_renditions_come_from_the_store_and_nothing_else(
    serve: Callable[..., Fetch], settings: Any, tmp_path: Path
) -> None:
    """Uploads in an object store (moto's S3 server): nginx fetches the renditions the bundle
    lacks from the bucket, path-style under its prefix, without the reader's cookies; the
    originals and documents there stay out of reach."""
    from tests.mirrors.s3_server import REGION, s3_server

    with s3_server() as store:
        client = store.client()
        client.create_bucket(Bucket="lantern-media")
        files = {
            "images/harbour.width-800.webp": b"RIFF rendition from the bucket",
            "original_images/harbour.jpg": b"JPEG as the camera wrote it",
            "documents/leak.pdf": b"%PDF the app serves with its privacy rules",
            "media/draft-interview.mp3": b"ID3 a draft's audio",
        }
        for name, data in files.items():
            client.put_object(Bucket="lantern-media", Key=f"site/{name}", Body=data)
        # The bucket is private; its policy lets anyone read the renditions alone (as
        # docs/DEPLOY.md has it): nginx signs nothing.
        policy = nginx.media_bucket_policy("lantern-media", "site")
        client.put_bucket_policy(Bucket="lantern-media", Policy=policy)
        assert (
            requests.get(f"{store.url}/lantern-media/site/original_images/harbour.jpg").status_code
            == 403
        )
        settings.S3_ENDPOINT_URL = store.url
        settings.S3_REGION = REGION
        settings.MEDIA_BUCKET = "lantern-media"
        settings.MEDIA_PREFIX = "site"
        settings.MEDIA_ROOT = tmp_path / "empty-media"
        fetch = serve()
        store.requests.clear()
        rendition = fetch("/media/images/harbour.width-800.webp", Cookie="sessionid=secret")
        assert rendition.status == 200
        assert rendition.body == b"RIFF rendition from the bucket"
        assert rendition.header("Cache-Control") == nginx.COLLECTED_CACHE
        assert rendition.header("X-Content-Type-Options") == "nosniff"
        assert rendition.header("Set-Cookie") is None
        assert not [name for name in rendition.headers if name.lower().startswith("x-amz")]
        assert store.requests == [("GET", "/lantern-media/site/images/harbour.width-800.webp")]
        missing = fetch("/media/images/nothing.webp")
        assert missing.status == 404 and b"Nothing here" in missing.body  # the bundle's page
        for path in (
            "/media/original_images/harbour.jpg",
            "/media/documents/leak.pdf",
            "/media/images/../original_images/harbour.jpg",
            "/_collected/media/images/harbour.width-800.webp",
        ):
            answer = fetch(path)
            assert answer.status == 404, path
            assert b"camera" not in answer.body and b"PDF" not in answer.body
        assert [path for _method, path in store.requests if "images/" not in path] == []
        # A draft's audio is the app's to refuse or to play to staff, never the store's.
        assert fetch("/media/media/draft-interview.mp3").body.startswith(b"app saw GET")
