"""``python -m bench counts [--lines N] [--database-url URL]``: how fast access logs are folded
into daily counts.

Writes a readers' log of N lines (five days, 2,000 stories, the site, a mirror and the
newsletter's marker, in the format of ``samizdat mirror nginx-conf --reach-log``) and folds
it in a fresh process on a fresh database (SQLite in a scratch data directory, or the
PostgreSQL database given, migrated first): lines per second of the first fold, and the time
of a second fold that finds nothing new. The figures are for reading; nothing passes or
fails. Results: bench/results/counts-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pages import RESULTS, log

FOLD = """
import json, sys, time
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from samizdat.reach import actions
from samizdat.reach.models import LogCursor, ReadCount

ReadCount.objects.all().delete()
LogCursor.objects.all().delete()
started = time.perf_counter()
[report] = actions.fold(paths=[sys.argv[1]])
first = time.perf_counter() - started
started = time.perf_counter()
actions.fold(paths=[sys.argv[1]])
again = time.perf_counter() - started
print(json.dumps({"lines": report.lines, "reads": report.reads, "seconds": first,
                  "again_seconds": again, "rows": ReadCount.objects.count()}))
"""


def write_log(path: Path, lines: int) -> None:
    chooser = random.Random(1)
    hosts = ["testserver"] * 3 + ["mirror.example"]
    markers = ["-"] * 9 + ["newsletter"]
    with path.open("w") as handle:
        for number in range(lines):
            day = f"2026-12-{1 + number * 5 // lines:02d}"
            story = f"/en/news/story-{chooser.randrange(2000)}/index.html"
            fields = ["samizdat-reach-1", day, "web", chooser.choice(hosts), "GET", "200"]
            handle.write("\t".join([*fields, chooser.choice(markers), story]) + "\n")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench counts")
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--database-url", help="a PostgreSQL database (default: SQLite)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="samizdat-bench-counts-") as scratch:
        logfile = Path(scratch) / "reach.log"
        write_log(logfile, args.lines)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "samizdat.settings",
            "SAMIZDAT_DEBUG": "1",
            "SAMIZDAT_DATA_DIR": str(Path(scratch) / "data"),
            "SAMIZDAT_SITE_URL": "https://testserver",
        }
        if args.database_url:
            env["SAMIZDAT_DATABASE_URL"] = args.database_url
        log(f"folding {args.lines:,} lines ({logfile.stat().st_size / 1e6:.0f} MB)")
        done = subprocess.run(
            [sys.executable, "-c", FOLD, str(logfile)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(
        database="postgresql" if args.database_url else "sqlite",
        lines_per_s=figures["lines"] / figures["seconds"],
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"counts-{args.lines}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(
        f"reach fold, {figures['database']}: {figures['lines']:,} lines in "
        f"{figures['seconds']:.1f} s ({figures['lines_per_s']:,.0f} lines/s), "
        f"{figures['rows']:,} count rows; a fold with nothing new: "
        f"{figures['again_seconds'] * 1000:.0f} ms"
    )
