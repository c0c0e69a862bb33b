"""``python -m bench mirrors [--articles N] [--one-process] [--builds-only] [--nodes]``: the
static bundle and nginx; with ``--nodes``, only a full build spread over helper workers as
nodes, on PostgreSQL (see ``spread_builds``).

On a copy of the pages benchmark's seeded site (``bench/results/data-N``; production settings,
SQLite, ``collectstatic`` run):

1. Full build: ``samizdat mirror build OUTDIR`` (in ``SAMIZDAT_BUNDLE_JOBS`` processes, by
   default one per CPU), wall time, CPU seconds of the command and its rendering processes,
   pages rendered and pages per second, next to rendering as many article pages one by one
   in-process (``bench.render``, the same figure ``python -m bench pages`` reports): the
   build's time over that, and its CPU over theirs. With ``--one-process`` the same build runs
   first in one process (``SAMIZDAT_BUNDLE_JOBS=1``), for the gain the processes bring; being
   first it also makes the renditions a freshly seeded site lacks. With ``--builds-only`` the
   figures stop there.
2. Incremental: one new article is published (a Wagtail revision, as an editor would), then
   ``ArticlePage.touched_paths()`` then ``samizdat.mirrors.bundle.rebake(paths)`` are timed: seconds, pages rendered, files
   written (with and without their .gz/.br siblings) and removed.
3. nginx over the bundle, configured by ``samizdat mirror nginx-conf``: ``wrk`` on an article
   page and on a plain file of the same size in the same bundle (``bench-same-size.html``),
   without and with ``Accept-Encoding: gzip``; the ratio says what serving a page as a
   directory index costs. For the record, the same article rendered by the app under gunicorn.
4. Page weight: an article's HTML plus the stylesheets and scripts it links, as stored and as
   the precompressed .gz and .br siblings readers get.

The figures are for reading; nothing passes or fails. Results: bench/results/mirrors-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from bench import load, pages
from bench.pages import BIN, RESULTS, ROOT, log

HOST = load.HOST
SAME_SIZE = "bench-same-size.html"
TARGET_SERVE_RATIO = 0.95
TARGET_RAW_KB = 60
TARGET_COMPRESSED_KB = 20
TARGET_BUILD_RATIO = 0.5  # a full build on 2 cores, over rendering its pages one by one

PUBLISH_AND_REBAKE = """
import json, sys, time
import django

django.setup()
from wagtail.rich_text import RichText

from samizdat.mirrors import bundle
from samizdat.publishing.models import ArticlePage, SectionPage

section = (
    SectionPage.objects.live().filter(locale__language_code="en").order_by("path").first()
)
stamp = int(time.time())
page = ArticlePage(
    title="Benchmark desk files a late story",
    slug=f"bench-late-story-{stamp}",
    standfirst="A story published while the bundle is current, to time an incremental rebuild.",
    body=[("paragraph", RichText("<p>" + "The council met late into the night. " * 30 + "</p>"))],
)
section.add_child(instance=page)
started = time.perf_counter()
page.save_revision().publish()
published = time.perf_counter() - started
started = time.perf_counter()
paths = page.touched_paths()  # what publishing announces
touched_seconds = time.perf_counter() - started
report = bundle.rebake(paths)
seconds = time.perf_counter() - started
print(json.dumps({
    "page_id": page.id,
    "path": page.url_path,
    "publish_seconds": published,
    "seconds": seconds,
    "touched_seconds": touched_seconds,
    "touched_paths": len(paths),
    "pages": report.pages,
    "written": len(report.written),
    "written_without_compressed": len(report.pages_written),
    "removed": len(report.removed),
    "written_examples": report.written[:20],
}))
"""

STANDALONE = """
import sys
from pathlib import Path
import django

django.setup()
from samizdat.mirrors import nginx

workdir = Path(sys.argv[1])
module = nginx.brotli_module()
print(nginx.standalone_conf(
    server_conf=workdir / "server.conf", workdir=workdir, modules=[module] if module else []
), end="")
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench mirrors",
        description="Static bundle figures: full and incremental builds, nginx, page weight.",
    )
    parser.add_argument("--articles", type=int, default=10_000, help="archive size (10000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--sample", type=int, default=20, help="articles rendered in-process (20)")
    parser.add_argument("--requests", type=int, default=100, help="timed in-process renders (100)")
    parser.add_argument("--keep", action="store_true", help="keep the site copy and its bundle")
    parser.add_argument(
        "--one-process", action="store_true", help="also time the build in one process"
    )
    parser.add_argument(
        "--builds-only", action="store_true", help="only the full builds (no nginx, no rebake)"
    )
    parser.add_argument(
        "--nodes",
        action="store_true",
        help="only the full build with 0, 1, 2 helper workers as nodes (PostgreSQL: "
        "--database-url or SAMIZDAT_BENCH_DATABASE_URL)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SAMIZDAT_BENCH_DATABASE_URL", ""),
        help="PostgreSQL server for --nodes, e.g. postgres://postgres@127.0.0.1:5432/postgres "
        "(a database samizdat_bench_nodes_N is made there and kept)",
    )
    args = parser.parse_args(argv)
    if args.nodes and not args.database_url:
        parser.error("--nodes needs PostgreSQL: --database-url or SAMIZDAT_BENCH_DATABASE_URL")
    if args.articles < 1 or not 1 <= args.duration <= 300 or args.sample < 1 or args.requests < 2:
        parser.error("need --articles ≥ 1, 1 ≤ --duration ≤ 300, --sample ≥ 1, --requests ≥ 2")
    return args


def copy_site(source: Path, target: Path) -> None:
    """A private copy of a seeded data directory: publishing here leaves the original at N."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with (
        closing(sqlite3.connect(pages.database(source))) as original,
        closing(sqlite3.connect(pages.database(target))) as copy,
    ):
        original.backup(copy)
    for name in ("media", "static"):
        if (source / name).is_dir():
            # Hard links where possible: renditions and uploads are never rewritten in place.
            try:
                shutil.copytree(source / name, target / name, copy_function=os.link)
            except OSError:
                shutil.rmtree(target / name, ignore_errors=True)
                shutil.copytree(source / name, target / name)


def run(env: dict[str, str], argv: list[str], log_file: Path, timeout: float = 7200) -> str:
    """Run ``argv`` in the site's environment; its output goes to ``log_file`` and is returned."""
    done = subprocess.run(
        argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    log_file.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"bench: {' '.join(argv[:4])} failed (exit {done.returncode})")
    return done.stdout


def bundle_files(outdir: Path) -> dict[str, Any]:
    counts = {"html": 0, "xml": 0, "gz": 0, "br": 0, "other": 0}
    size = 0
    for path in outdir.rglob("*"):
        if not path.is_file():
            continue
        size += path.stat().st_size
        suffix = path.suffix.lstrip(".")
        counts[suffix if suffix in counts else "other"] += 1
    return {**counts, "files": sum(counts.values()), "bytes": size}


def children_cpu() -> float:
    """CPU seconds of this process's finished children and theirs (rendering processes)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def full_build(
    env: dict[str, str], outdir: Path, workdir: Path, jobs: int | None = None
) -> dict[str, Any]:
    if outdir.exists():
        shutil.rmtree(outdir)
    if jobs is not None:
        env = {**env, "SAMIZDAT_BUNDLE_JOBS": str(jobs)}
    processes = env.get("SAMIZDAT_BUNDLE_JOBS") or str(os.cpu_count() or 1)
    log(f"samizdat mirror build {outdir} (SAMIZDAT_BUNDLE_JOBS={processes})")
    cpu_before = children_cpu()
    started = time.monotonic()
    output = run(
        env,
        [str(BIN / "samizdat"), "mirror", "build", str(outdir)],
        workdir / f"build-{processes}.log",
    )
    seconds = time.monotonic() - started
    cpu_seconds = children_cpu() - cpu_before
    files = bundle_files(outdir)
    return {
        "processes": int(processes),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "pages": files["html"],
        "feeds_and_sitemaps": files["xml"],
        "pages_per_s": files["html"] / seconds if seconds else None,
        "bundle": files,
        "output_tail": output.strip().splitlines()[-5:],
    }


def nginx_program() -> str | None:
    # As samizdat.mirrors.nginx.nginx_binary(), which cannot be imported here without Django.
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")


def incremental(env: dict[str, str], workdir: Path) -> dict[str, Any]:
    log("publishing one article, then timing the paths it touches and their rebake")
    output = run(env, [sys.executable, "-c", PUBLISH_AND_REBAKE], workdir / "rebake.log")
    return json.loads(output.strip().splitlines()[-1])


@contextmanager
def nginx_serving(
    program: str, env: dict[str, str], outdir: Path, workdir: Path
) -> Iterator[tuple[str, int]]:
    """nginx with the generated server block over ``outdir``; yields its URL and master pid."""
    port = load.free_port()
    confdir = workdir / "nginx"
    confdir.mkdir(exist_ok=True)
    server = run(
        env,
        [str(BIN / "samizdat"), "mirror", "nginx-conf", "--bundle", str(outdir),
         "--listen", f"{HOST}:{port}", "--server-name", HOST],
        confdir / "nginx-conf.log",
    )  # fmt: skip
    (confdir / "server.conf").write_text(server)
    main = run(env, [sys.executable, "-c", STANDALONE, str(confdir)], confdir / "standalone.log")
    (confdir / "nginx.conf").write_text(main)
    argv = [program, "-p", str(confdir), "-c", str(confdir / "nginx.conf"), "-g", "daemon off;"]
    with (confdir / "nginx.log").open("wb") as output:
        process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"bench: nginx exited early; see {confdir}")
                try:
                    socket.create_connection((HOST, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"bench: nginx did not answer; see {confdir}") from None
                    time.sleep(0.1)
            yield f"http://{HOST}:{port}", process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk(url: str, duration: int, headers: list[str]) -> dict[str, Any]:
    argv = ["wrk", f"-t{load.THREADS}", f"-c{load.CONNECTIONS}", f"-d{duration}s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    argv += ["--timeout", "10s", url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, check=True)
    return load.parse_wrk(done.stdout)


def loaded(url: str, duration: int, master: int, headers: list[str]) -> dict[str, Any]:
    """A short discarded warm-up, then ``duration`` s of wrk, with the server's CPU per request."""
    wrk(url, min(2, duration), headers)
    cpu_before = load.workers_cpu_seconds(master)
    figures = wrk(url, duration, headers)
    cpu_after = load.workers_cpu_seconds(master)
    figures["server_cpu_ms_per_request"] = (
        (cpu_after - cpu_before) * 1000 / figures["requests"]
        if cpu_before is not None and cpu_after is not None and figures["requests"]
        else None
    )
    return figures


def serving(
    env: dict[str, str], outdir: Path, article: str, duration: int, workdir: Path
) -> dict[str, Any]:
    """wrk on the article and on a same-size plain file from nginx; the app for the record."""
    page = outdir / article.lstrip("/") / "index.html"
    figures: dict[str, Any] = {"article": article, "bytes": page.stat().st_size}
    same = outdir / SAME_SIZE
    for suffix in ("", ".gz", ".br"):
        if Path(f"{page}{suffix}").exists():
            shutil.copyfile(f"{page}{suffix}", f"{same}{suffix}")
    program = nginx_program()
    try:
        if program is None:
            figures["nginx"] = "skipped: nginx is not installed (apt-get install nginx)"
        elif not load.has_wrk():
            figures["nginx"] = "skipped: wrk is not installed (apt-get install wrk)"
        else:
            with nginx_serving(program, env, outdir, workdir) as (base, master):
                for encoding, headers in (("identity", []), ("gzip", ["Accept-Encoding: gzip"])):
                    for name, path in (("article", article), ("same_size", "/" + SAME_SIZE)):
                        log(f"nginx: loading {path} ({encoding}) for {duration} s")
                        figures[f"nginx_{name}_{encoding}"] = loaded(
                            base + path, duration, master, headers
                        )
                    figures[f"ratio_{encoding}"] = (
                        figures[f"nginx_article_{encoding}"]["requests_per_s"]
                        / figures[f"nginx_same_size_{encoding}"]["requests_per_s"]
                    )
    finally:
        for suffix in ("", ".gz", ".br"):
            Path(f"{same}{suffix}").unlink(missing_ok=True)
    site = load.gunicorn("samizdat.wsgi:application", env, workdir / "gunicorn.log", workdir)
    with site as (base, pid):
        log(f"gunicorn: loading {article} for {duration} s")
        figures["gunicorn_article"] = load.load(base + article, duration, pid)
    return figures


class Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if (
            tag == "link"
            and "stylesheet" in (values.get("rel") or "").split()
            and values.get("href")
        ):
            self.links.append(values["href"] or "")
        elif tag == "script" and values.get("src"):
            self.links.append(values["src"] or "")


def weight(outdir: Path, article: str) -> dict[str, Any]:
    """Bytes of the article and the assets it links: stored, .gz and .br."""
    page = outdir / article.lstrip("/") / "index.html"
    parser = Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    files = [page]
    for link in parser.links:
        target = urlsplit(urljoin(f"http://bundle{article}", link)).path
        files.append(outdir / target.lstrip("/"))
    rows = []
    totals: dict[str, int | None] = {"raw": 0, "gz": 0, "br": 0}
    for path in files:
        row: dict[str, Any] = {"path": path.relative_to(outdir).as_posix()}
        for kind, suffix in (("raw", ""), ("gz", ".gz"), ("br", ".br")):
            sibling = Path(f"{path}{suffix}")
            row[kind] = sibling.stat().st_size if sibling.exists() else None
            total = totals[kind]
            totals[kind] = None if total is None or row[kind] is None else total + row[kind]
        rows.append(row)
    return {"files": rows, "total": totals}


def kb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024:,.1f} KB"


def cpu(figures: dict[str, Any]) -> str:
    value = figures.get("server_cpu_ms_per_request")
    return "n/a" if value is None else f"{value * 1000:.1f} µs"


def rate(figures: Any) -> str:
    return f"{figures['requests_per_s']:,.0f}" if isinstance(figures, dict) else "n/a"


def table(report: dict[str, Any]) -> str:
    build = report["build"]
    render_ms = report["render"]["article"]["ms_p50"]
    render_cpu_ms = report["render"]["article"]["cpu_ms_p50"]
    dynamic_s = build["pages"] * render_ms / 1000
    dynamic_cpu_s = build["pages"] * render_cpu_ms / 1000
    lines = [
        f"samizdat mirrors: {report['config']['articles']:,} articles, SQLite, "
        f"{report['machine']['cpus']} CPUs, production settings",
        f"bundle: {build['bundle']['files']:,} files, {build['bundle']['bytes'] / 2**20:,.0f} MiB "
        f"({build['bundle']['html']:,} pages, {build['bundle']['xml']:,} feeds and sitemaps, "
        f"{build['bundle']['gz']:,} .gz, {build['bundle']['br']:,} .br)",
        f"load average (1 min): {report['load_average_1min']['start']:.2f} at the start, "
        f"{report['load_average_1min']['end']:.2f} at the end; other busy processes move the "
        "rates, nginx's CPU per request much less",
        "",
        f"{'figure':<46} {'value':>18}   target",
        f"{'full build, ' + str(build['processes']) + ' processes':<46} {build['seconds']:>16.1f} s",
        f"{'  CPU (command and its processes)':<46} {build['cpu_seconds']:>16.1f} s",
        f"{'pages rendered':<46} {build['pages']:>18,}",
        f"{'pages per second':<46} {build['pages_per_s']:>18,.1f}",
        f"{'article render in-process (p50)':<46} {render_ms:>15.1f} ms",
        f"{'  CPU (p50)':<46} {render_cpu_ms:>15.1f} ms",
        f"{'same pages rendered one by one':<46} {dynamic_s:>16.1f} s",
        f"{'  CPU':<46} {dynamic_cpu_s:>16.1f} s",
        f"{'build / one-by-one render, wall':<46} {build['seconds'] / dynamic_s:>17.2f}×   "
        f"≤ {TARGET_BUILD_RATIO}×",
        f"{'build / one-by-one render, CPU':<46} {build['cpu_seconds'] / dynamic_cpu_s:>17.2f}×",
    ]
    one = report.get("build_one_process")
    if one:
        lines += [
            f"{'full build, 1 process':<46} {one['seconds']:>16.1f} s",
            f"{'  CPU':<46} {one['cpu_seconds']:>16.1f} s",
            f"{'  / one-by-one render, wall':<46} {one['seconds'] / dynamic_s:>17.2f}×",
            f"{'  speed-up of the processes (1 process / N)':<46} "
            f"{one['seconds'] / build['seconds']:>17.2f}×",
        ]
    if "incremental" not in report:
        return "\n".join(lines)
    step, serve, page = report["incremental"], report["serving"], report["weight"]
    lines += [
        f"{'incremental: one article published, rebake':<46} {step['seconds']:>16.2f} s",
        f"{'  of which: the paths it touches':<46} {step['touched_seconds']:>16.2f} s",
        f"{'  paths announced':<46} {step['touched_paths']:>18,}",
        f"{'  pages rendered':<46} {step['pages']:>18,}",
        f"{'  files written (without .gz/.br)':<46} {step['written_without_compressed']:>18,}",
        f"{'  files written (with .gz/.br)':<46} {step['written']:>18,}",
        f"{'  files removed':<46} {step['removed']:>18,}",
    ]
    if isinstance(serve.get("nginx"), str):
        lines.append(f"nginx: {serve['nginx']}")
    else:
        for encoding in ("identity", "gzip"):
            lines += [
                f"{'nginx article req/s, ' + encoding:<46} "
                f"{rate(serve[f'nginx_article_{encoding}']):>18}",
                f"{'nginx same-size file req/s, ' + encoding:<46} "
                f"{rate(serve[f'nginx_same_size_{encoding}']):>18}",
                f"{'  article / same-size file':<46} {serve[f'ratio_{encoding}']:>18.1%}   "
                f"≥ {TARGET_SERVE_RATIO:.0%}",
                f"{'  nginx CPU per request, article / file':<46} "
                f"{cpu(serve[f'nginx_article_{encoding}']):>9} / "
                f"{cpu(serve[f'nginx_same_size_{encoding}'])}",
            ]
    lines.append(f"{'gunicorn article req/s (dynamic)':<46} {rate(serve['gunicorn_article']):>18}")
    total = page["total"]
    lines += [
        f"{'page weight: HTML + CSS + JS':<46} {kb(total['raw']):>18}   ≤ {TARGET_RAW_KB} KB",
        f"{'  as .gz':<46} {kb(total['gz']):>18}   ≤ {TARGET_COMPRESSED_KB} KB",
        f"{'  as .br':<46} {kb(total['br']):>18}   ≤ {TARGET_COMPRESSED_KB} KB",
    ]
    lines += [
        f"    {row['path']:<60} {kb(row['raw']):>9} {kb(row['gz']):>9} {kb(row['br']):>9}"
        for row in page["files"]
    ]
    return "\n".join(lines)


# --- a full build spread over nodes (--nodes) ---------------------------------------------

COUNT_ARTICLES = "SELECT count(*) FROM publishing_articlepage"


def _pg(url: str, query: str) -> Any:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(query).fetchone()
        return row[0] if row else None


def _pg_database(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spread_builds(args: argparse.Namespace) -> None:
    """A full build (``samizdat mirror build``, one process: ``SAMIZDAT_BUNDLE_JOBS=1``) with 0,
    1 and 2 helpers, each a ``samizdat worker --queues bundle`` with a data folder of its own
    (the uploads and static files shared, as a bucket would be), all on one PostgreSQL
    database seeded once with ``--articles`` (kept as samizdat_bench_nodes_N). Each build
    starts from an empty bundle, so every file goes through the database; a first build,
    not timed, makes the renditions. Wall time, CPU of the builder and of the helpers, and
    the speed-up over the build alone."""
    import psycopg

    RESULTS.mkdir(parents=True, exist_ok=True)
    name = f"samizdat_bench_nodes_{args.articles}"
    url = _pg_database(args.database_url, name)
    workdir = RESULTS / f"mirrors-nodes-{args.articles}"
    builder = workdir / "node-0"
    builder.mkdir(parents=True, exist_ok=True)
    quiet = {"SAMIZDAT_BUNDLE_FULL_BUILD_HOURS": "0", "SAMIZDAT_BUNDLE_AUTO_BUILD": "0"}

    def env_of(data: Path, **extra: str) -> dict[str, str]:
        return {
            **pages.site_env(data),
            "SAMIZDAT_DATABASE_URL": url,
            "SAMIZDAT_BUNDLE_JOBS": "1",
            **quiet,
            **extra,
        }

    try:
        seeded = _pg(url, COUNT_ARTICLES) == args.articles
    except psycopg.Error:
        seeded = False
    if not seeded:
        log(f"creating {name} and seeding {args.articles} articles")
        with psycopg.connect(_pg_database(args.database_url, "postgres"), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
        shutil.rmtree(builder / "media", ignore_errors=True)
    env = env_of(builder)
    run(env, [str(BIN / "samizdat"), "migrate", "--verbosity", "0"], workdir / "migrate.log")
    if not seeded:
        run(env, [str(BIN / "samizdat"), "seed", "--articles", str(args.articles)],
            workdir / "seed.log")  # fmt: skip
    run(env, [str(BIN / "samizdat"), "collectstatic", "--noinput", "-v0"], workdir / "static.log")
    helpers_data = []
    for number in (1, 2):
        data = workdir / f"node-{number}"
        data.mkdir(exist_ok=True)
        for shared in ("media", "static"):
            if not (data / shared).exists():
                (data / shared).symlink_to(builder / shared)
        helpers_data.append(data)

    def build(helpers: int, label: str) -> dict[str, Any]:
        outdir = workdir / "bundle"
        shutil.rmtree(outdir, ignore_errors=True)
        workers = [
            subprocess.Popen(
                [str(BIN / "samizdat"), "worker", "--queues", "bundle"],
                env=env_of(data),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=(workdir / f"worker-{data.name}.log").open("ab"),
            )
            for data in helpers_data[:helpers]
        ]
        try:
            deadline = time.monotonic() + 120
            while _pg(url, "SELECT count(*) FROM samizdat_core_workerlease") < helpers:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: the helper workers did not start")
                time.sleep(0.2)
            time.sleep(1)  # past their first look at the queue
            cpu_before = [process_cpu(worker.pid) for worker in workers]
            children_before = children_cpu()
            started = time.monotonic()
            log(f"samizdat mirror build ({label}, {helpers} helper(s))")
            output = run(
                env_of(builder, SAMIZDAT_BUNDLE_HELPERS=str(helpers)),
                [str(BIN / "samizdat"), "mirror", "build", str(outdir)],
                workdir / f"build-{label}.log",
            )
            seconds = time.monotonic() - started
            builder_cpu = children_cpu() - children_before
            helper_cpu = sum(
                process_cpu(worker.pid) - before
                for worker, before in zip(workers, cpu_before, strict=True)
            )
        finally:
            for worker in workers:
                os.kill(worker.pid, signal.SIGTERM)
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
        files = bundle_files(outdir)
        return {
            "helpers": helpers,
            "seconds": seconds,
            "builder_cpu_seconds": builder_cpu,
            "helpers_cpu_seconds": helper_cpu,
            "pages": files["html"],
            "bundle": files,
            "output_tail": output.strip().splitlines()[-3:],
        }

    build(0, "warm-up")  # makes the renditions a freshly seeded site lacks
    runs = [build(helpers, f"{helpers}-helpers") for helpers in (0, 1, 2)]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"articles": args.articles},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "runs": runs,
    }
    output = RESULTS / f"mirrors-nodes-{args.articles}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(nodes_table(report))
    print(f"\nfull results: {output.relative_to(ROOT)}")


def nodes_table(report: dict[str, Any]) -> str:
    runs = report["runs"]
    alone = runs[0]["seconds"]
    cpus = report["machine"]["cpus"]
    lines = [
        f"samizdat mirrors --nodes: {report['config']['articles']:,} articles, PostgreSQL, "
        f"{runs[0]['pages']:,} pages; the builder and each helper render in one process",
        f"this machine has {cpus} CPU(s): beyond {cpus} processes in all the figures cannot "
        "show more speed-up (the nodes share its cores)",
        "",
        f"{'helpers':>7} {'wall s':>9} {'speed-up':>9} {'builder CPU s':>14} {'helpers CPU s':>14}",
    ]
    lines += [
        f"{run['helpers']:>7} {run['seconds']:>9.1f} {alone / run['seconds']:>8.2f}× "
        f"{run['builder_cpu_seconds']:>14.1f} {run['helpers_cpu_seconds']:>14.1f}"
        for run in runs
    ]
    return "\n".join(lines)


def stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds, so the servers are stopped too


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    if args.nodes:
        spread_builds(args)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    seeded = RESULTS / f"data-{args.articles}"
    pages.prepare(seeded, args.articles, pages.site_env(seeded))
    workdir = RESULTS / f"mirrors-{args.articles}"
    log(f"copying {seeded} to {workdir / 'data'}")
    copy_site(seeded, workdir / "data")
    outdir = workdir / "bundle"
    env = {**pages.site_env(workdir / "data"), "SAMIZDAT_BUNDLE_DIR": str(outdir)}
    run(env, [str(BIN / "samizdat"), "collectstatic", "--noinput", "-v0"], workdir / "static.log")
    articles = pages.sample_paths(pages.database(workdir / "data"), args.sample)
    log(f"in-process renders ({len(articles)} articles)")
    render = pages.render_figures(env, {"article": articles}, args.requests)
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "targets": {
            "build_ratio": TARGET_BUILD_RATIO,
            "serve_ratio": TARGET_SERVE_RATIO,
            "raw_kb": TARGET_RAW_KB,
            "compressed_kb": TARGET_COMPRESSED_KB,
        },
        "render": render,
    }
    if args.one_process:
        # First: the first build of a freshly seeded site also makes the renditions the
        # pages link (a site in use has them), so the build in processes is timed as a
        # build of a site in use is.
        report["build_one_process"] = full_build(env, workdir / "bundle-1", workdir, jobs=1)
        shutil.rmtree(workdir / "bundle-1", ignore_errors=True)
    report["build"] = full_build(env, outdir, workdir)
    if not args.builds_only:
        article = articles[len(articles) // 2]
        report["weight"] = weight(outdir, article)
        report["serving"] = serving(env, outdir, article, args.duration, workdir)
        # Last: it changes the site (one more article) and the bundle.
        report["incremental"] = incremental(env, workdir)
    report["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
    output = RESULTS / f"mirrors-{args.articles}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    print(table(report))
    print(f"\nfull results: {output.relative_to(ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
