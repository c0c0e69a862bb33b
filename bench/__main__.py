"""``python -m bench [pages|newsletter|donations|mirrors|queues|takedown|reach|counts|editions|import] [options]``: figures for a seeded samizdat site.

``python -m bench pages [--articles N] [--duration S]``: page figures (rendering, HTTP load).
``python -m bench newsletter [--subscribers N] [--workers 2]``: newsletter sending figures
(see ``bench.newsletter``).
``python -m bench donations [--events N]``: webhook and donate-page figures (``bench.donations``).
``python -m bench mirrors [--articles N] [--one-process] [--builds-only]``: static bundle builds
(wall and CPU, next to rendering the pages one by one), nginx serving it, page weight
(``bench.mirrors``); ``--nodes --database-url URL``: a full build on PostgreSQL with 0, 1, 2
helper workers standing for nodes.
``python -m bench queues [--articles N]``: signup confirmation latency while a full bundle
build runs (``bench.queues``).
``python -m bench takedown [--articles N]``: seconds until a page taken down leaves the bundle
bucket, idle and during a full build (``bench.takedown``).
``python -m bench reach [--articles N]``: seconds from publishing a story until it is readable
at the origin, in the bundle, on a directory and an S3 target, over the onion, in the feeds and
the sitemaps (``bench.reach``).
``python -m bench counts [--lines N] [--database-url URL]``: folding access logs into daily
counts of reads (``bench.counts``).
``python -m bench editions [--stories 20]``: the size of a week's HTML and EPUB edition with
photos, against its 2 MB budget (``bench.editions``).
``python -m bench import [--posts 5000,10000,20000]``: importing a synthetic WordPress export
of each size: posts/s and the import's peak memory, beside reading the file alone; the old
addresses as nginx rules (``bench.imports``).
``python -m bench [pages options]`` (what ``make bench`` runs): the pages benchmark with those
options, then the newsletter, donations and mirrors benchmarks with their defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from bench import (
    counts,
    donations,
    editions,
    imports,
    load,
    mirrors,
    newsletter,
    pages,
    queues,
    reach,
    takedown,
)

# The targets and the reference figures quoted in the performance issue.
TARGET_QUERIES = 10
TARGET_P50_MS = 8.0
TARGET_RPS = 250
REFERENCES = [
    ("bakerydemo blog page", "15.8 ms", "22 queries", "118 req/s"),
    ("WordPress 6.1", "28 ms", "", "70 req/s"),
    ("bare Django", "", "", "~6,500 req/s"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench pages",
        description="Page figures for a seeded samizdat site: in-process renders, then HTTP load.",
    )
    parser.add_argument("--articles", type=int, default=10_000, help="archive size (10000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per load run (10)")
    parser.add_argument("--sample", type=int, default=50, help="article pages sampled (50)")
    parser.add_argument("--requests", type=int, default=200, help="timed renders per kind (200)")
    args = parser.parse_args(argv)
    if args.articles < 1 or not 1 <= args.duration <= 300 or args.sample < 1 or args.requests < 2:
        parser.error("need --articles ≥ 1, 1 ≤ --duration ≤ 300, --sample ≥ 1, --requests ≥ 2")
    return args


def machine() -> dict[str, Any]:
    wrk = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        if load.has_wrk()
        else None
    )
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": version("django"),
        "wagtail": version("wagtail"),
        "gunicorn": version("gunicorn"),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if wrk else None,
    }


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} ms"


def queries(figures: dict[str, Any]) -> str:
    low, high = figures["queries_min"], figures["queries_max"]
    return f"{low}" if low == high else f"{low}-{high}"


def header(report: dict[str, Any]) -> list[str]:
    config, data, loadavg = report["config"], report["data"], report["load_average_1min"]
    article = report["http"]["article"]
    tool = (
        f"wrk -t{load.THREADS} -c{load.CONNECTIONS} -d{config['duration']}s"
        if article["tool"] == "wrk"
        else f"a Python load generator ({load.CONNECTIONS} connections, {config['duration']} s)"
    )
    return [
        f"samizdat pages: {config['articles']:,} articles, SQLite "
        f"({data['db_bytes'] / 2**20:,.0f} MiB, ANALYZE run for planner statistics), "
        f"{report['machine']['cpus']} CPUs, production settings",
        f"in-process: django.test.Client, no HTTP, {config['sample']} sampled articles warmed "
        f"once, then {config['requests']} timed renders per page kind; no page cache",
        f"under load: gunicorn -w {load.WORKERS} (sync) and {tool} share the CPUs; "
        f"one article, {article['path']}",
        f"load average (1 min): {loadavg['start']:.2f} at the start, {loadavg['end']:.2f} at the "
        "end; other busy processes slow every figure, the CPU-time ones least",
    ]


def table(report: dict[str, Any]) -> str:
    render, http = report["render"], report["http"]
    page, article, bare = render["article"], http["article"], http["bare_django"]
    cpu = article["server_cpu_ms_per_request"]
    latency = article["latency_ms"]
    rows = [
        ("article SQL queries", queries(page), f"≤ {TARGET_QUERIES}"),
        ("article p50, in-process", ms(page["ms_p50"]), f"≤ {TARGET_P50_MS:g} ms"),
        ("article p95, in-process", ms(page["ms_p95"]), ""),
        ("article CPU p50, in-process", ms(page["cpu_ms_p50"]), ""),
        ("article HTML bytes (p50)", f"{page['bytes_p50']:,}", ""),
        ("article req/s, gunicorn", f"{article['requests_per_s']:,.0f}", f"≥ {TARGET_RPS}"),
        ("article p50 / p99 under load", f"{ms(latency.get('p50'))} / {ms(latency.get('p99'))}", ""),
        ("article server CPU per request", ms(cpu), ""),
        (f"article req/s if {load.WORKERS} cores were free", f"{load.WORKERS * 1000 / cpu:,.0f}" if cpu else "n/a", f"≥ {TARGET_RPS}"),
        ("bare Django req/s, gunicorn", f"{bare['requests_per_s']:,.0f}", ""),
        ("bare Django server CPU per request", ms(bare["server_cpu_ms_per_request"]), ""),
        ("article / bare Django req/s", f"{article['requests_per_s'] / bare['requests_per_s']:.1%}", ""),
    ]  # fmt: skip
    lines = [*header(report), "", f"{'figure':<38} {'value':>21}   target"]
    lines += [f"{figure:<38} {value:>21}   {target}".rstrip() for figure, value, target in rows]
    for name, figures in (("article", article), ("bare Django", bare)):
        if figures["non_2xx_3xx"] or figures["socket_errors"]:
            lines.append(
                f"note: the {name} run had {figures['non_2xx_3xx']} non-2xx/3xx responses "
                f"and {figures['socket_errors']} socket errors"
            )
    lines += ["", f"{'other pages, in-process':<24} queries      p50      p95  CPU p50  HTML bytes"]
    for name, label in (("home", "home /en/"), ("section", "section /en/news/")):
        figures = render[name]
        lines.append(
            f"{label:<24} {queries(figures):>7} {ms(figures['ms_p50']):>8} "
            f"{ms(figures['ms_p95']):>8} {ms(figures['cpu_ms_p50']):>8} {figures['bytes_p50']:>11,}"
        )
    lines += ["", "reference figures from the issue"]
    lines += [f"  {name:<22} {a:>8} {b:>11} {c:>13}" for name, a, b, c in REFERENCES]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["newsletter"]:
        newsletter.main(argv[1:])
    elif argv[:1] == ["donations"]:
        donations.main(argv[1:])
    elif argv[:1] == ["mirrors"]:
        mirrors.main(argv[1:])
    elif argv[:1] == ["queues"]:
        queues.main(argv[1:])
    elif argv[:1] == ["takedown"]:
        takedown.main(argv[1:])
    elif argv[:1] == ["reach"]:
        reach.main(argv[1:])
    elif argv[:1] == ["counts"]:
        counts.main(argv[1:])
    elif argv[:1] == ["editions"]:
        editions.main(argv[1:])
    elif argv[:1] == ["import"]:
        imports.main(argv[1:])
    elif argv[:1] == ["pages"]:
        pages_main(argv[1:])
    elif argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip())
    else:
        pages_main(argv)
        print()
        newsletter.main([])
        print()
        donations.main([])
        print()
        # The same seeded archive as the pages benchmark.
        mirrors.main(["--articles", str(parse_args(argv).articles)])


def pages_main(argv: list[str]) -> None:
    args = parse_args(argv)
    load_before = os.getloadavg()[0]
    data_dir = pages.RESULTS / f"data-{args.articles}"
    env = pages.site_env(data_dir)
    data = pages.prepare(data_dir, args.articles, env)
    articles = pages.sample_paths(pages.database(data_dir), args.sample)
    pages.log(f"in-process renders ({len(articles)} articles, /en/, /en/news/)")
    render = pages.render_figures(
        env, {"article": articles, "home": ["/en/"], "section": ["/en/news/"]}, args.requests
    )
    http = load.http_figures(env, articles[len(articles) // 2], args.duration, pages.RESULTS)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(args),
        "machine": machine(),
        "data": data,
        "targets": {
            "queries": TARGET_QUERIES,
            "p50_ms": TARGET_P50_MS,
            "requests_per_s": TARGET_RPS,
        },
        "render": render,
        "http": http,
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
    }
    output = pages.RESULTS / f"pages-{args.articles}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nfull results: {output.relative_to(pages.ROOT)}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
