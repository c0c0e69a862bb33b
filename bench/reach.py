"""``python -m bench reach [--articles N]``: seconds from publishing a story until readers can
read it on every channel.

On a copy of the pages benchmark's seeded site (``bench/results/data-N``; production settings,
SQLite, ``collectstatic`` run), the installation runs as in production on one machine:

- ``samizdat serve`` (gunicorn) for the app, and ``samizdat worker`` (every queue, the periodic
  jobs; ``SAMIZDAT_BUNDLE_FULL_BUILD_HOURS=0``, so that no daily build runs during the
  measurement: ``python -m bench takedown`` measures a change during a full build);
- nginx with the server blocks ``samizdat mirror nginx-conf`` writes for the site and for its
  onion address (``--onion``), over the bundle, passing what the bundle lacks to the app;
- two mirror targets: a directory on this machine and a bucket of a local S3 server (moto's,
  in this process).

After a full build, once the worker has settled (no task waiting, both targets in sync),
one story is published as an editor does
(a Wagtail revision, published; the worker rebakes what it touches and syncs the targets). From
the commit, every channel is polled (files and the bucket every 50 ms, pages through nginx
every 0.5 s) until the story is there:

- origin: the article's address through nginx (the app answers while the bundle lacks it), and
  the front page through nginx listing it;
- bundle: the article's file and the front page's file (listing it) in ``SAMIZDAT_BUNDLE_DIR``;
- directory target and S3 target: the article's file and the front page's listing it;
- onion: the article and the front page through the onion's server block;
- feeds: the section's RSS feed and the site's Atom feed through nginx;
- sitemaps: the news sitemap and the page of the section's sitemap that lists the article.

The worker's pick-up delay is included (it polls its queues every second). The target is every
channel within 60 s with a 10,000-article archive. Results: bench/results/reach-N.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import load, pages
from bench.mirrors import STANDALONE, copy_site, nginx_program, run
from bench.pages import BIN, RESULTS, log

TARGET_SECONDS = 60
# How often each channel is asked: files and the bucket often; pages through nginx less, since
# what the bundle lacks is rendered by the app, and the polling must not be what slows it.
POLL_FILES = 0.05
POLL_HTTP = 0.5
BUCKET = "bench-reach"
PREFIX = "lantern"
ONION = "http://" + "samizdatbenchreach" * 3 + "abc.onion"  # 56 characters, as a v3 address

TARGETS = """
import sys
import django

django.setup()
from samizdat.mirrors.models import MirrorTarget

directory, endpoint = sys.argv[1], sys.argv[2]
MirrorTarget.objects.update_or_create(
    name="bench directory", defaults={"kind": "directory", "path": directory}
)
MirrorTarget.objects.update_or_create(
    name="bench bucket",
    defaults={
        "kind": "s3", "bucket": sys.argv[3], "prefix": sys.argv[4], "endpoint_url": endpoint,
        "region": "us-east-1", "access_key_id": "bench", "secret_access_key": "bench",
    },
)
"""

SETTLED = """
import sys, time
import django

django.setup()
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from samizdat.mirrors.models import MirrorTarget

# Until the worker has nothing to do: no task waits or runs, and both targets hold the
# bundle (the first sync of a new target sends every file) and nobody is syncing them.
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
    unsynced = MirrorTarget.objects.filter(
        ~Q(last_status="ok") | Q(needs_full_sync=True) | Q(claimed_until__gt=timezone.now())
    ).exists()
    if not busy and not unsynced:
        sys.exit(0)
    time.sleep(1)
sys.exit("the worker did not settle")
"""

PUBLISH = """
import json, sys, time
import django

django.setup()
from wagtail.rich_text import RichText

from samizdat.mirrors.write import file_for
from samizdat.publishing.models import ArticlePage, SectionPage
from samizdat.publishing.sitemaps import article_sitemap_paths

section = (
    SectionPage.objects.live().filter(locale__language_code="en").order_by("path").first()
)
stamp = int(time.time())
page = ArticlePage(
    title=f"Night ferry resumes crossings {stamp}",
    slug=f"night-ferry-{stamp}",
    standfirst="A story published to time how fast it reaches every channel.",
    body=[("paragraph", RichText("<p>" + "The first boat left at dawn. " * 30 + "</p>"))],
    live=False,  # a draft, as an editor saves it first
)
section.add_child(instance=page)
revision = page.save_revision()
path = page.public_paths()[0]
section_path = section.public_paths()[0]
print(json.dumps({
    "title": page.title, "slug": page.slug,
    "path": path, "file": file_for(path), "home": "/en/", "home_file": file_for("/en/"),
    "feed": section_path + "feed/rss/", "atom": "/en/feed/atom/",
    "sitemaps": article_sitemap_paths(page),
}), flush=True)
sys.stdin.readline()  # the channels are watched: publish
started = time.time()
revision.publish()  # commits; publishing queues the rebake
print(json.dumps({"started": started, "committed": time.time()}), flush=True)
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench reach",
        description="Seconds from publishing a story until it is readable on every channel.",
    )
    parser.add_argument("--articles", type=int, default=10_000, help="archive size (10000)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after S seconds")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.timeout <= 0:
        parser.error("need --articles ≥ 1 and --timeout > 0")
    return args


def get(url: str, host: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), b""
    except OSError:
        return 0, b""


class Channel(threading.Thread):
    """Polls ``check`` until it says the story is there; notes when."""

    def __init__(
        self, name: str, check: Callable[[], bool], stop: threading.Event, every: float
    ) -> None:
        super().__init__(daemon=True, name=name)
        self.check, self.stop, self.every = check, stop, every
        self.seen: float | None = None
        self.error = ""

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                if self.check():
                    self.seen = time.time()
                    return
            except Exception as error:  # polled again; the last one is reported
                self.error = repr(error)
            time.sleep(self.every)


@contextmanager
def process(
    argv: list[str], env: dict[str, str], log_file: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running process of the installation, stopped by its pid at the end."""
    with log_file.open("wb") as output:
        child = subprocess.Popen(
            argv, env=env, cwd=pages.ROOT, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def wait_for(
    url: str, host: str, what: str, child: subprocess.Popen[bytes], seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while get(url, host)[0] == 0:
        if child.poll() is not None:
            raise SystemExit(f"bench: {what} exited early (exit {child.returncode})")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} did not answer within {seconds:.0f} s")
        time.sleep(0.2)


def nginx_conf(env: dict[str, str], workdir: Path, bundle_dir: Path, listen: str, app: str) -> Path:
    confdir = workdir / "nginx"
    shutil.rmtree(confdir, ignore_errors=True)
    confdir.mkdir()
    common = ["--bundle", str(bundle_dir), "--listen", listen, "--app", app]
    samizdat = str(BIN / "samizdat")
    site = run(env, [samizdat, "mirror", "nginx-conf", *common], confdir / "site.log")
    onion = run(env, [samizdat, "mirror", "nginx-conf", *common, "--onion"], confdir / "onion.log")
    (confdir / "server.conf").write_text(site + "\n" + onion)
    main = run(env, [sys.executable, "-c", STANDALONE, str(confdir)], confdir / "standalone.log")
    (confdir / "nginx.conf").write_text(main)
    return confdir


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    program = nginx_program()
    if program is None:
        raise SystemExit("bench: nginx is not installed (apt-get install nginx)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    seeded = RESULTS / f"data-{args.articles}"
    pages.prepare(seeded, args.articles, pages.site_env(seeded))
    workdir = RESULTS / f"reach-{args.articles}"
    workdir.mkdir(exist_ok=True)
    log(f"copying {seeded} to {workdir / 'data'}")
    copy_site(seeded, workdir / "data")
    bundle_dir, directory = workdir / "bundle", workdir / "directory-target"
    for folder in (bundle_dir, directory):
        shutil.rmtree(folder, ignore_errors=True)
    directory.mkdir()
    app_port, nginx_port, s3_port = load.free_port(), load.free_port(), load.free_port()
    site_host = "lantern.example"
    onion_host = ONION.removeprefix("http://")
    env = {
        **pages.site_env(workdir / "data"),
        "SAMIZDAT_SITE_URL": f"http://{site_host}",
        "SAMIZDAT_ALLOWED_HOSTS": f"{site_host},{onion_host},127.0.0.1",
        "SAMIZDAT_ONION_URL": ONION,
        "SAMIZDAT_BUNDLE_DIR": str(bundle_dir),
        "SAMIZDAT_BUNDLE_FULL_BUILD_HOURS": "0",
    }
    samizdat = str(BIN / "samizdat")
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    s3.start()
    stop = threading.Event()
    try:
        import boto3

        endpoint = f"http://127.0.0.1:{s3_port}"
        keys = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        client.create_bucket(Bucket=BUCKET)
        run(env, [samizdat, "collectstatic", "--noinput", "-v0"], workdir / "static.log")
        run(
            env,
            [sys.executable, "-c", TARGETS, str(directory), endpoint, BUCKET, PREFIX],
            workdir / "targets.log",
        )
        log(f"samizdat mirror build {bundle_dir}, which sends it to both targets")
        started = time.monotonic()
        run(env, [samizdat, "mirror", "build", str(bundle_dir)], workdir / "build.log")
        build_seconds = time.monotonic() - started
        confdir = nginx_conf(
            env, workdir, bundle_dir, f"127.0.0.1:{nginx_port}", f"127.0.0.1:{app_port}"
        )
        nginx_argv = [
            program,
            "-p",
            str(confdir),
            "-c",
            str(confdir / "nginx.conf"),
            "-g",
            "daemon off;",
        ]
        origin = f"http://127.0.0.1:{nginx_port}"
        with ExitStack() as running:
            serve = running.enter_context(
                process(
                    [samizdat, "serve", "--bind", f"127.0.0.1:{app_port}"],
                    env,
                    workdir / "serve.log",
                )
            )
            wait_for(f"http://127.0.0.1:{app_port}/en/", site_host, "samizdat serve", serve)
            server = running.enter_context(process(nginx_argv, env, confdir / "nginx.log"))
            wait_for(origin + "/en/", site_host, "nginx", server)
            worker = running.enter_context(
                process([samizdat, "worker"], env, workdir / "worker.log")
            )
            log("waiting for the worker to settle (its start, the targets' first sync)")
            started = time.monotonic()
            run(env, [sys.executable, "-c", SETTLED, "3600"], workdir / "settled.log")
            settle_seconds = time.monotonic() - started
            if worker.poll() is not None:
                raise SystemExit(
                    f"bench: samizdat worker exited early; see {workdir / 'worker.log'}"
                )
            editor = subprocess.Popen(
                [sys.executable, "-c", PUBLISH],
                env=env,
                cwd=pages.ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            running.callback(editor.wait, 60)
            running.callback(editor.kill)
            assert editor.stdin is not None and editor.stdout is not None
            story = json.loads(editor.stdout.readline() or "null") or {}
            if not story:
                raise SystemExit("bench: the story could not be saved as a draft")
            title, slug = story["title"].encode(), story["slug"].encode()

            def served(path: str, host: str, needle: bytes) -> Callable[[], bool]:
                def check() -> bool:
                    status, body = get(origin + path, host)
                    return status == 200 and needle in body

                return check

            def anywhere(checks: list[Callable[[], bool]]) -> Callable[[], bool]:
                return lambda: any(check() for check in checks)

            def on_disk(root: Path, rel: str, needle: bytes) -> Callable[[], bool]:
                def check() -> bool:
                    path = root / rel
                    return path.is_file() and needle in path.read_bytes()

                return check

            def in_bucket(rel: str, needle: bytes) -> Callable[[], bool]:
                def check() -> bool:
                    from botocore.exceptions import ClientError

                    try:
                        body = client.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{rel}")["Body"]
                    except ClientError:
                        return False
                    return needle in body.read()

                return check

            article, home = story["file"], story["home_file"]
            files = {
                "bundle: article file": on_disk(bundle_dir, article, title),
                "bundle: front page lists it": on_disk(bundle_dir, home, slug),
                "directory target: article": on_disk(directory, article, title),
                "directory target: front page lists it": on_disk(directory, home, slug),
                "S3 target: article": in_bucket(article, title),
                "S3 target: front page lists it": in_bucket(home, slug),
            }
            pages_ = {
                "origin: article": served(story["path"], site_host, title),
                "origin: front page lists it": served("/en/", site_host, slug),
                "onion: article": served(story["path"], onion_host, title),
                "onion: front page lists it": served("/en/", onion_host, slug),
                "feed: section RSS": served(story["feed"], site_host, slug),
                "feed: site Atom": served(story["atom"], site_host, slug),
                "sitemap: news sitemap": served("/news-sitemap.xml", site_host, slug),
                # The page of the section's sitemap its date puts it on.
                "sitemap: section sitemap": anywhere(
                    [served(path, site_host, slug) for path in story["sitemaps"]]
                ),
            }
            channels = [
                *(Channel(name, check, stop, POLL_FILES) for name, check in files.items()),
                *(Channel(name, check, stop, POLL_HTTP) for name, check in pages_.items()),
            ]
            for channel in channels:
                channel.start()
            time.sleep(2)  # every channel has looked once: the story is nowhere yet
            if seen := [channel.name for channel in channels if channel.seen is not None]:
                raise SystemExit(f"bench: the draft is already readable: {', '.join(seen)}")
            log("publishing the story")
            editor.stdin.write("publish\n")
            editor.stdin.flush()
            story.update(json.loads(editor.stdout.readline() or "null") or {})
            if "committed" not in story:
                raise SystemExit("bench: the story could not be published")
            deadline = time.monotonic() + args.timeout
            for channel in channels:
                channel.join(timeout=max(0.0, deadline - time.monotonic()))
            stop.set()
    finally:
        stop.set()
        s3.stop()
    committed = story["committed"]
    figures = {
        channel.name: {
            "seconds": None if channel.seen is None else channel.seen - committed,
            **({"last_error": channel.error} if channel.error and channel.seen is None else {}),
        }
        for channel in channels
    }
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "load_average_1min": os.getloadavg()[0],
        "full_build_seconds": build_seconds,
        "worker_settle_seconds": settle_seconds,
        "publish_seconds": committed - story["started"],
        "story": story["path"],
        "channels": figures,
    }
    output = RESULTS / f"reach-{args.articles}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nfull results: {output.relative_to(pages.ROOT)}")


def table(report: dict[str, Any]) -> str:
    config = report["config"]
    lines = [
        f"samizdat reach: {config['articles']:,} articles, SQLite, production settings, "
        f"{report['machine']['cpus']} CPUs, load average {report['load_average_1min']:.2f}",
        f"one story published ({report['story']}; the publication itself took "
        f"{report['publish_seconds']:.2f} s); seconds from its commit until readers have it",
        "",
        f"{'channel':<48} {'seconds':>8}   target ≤ {TARGET_SECONDS} s",
    ]
    worst = 0.0
    for name, figures in report["channels"].items():
        seconds = figures["seconds"]
        if seconds is None:
            lines.append(f"{name:<48} {'never':>8}   {figures.get('last_error', '')}".rstrip())
            worst = float("inf")
        else:
            worst = max(worst, seconds)
            lines.append(f"{name:<48} {seconds:>8.1f}")
    verdict = "met" if worst <= TARGET_SECONDS else "not met"
    lines += [
        "",
        f"every channel: {'never' if worst == float('inf') else f'{worst:.1f} s'} (target {verdict})",
        f"for comparison: the full build took {report['full_build_seconds']:.1f} s; the "
        f"worker then settled (its start, the targets' first sync) in "
        f"{report['worker_settle_seconds']:.1f} s",
    ]
    return "\n".join(lines)
