"""``python -m bench queues [--articles N] [--every S]``: signup confirmations during a build.

On a copy of the pages benchmark's seeded site (``bench/results/data-N``; production settings,
SQLite): a full build of the static bundle is queued on the ``bundle`` queue, ``samizdat
worker`` (every queue, a thread each) and ``samizdat serve`` start, and while the build runs a
reader signs up through the real signup form (an HTTP POST to ``/newsletter/subscribe/``)
every ``--every`` seconds. A local SMTP server (aiosmtpd) notes when each confirmation
arrives: the latency is from the POST to the letter, median and maximum, with the build's own
time beside it. Target: at most 5 s with 10,000 articles.

The figures are for reading; nothing passes or fails. Results: bench/results/queues-N.json.
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiosmtpd.controller import Controller

from bench import load, pages
from bench.mirrors import copy_site
from bench.pages import BIN, RESULTS, ROOT, log

TARGET_SECONDS = 5.0

QUEUE_BUILD = """
from samizdat.mirrors import tasks
tasks.queue_full_build()
"""


class Inbox:
    """What the SMTP server received: recipient → when (monotonic seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = time.monotonic()
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.arrived.setdefault(recipient.lower(), now)
        return "250 OK"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench queues",
        description="Signup confirmation latency while a full bundle build runs.",
    )
    parser.add_argument("--articles", type=int, default=1_000, help="archive size (1000)")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between signups (3)")
    parser.add_argument(
        "--max-signups", type=int, default=60, help="stop signing up after this many (60)"
    )
    args = parser.parse_args(argv)
    if args.articles < 1 or args.every <= 0 or args.max_signups < 1:
        parser.error("need --articles ≥ 1, --every > 0, --max-signups ≥ 1")
    return args


def build_status(db: Path) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20)) as conn:
        row = conn.execute(
            "SELECT status FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'samizdat.mirrors.tasks.build' ORDER BY enqueued_at DESC LIMIT 1"
        ).fetchone()
    return row[0] if row else ""


def signup(port: int, email: str) -> int:
    body = urlencode(
        {"email": email, "language": "en", "consent": "yes", "form": "newsletter",
         "website": "", "altcha": ""}
    ).encode()  # fmt: skip
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/newsletter/subscribe/",
        data=body,
        headers={"Host": "127.0.0.1", "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def wait_for_server(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            load.fetch(f"http://127.0.0.1:{port}/en/", timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    seeded = RESULTS / f"data-{args.articles}"
    seed_env = pages.site_env(seeded)
    data = pages.prepare(seeded, args.articles, seed_env)
    site = RESULTS / f"queues-{args.articles}"
    log(f"copying the site to {site}")
    copy_site(seeded, site)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=load.free_port())
    smtp.start()
    port = load.free_port()
    env = {
        **pages.site_env(site),
        "PYTHONPATH": str(ROOT / "src"),
        "SAMIZDAT_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "SAMIZDAT_BUNDLE_DIR": str(site / "bundle"),
        "SAMIZDAT_BUNDLE_AUTO_BUILD": "0",
        "SAMIZDAT_SITE_URL": f"http://127.0.0.1:{port}",
        "SAMIZDAT_NEWSLETTER_SIGNUPS_PER_HOUR": "100000",
        "SAMIZDAT_NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW": "100000",
    }
    db = pages.database(site)
    with closing(sqlite3.connect(db)) as conn:  # what seeding queued: not part of the figure
        dropped = conn.execute(
            "DELETE FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
        ).rowcount
        conn.commit()
    log(f"dropped {dropped} tasks seeding left queued; queueing a full build on the bundle queue")
    subprocess.run(
        [str(BIN / "samizdat"), "shell", "-c", QUEUE_BUILD], env=env, cwd=ROOT, check=True
    )
    logs = {name: (site / f"{name}.log").open("wb") for name in ("serve", "worker")}
    server = subprocess.Popen(
        [str(BIN / "samizdat"), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env, cwd=ROOT, stdout=logs["serve"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(BIN / "samizdat"), "worker"],
        env=env, cwd=ROOT, stdout=logs["worker"], stderr=subprocess.STDOUT,
    )  # fmt: skip
    sent: dict[str, float] = {}
    statuses: list[int] = []
    build_started = build_ended = None
    try:
        deadline = time.monotonic() + 600
        while build_status(db) != "RUNNING":
            if build_status(db) in ("SUCCESSFUL", "FAILED") or time.monotonic() > deadline:
                raise SystemExit("the build did not start, or ended before any signup")
            time.sleep(0.1)
        build_started = time.monotonic()
        log("the build runs; signing readers up")
        wait_for_server(port)
        number = 0
        while build_status(db) == "RUNNING" and number < args.max_signups:
            email = f"bench-reader-{number}@example.org"
            sent[email] = time.monotonic()
            statuses.append(signup(port, email))
            number += 1
            time.sleep(max(0.0, sent[email] + args.every - time.monotonic()))
        while build_status(db) == "RUNNING":
            time.sleep(0.2)
        build_ended = time.monotonic()
        time.sleep(5)  # the last confirmations
    finally:
        for process in (worker, server):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (worker, server):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        smtp.stop()
        for handle in logs.values():
            handle.close()
    during = {
        email: inbox.arrived[email] - at
        for email, at in sent.items()
        if email in inbox.arrived and build_ended is not None and at <= build_ended
    }
    latencies = sorted(during.values())
    report: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": vars(args),
        "data": data,
        "build_seconds": (build_ended - build_started) if build_started and build_ended else None,
        "build_status": build_status(db),
        "signups": len(sent),
        "signup_statuses": {str(code): statuses.count(code) for code in sorted(set(statuses))},
        "confirmations_received": len(during),
        "latency_seconds": {
            "median": statistics.median(latencies) if latencies else None,
            "max": max(latencies) if latencies else None,
            "all": [round(value, 3) for value in latencies],
        },
        "target_seconds": TARGET_SECONDS,
    }
    output = RESULTS / f"queues-{args.articles}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    median, worst = report["latency_seconds"]["median"], report["latency_seconds"]["max"]
    print(
        f"samizdat queues: {args.articles:,} articles, SQLite, production settings, "
        f"`samizdat worker` (all queues) and `samizdat serve --workers 2`\n"
        f"full build on the bundle queue: {report['build_seconds'] or 0:.1f} s "
        f"({report['build_status']})\n"
        f"signups during the build: {len(sent)} (one every {args.every:g} s; HTTP "
        f"{report['signup_statuses']}), confirmations received: {len(during)}\n"
        f"confirmation latency: median {median or 0:.2f} s, max {worst or 0:.2f} s "
        f"(target ≤ {TARGET_SECONDS:g} s)"
    )
    print(f"\nfull results: {output.relative_to(ROOT)}")
    sys.stdout.flush()
