"""``python -m bench import [--posts 5000,10000,20000]``: moving a WordPress archive in.

For each size a synthetic WXR export (``bench.wxr``; no images) is written, read alone by the
WordPress reader (the baseline: what parsing the file costs), then imported with ``samizdat
import wordpress FILE --no-download`` as a process of its own on a fresh SQLite data folder
(production settings, migrated beforehand, not timed). Figures: posts per second and the peak
resident memory of that process (``getrusage`` of the child), and the ratio of the peak at
the largest size to the smallest (a streamed import stays near 1.0). Then the old addresses
the import saved go into ``samizdat mirror nginx-conf``: how long that takes, how many rules,
and how long nginx takes to check (load) the configuration. Nothing passes or fails.
Results: bench/results/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import pages
from bench.pages import BIN, RESULTS, log
from bench.wxr import write_synthetic_wxr

PARSE = r"""
import json, sys, time
started = time.monotonic()
from pathlib import Path
from samizdat.importer.wordpress import read_wordpress
export = read_wordpress(Path(sys.argv[1]))
count = sum(1 for _post in export.posts())
print(json.dumps({"posts": count, "seconds": time.monotonic() - started}))
"""


def measured(argv: list[str], env: dict[str, str], log_file: Path) -> tuple[int, float, int]:
    """Run ``argv``: (exit status, wall seconds, peak resident memory in bytes)."""
    started = time.monotonic()
    with log_file.open("w") as out:
        process = subprocess.Popen(argv, env=env, cwd=pages.ROOT, stdout=out, stderr=out)
        _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, seconds, usage.ru_maxrss * 1024  # kilobytes on Linux


def command_missing(env: dict[str, str]) -> str:
    """Why ``samizdat import wordpress`` cannot run here, or ""."""
    done = subprocess.run(
        [str(BIN / "samizdat"), "import", "wordpress", "--help"],
        env=env,
        cwd=pages.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        return next((line for line in lines if "Unknown command" in line), lines[-1])
    return ""


def one_size(posts: int, nginx_binary: str | None) -> dict[str, Any]:
    workdir = RESULTS / f"import-{posts}"
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    export = workdir / "export.xml"
    started = time.monotonic()
    write_synthetic_wxr(export, posts=posts)
    figures: dict[str, Any] = {
        "posts": posts,
        "file_bytes": export.stat().st_size,
        "write_seconds": round(time.monotonic() - started, 2),
    }
    data_dir = workdir / "data"
    data_dir.mkdir()
    env = pages.site_env(data_dir)
    log(f"{posts} posts: {figures['file_bytes'] / 1e6:.1f} MB export; reading it alone")
    status, seconds, peak = measured(
        [str(BIN / "python"), "-c", PARSE, str(export)], env, workdir / "parse.log"
    )
    if status == 0:
        parsed = json.loads((workdir / "parse.log").read_text().strip().splitlines()[-1])
        figures |= {"parse_seconds": round(parsed["seconds"], 2), "parse_peak_rss": peak}
    else:
        figures["parse_error"] = (workdir / "parse.log").read_text()[-500:]
    log(f"{posts} posts: samizdat migrate ({data_dir})")
    pages.samizdat(env, "migrate", "--verbosity", "0")
    missing = command_missing(env)
    if missing:
        raise SystemExit(
            f"bench: `samizdat import wordpress` is missing here ({missing}); the export is "
            f"at {export}. Run this benchmark on a checkout that has the importer's command."
        )
    log(f"{posts} posts: samizdat import wordpress --no-download")
    argv = [str(BIN / "samizdat"), "import", "wordpress", str(export), "--no-download"]
    status, seconds, peak = measured(argv, env, workdir / "import.log")
    if status != 0:
        sys.stderr.write((workdir / "import.log").read_text()[-4000:])
        raise SystemExit(f"bench: the import of {posts} posts failed (exit status {status})")
    figures |= {
        "import_seconds": round(seconds, 1),
        "posts_per_second": round(posts / seconds, 1),
        "import_peak_rss": peak,
    }
    log(f"{posts} posts: {posts / seconds:.1f} posts/s, peak {peak / 2**20:.0f} MB")
    figures |= nginx_figures(env, workdir, nginx_binary)
    return figures


def nginx_figures(env: dict[str, str], workdir: Path, binary: str | None) -> dict[str, Any]:
    """The old addresses as nginx rules: making the configuration, and nginx loading it."""
    bundle = workdir / "bundle"
    bundle.mkdir()
    conf_dir = workdir / "nginx"
    conf_dir.mkdir()
    started = time.monotonic()
    done = subprocess.run(
        [
            *(str(BIN / "samizdat"), "mirror", "nginx-conf", "--no-app", "--no-brotli"),
            *("--bundle", str(bundle), "--listen", "127.0.0.1:8999", "--server-name", "localhost"),
        ],
        env=env,
        cwd=pages.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = {
        "nginx_conf_seconds": round(time.monotonic() - started, 2),
        "nginx_rules": sum(1 for line in done.stdout.splitlines() if line.startswith('    "/')),
        "nginx_conf_bytes": len(done.stdout.encode()),
    }
    (conf_dir / "server.conf").write_text(done.stdout)
    if binary is None:
        return figures
    main = conf_dir / "nginx.conf"
    main.write_text(
        f"pid {conf_dir}/nginx.pid;\nerror_log {conf_dir}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{ include /etc/nginx/mime.types; include {conf_dir}/server.conf; }}\n"
    )
    started = time.monotonic()
    checked = subprocess.run(
        [binary, "-t", "-p", str(conf_dir), "-c", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    figures["nginx_check_seconds"] = round(time.monotonic() - started, 2)
    figures["nginx_check_ok"] = checked.returncode == 0
    if checked.returncode != 0:
        figures["nginx_check_error"] = checked.stderr[-500:]
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench import", description=__doc__)
    parser.add_argument("--posts", default="5000,10000,20000", help="export sizes, comma-separated")
    args = parser.parse_args(argv)
    try:
        sizes = sorted({int(size) for size in args.posts.split(",")})
    except ValueError:
        parser.error("--posts takes numbers separated by commas, e.g. 5000,10000,20000")
    if not sizes or sizes[0] < 1:
        parser.error("--posts needs sizes of at least 1")
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    results = [one_size(posts, binary) for posts in sizes]
    smallest, largest = results[0], results[-1]
    ratio = largest["import_peak_rss"] / smallest["import_peak_rss"]
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": results,
        "peak_rss_ratio_largest_to_smallest": round(ratio, 2),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps(report, indent=2) + "\n")
    print("samizdat import wordpress (synthetic WXR, no images; SQLite)")
    print(f"  {'posts':>7} {'file MB':>8} {'parse s':>8} {'import s':>9} {'posts/s':>8} "
          f"{'peak MB':>8} {'rules':>7} {'conf s':>7} {'nginx -t s':>10}")  # fmt: skip
    for row in results:
        print(
            f"  {row['posts']:>7} {row['file_bytes'] / 1e6:>8.1f} "
            f"{row.get('parse_seconds', float('nan')):>8.1f} {row['import_seconds']:>9.1f} "
            f"{row['posts_per_second']:>8.1f} {row['import_peak_rss'] / 2**20:>8.0f} "
            f"{row['nginx_rules']:>7} {row['nginx_conf_seconds']:>7.1f} "
            f"{row.get('nginx_check_seconds', float('nan')):>10.2f}"
        )
    print(
        f"  peak memory {largest['posts']} / {smallest['posts']} posts: {ratio:.2f} "
        "(a streamed import stays near 1.0)"
    )
