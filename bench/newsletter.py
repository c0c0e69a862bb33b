"""``python -m bench newsletter [--subscribers N] [--nodes K] [--workers 2]``: how fast an edition goes out.

One run measures, against Postfix's ``smtp-sink`` (accepts every message and throws it away):

1. the ceiling: one pre-built letter (the edition's own bytes) sent with bare ``smtplib`` over
   1 connection and over as many connections as the app uses, laid out like the app (worker
   processes × threads), for as many letters as the edition has; and the same pipelined (MAIL,
   RCPT and DATA in one write, as the app's sender does when the server offers PIPELINING);
2. end to end, on a fresh data directory with N subscribers (and again with N/10, to show that
   a worker's memory does not grow with the list), production settings (``--debug``: with
   SAMIZDAT_DEBUG=1): ``samizdat worker`` processes sending to the sink while ``send_edition``
   freezes the audience; the time from that call until the edition is marked sent, the freeze
   alone, the workers' CPU time per letter, their memory over time and at its peak, and
   duplicates (messages the sink accepted beyond the deliveries recorded as sent). With
   ``--nodes K`` (PostgreSQL only) the workers form K groups, each with its own data
   directory, as on K machines sharing the database;
3. with ``--profile``, where a sender's time goes: ``sending.send_pending`` in one process on
   a data directory with ``--profile-subscribers`` subscribers, under cProfile, then timed part
   by part with and without the changes proposed in ``bench.newsletter_patches``.

The figures are for reading; nothing passes or fails. Results: bench/results/newsletter-N.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.newsletter_patches import PATCHES
from bench.pages import BIN, DATA_KEYS, RESULTS, ROOT, clean_env, log

HOST = "127.0.0.1"
SECRET_KEY = secrets.token_urlsafe(60)  # one per benchmark run: production settings need one
SINK_BACKLOG = 1000
TARGET_RATE = 2000  # letters per second, end to end
TARGET_CEILING_SHARE = 0.5
SINK_NAMES = ("smtp-sink", "/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink")
PROFILE_VARIANTS = [[], ["record_each"]]
POSTGRES_VARIANTS: list[list[str]] = []
DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench newsletter", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--subscribers", type=int, default=100_000, help="list size N (100000)")
    parser.add_argument(
        "--workers", type=int, default=2, help="`samizdat worker` processes per node (2)"
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="groups of workers with their own data directories sharing the database (1); "
        "more than 1 needs --database-url",
    )
    parser.add_argument(
        "--ceiling-letters",
        type=int,
        help="letters per ceiling run (default: as many as the edition has)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        help="SAMIZDAT_NEWSLETTER_CONNECTIONS, SMTP connections (threads) per task (app default)",
    )
    parser.add_argument(
        "--tasks", type=int, help="SAMIZDAT_NEWSLETTER_TASKS, tasks queued per edition (default)"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to use instead of SQLite, e.g. postgres://postgres@127.0.0.1/x; "
        "each run creates (and drops) its own database next to the named one",
    )
    parser.add_argument(
        "--patches",
        default="",
        help=f"comma-separated proposed changes to apply in the workers: {', '.join(PATCHES)}",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="run the site with SAMIZDAT_DEBUG=1 instead of production settings; Django then "
        "keeps the last 9,000 SQL queries of each connection in memory, which costs CPU per "
        "letter and looks like memory growth during the first ~20,000 letters of a worker",
    )
    parser.add_argument("--no-small", action="store_true", help="skip the N/10 run")
    parser.add_argument("--profile", action="store_true", help="also profile one sender")
    parser.add_argument("--profile-subscribers", type=int, default=20_000, help="(20000)")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args(argv)
    args.patch_list = [name for name in args.patches.split(",") if name]
    if unknown := [name for name in args.patch_list if name not in PATCHES]:
        parser.error(f"unknown patch {', '.join(unknown)}; known: {', '.join(PATCHES)}")
    if args.subscribers < 10 or args.workers < 1 or args.profile_subscribers < 10:
        parser.error("need --subscribers ≥ 10, --workers ≥ 1, --profile-subscribers ≥ 10")
    if args.database_url and urlsplit(args.database_url).scheme not in {"postgres", "postgresql"}:
        parser.error("--database-url must be a postgres:// URL")
    if args.nodes < 1 or (args.nodes > 1 and not args.database_url):
        parser.error("--nodes K > 1 needs --database-url: nodes share only the database")
    if args.ceiling_letters is not None and args.ceiling_letters < 1:
        parser.error("need --ceiling-letters ≥ 1")
    return args


# The sink ---------------------------------------------------------------------------------


def find_sink() -> str:
    for name in SINK_NAMES:
        if found := shutil.which(name):
            return found
    raise SystemExit(
        "bench: Postfix's smtp-sink is not installed. On Debian or Ubuntu: "
        "`apt-get install postfix` (it brings /usr/sbin/smtp-sink; choose 'No configuration' "
        "when asked, the benchmark needs no running mail server)."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with suppress(OSError):
                queue.extend(int(child) for child in children.read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its descendants so far."""
    ticks = 0
    for member in process_tree(pid):
        with suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int, field: str) -> int:
    """A /proc/<pid>/status figure (VmRSS, VmHWM) summed over ``pid`` and its descendants."""
    total = 0
    for member in process_tree(pid):
        with suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
    return total


class Sink:
    """``smtp-sink -c``: counts sessions and messages on its stdout, which goes to a file."""

    def __init__(self, workdir: Path) -> None:
        self.binary = find_sink()
        self.port = free_port()
        self.output = workdir / "smtp-sink.out"
        argv = [self.binary, "-c"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # it refuses to run as root without a user to become
        argv += [f"{HOST}:{self.port}", str(SINK_BACKLOG)]
        self.argv = argv
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: smtp-sink exited: {self.output.read_text()[-500:]}")
            try:
                with smtplib.SMTP(HOST, self.port, timeout=5) as probe:
                    probe.noop()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: smtp-sink did not answer") from None
                time.sleep(0.1)

    def messages(self) -> int:
        """Messages the sink has accepted so far (its last counter line)."""
        with self.output.open("rb") as output:
            output.seek(max(self.output.stat().st_size - 256, 0))
            found = re.findall(rb"mesg=(\d+)", output.read())
        return int(found[-1]) if found else 0

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# The ceiling ------------------------------------------------------------------------------


def pipelined_sendmail(conn: smtplib.SMTP, sender: str, recipient: str, message: bytes) -> None:
    """The ceiling's pipelined SMTP (RFC 2920): MAIL FROM, RCPT TO and DATA in one write, then
    the message; two round trips instead of smtplib's four. Only for the sink: it checks the
    replies and nothing else (``samizdat.newsletter.sending.pipelined_sendmail`` is the
    sender's own, with error handling)."""
    size = f" SIZE={len(message)}" if conn.has_extn("size") else ""
    conn.send(f"MAIL FROM:<{sender}>{size}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
    replies = [conn.getreply()[0] for _ in range(3)]
    if replies != [250, 250, 354]:
        raise smtplib.SMTPException(f"the sink answered {replies}")
    if message.startswith(b".") or b"\n." in message:
        message = DOT_AT_LINE_START.sub(b"..", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    conn.send(message + b".\r\n")
    if (code := conn.getreply()[0]) != 250:
        raise smtplib.SMTPException(f"the sink answered {code} to the message")


def _ceiling_process(
    port: int,
    message: bytes,
    sender: str,
    counts: list[int],
    offset: int,
    pipelined: bool,
    ready: Any,
    start: Any,
) -> None:
    connections = [smtplib.SMTP(HOST, port, timeout=30) for _ in counts]
    for connection in connections:
        connection.ehlo()

    errors: list[BaseException] = []

    def run(connection: smtplib.SMTP, first: int, count: int) -> None:
        try:
            for number in range(first, first + count):
                recipient = f"reader{number}@example.net"
                if pipelined:
                    pipelined_sendmail(connection, sender, recipient, message)
                else:
                    connection.sendmail(sender, [recipient], message)
            connection.quit()
        except (OSError, smtplib.SMTPException) as error:
            errors.append(error)

    threads, first = [], offset
    for connection, count in zip(connections, counts, strict=True):
        threads.append(threading.Thread(target=run, args=(connection, first, count)))
        first += count
    ready.release()
    start.wait()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"bench: a ceiling connection failed: {errors[0]!r}")


def ceiling(
    sink: Sink,
    message: bytes,
    sender: str,
    letters: int,
    processes: int,
    threads: int,
    *,
    pipelined: bool,
) -> dict[str, Any]:
    """``letters`` messages over ``processes`` × ``threads`` connections, timed from the moment
    every connection is open and greeted until the last QUIT."""
    context = multiprocessing.get_context("fork")
    connections = processes * threads
    share = [
        letters // connections + (1 if n < letters % connections else 0) for n in range(connections)
    ]
    ready, start = context.Semaphore(0), context.Event()
    workers = []
    for number in range(processes):
        counts = share[number * threads : (number + 1) * threads]
        workers.append(
            context.Process(
                target=_ceiling_process,
                args=(
                    sink.port,
                    message,
                    sender,
                    counts,
                    sum(share[: number * threads]),
                    pipelined,
                    ready,
                    start,
                ),
            )
        )
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    before_messages, before_sink = sink.messages(), sink.cpu()
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    start.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(0.2)  # the sink writes its counter line as each session ends
    failed = [worker.exitcode for worker in workers if worker.exitcode]
    if failed:
        raise SystemExit(f"bench: a ceiling process failed (exit codes {failed})")
    client_cpu = (after_children.ru_utime - before_children.ru_utime) + (
        after_children.ru_stime - before_children.ru_stime
    )
    return {
        "smtp": "pipelined" if pipelined else "smtplib.sendmail",
        "processes": processes,
        "threads_per_process": threads,
        "connections": connections,
        "letters": letters,
        "seconds": elapsed,
        "letters_per_s": letters / elapsed,
        "sink_messages": sink.messages() - before_messages,
        "client_cpu_us_per_letter": client_cpu * 1e6 / letters,
        "sink_cpu_us_per_letter": (sink.cpu() - before_sink) * 1e6 / letters,
    }


# The site ---------------------------------------------------------------------------------


class Database:
    """SQLite in the data directory, or a throwaway PostgreSQL database next to ``url``'s."""

    def __init__(self, url: str | None, label: str) -> None:
        self.url: str | None = None
        self.name: str | None = None
        self.admin_url = ""
        if url:
            parts = urlsplit(url)
            base = parts.path.lstrip("/") or "samizdat"
            self.name = f"{base}_nl_{label}_{secrets.token_hex(3)}"
            self.url = urlunsplit(parts._replace(path="/" + self.name))
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self._execute(f'CREATE DATABASE "{self.name}"')

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement.encode())

    def drop(self) -> None:
        if self.name:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def describe(self) -> str:
        """The database, and for PostgreSQL the server settings that weigh most on a send of
        a million letters, whose rows are each written more than once: how much WAL may pass
        between checkpoints, and the buffer cache."""
        if not self.name:
            return "SQLite"
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            shown = [
                f"{name} {conn.execute(f'SHOW {name}'.encode()).fetchone()[0]}"  # type: ignore[index]
                for name in ("max_wal_size", "shared_buffers")
            ]
        return f"PostgreSQL ({self.name}; {', '.join(shown)})"


def site_env(
    args: argparse.Namespace, data_dir: Path, database: Database, port: int
) -> dict[str, str]:
    env = {
        **clean_env(),
        "DJANGO_SETTINGS_MODULE": "samizdat.settings",
        # This tree's code, even where another checkout is installed in the virtualenv.
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "SAMIZDAT_DATA_DIR": str(data_dir),
        "SAMIZDAT_EMAIL_URL": f"smtp://{HOST}:{port}",
        "SAMIZDAT_LOG_LEVEL": "WARNING",
    }
    if args.debug:
        env["SAMIZDAT_DEBUG"] = "1"
    else:
        env |= {
            "SAMIZDAT_SECRET_KEY": SECRET_KEY,
            **DATA_KEYS,
            "SAMIZDAT_ALLOWED_HOSTS": HOST,
            "SAMIZDAT_SSL_REDIRECT": "0",
        }
    if database.url:
        env["SAMIZDAT_DATABASE_URL"] = database.url
    if args.connections:
        env["SAMIZDAT_NEWSLETTER_CONNECTIONS"] = str(args.connections)
    # A task per worker unless told otherwise: every worker of every node takes part.
    env["SAMIZDAT_NEWSLETTER_TASKS"] = str(args.tasks or args.nodes * args.workers)
    return env


def run_logged(argv: list[str], env: dict[str, str], log_file: Path) -> None:
    with log_file.open("ab") as output:
        done = subprocess.run(argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv[:3])} failed; see {log_file}")


def app(env: dict[str, str], *args: str, timeout: float = 3600) -> Any:
    """Run ``bench.newsletter_app`` in the site's environment; its last stdout line as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.newsletter_app", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"bench: bench.newsletter_app {args[0]} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(
    env: dict[str, str], data_dir: Path, subscribers: int, log_file: Path
) -> dict[str, Any]:
    """Migrate, seed 30 articles and ``subscribers`` subscribers, make the edition."""
    samizdat = str(BIN / "samizdat")
    started = time.monotonic()
    log(f"samizdat migrate ({data_dir})")
    run_logged([samizdat, "migrate", "--verbosity", "0"], env, log_file)
    migrated = time.monotonic()
    log(f"samizdat seed --articles 30 --subscribers {subscribers}")
    run_logged(
        [samizdat, "seed", "--articles", "30", "--subscribers", str(subscribers)], env, log_file
    )
    seeded = time.monotonic()
    edition = app(env, "edition", str(data_dir / "letter.eml"))
    edition["migrate_seconds"] = migrated - started
    edition["seed_seconds"] = seeded - migrated
    return edition


@contextmanager
def workers(
    env: dict[str, str], count: int, patches: list[str], log_dir: Path, nodes: int = 1
) -> Iterator[list[int]]:
    """``count`` worker processes per node, started and idle (their start-up CPU burst over).

    Each node has its own data directory (``log_dir/node-K``); they share the database."""
    if patches:
        argv = [sys.executable, "-m", "bench.newsletter_worker", ",".join(patches)]
    else:
        argv = [str(BIN / "samizdat"), "worker"]
    processes: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for node in range(nodes):
            node_env = env
            if nodes > 1:
                node_dir = log_dir / f"node-{node}"
                node_dir.mkdir(exist_ok=True)
                node_env = env | {"SAMIZDAT_DATA_DIR": str(node_dir)}
            for number in range(count):
                output = (log_dir / f"worker-{node}-{number}.log").open("wb")
                logs.append(output)
                processes.append(
                    subprocess.Popen(
                        argv, env=node_env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
                    )
                )
        pids = [process.pid for process in processes]
        wait_idle(processes, log_dir)
        yield pids
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for output in logs:
            output.close()


def wait_idle(
    processes: list[subprocess.Popen[bytes]], log_dir: Path, timeout: float = 120
) -> None:
    started = time.monotonic()
    previous = sum(cpu_seconds(process.pid) for process in processes)
    while True:
        time.sleep(0.5)
        for process in processes:
            if process.poll() is not None:
                raise SystemExit(f"bench: a worker exited early; see {log_dir}/worker-*.log")
        used = sum(cpu_seconds(process.pid) for process in processes)
        if time.monotonic() - started > 2 and used - previous < 0.03 * len(processes):
            return
        if time.monotonic() - started > timeout:
            raise SystemExit("bench: the workers did not settle")
        previous = used


class MemoryWatch:
    """Samples the workers' resident memory every 0.2 s while sending; keeps one sample a
    second (with the sink's message count) as a timeline."""

    def __init__(self, pids: list[int], sink: Sink) -> None:
        self.pids = pids
        self.sink = sink
        self.peak = dict.fromkeys(pids, 0)
        self.timeline: list[dict[str, Any]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        started = time.monotonic()
        first = self.sink.messages()
        while not self.stop.wait(0.2):
            rss = {pid: memory_kib(pid, "VmRSS") for pid in self.pids}
            for pid, value in rss.items():
                self.peak[pid] = max(self.peak[pid], value)
            elapsed = time.monotonic() - started
            if not self.timeline or elapsed - self.timeline[-1]["seconds"] >= 1:
                self.timeline.append(
                    {
                        "seconds": round(elapsed, 2),
                        "sink_messages": self.sink.messages() - first,
                        "rss_mib": [round(rss[pid] / 1024, 1) for pid in self.pids],
                    }
                )

    def __enter__(self) -> MemoryWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def end_to_end(
    args: argparse.Namespace, sink: Sink, subscribers: int, workdir: Path
) -> dict[str, Any]:
    """One fresh site with ``subscribers`` subscribers: freeze and send an edition."""
    data_dir = workdir / f"data-{subscribers}"
    data_dir.mkdir()
    database = Database(args.database_url, str(subscribers))
    try:
        env = site_env(args, data_dir, database, sink.port)
        edition = prepare(env, data_dir, subscribers, workdir / f"setup-{subscribers}.log")
        shutil.copy(data_dir / "letter.eml", workdir / f"letter-{subscribers}.eml")
        log(
            f"{args.nodes} node(s) × {args.workers} workers; send_edition: "
            f"{edition['recipients']:,} letters of {edition['message_bytes']:,} bytes"
        )
        with workers(env, args.workers, args.patch_list, data_dir, args.nodes) as pids:
            idle = {pid: memory_kib(pid, "VmRSS") for pid in pids}
            cpu_before = {pid: cpu_seconds(pid) for pid in pids}
            sink_before, sink_cpu = sink.messages(), sink.cpu()
            load_before = os.getloadavg()[0]
            timeout = max(300.0, edition["recipients"] / 50)
            with MemoryWatch(pids, sink) as watch:
                sent = app(
                    env, "send", str(edition["edition_id"]), str(timeout), timeout=timeout + 120
                )
            cpu_after = {pid: cpu_seconds(pid) for pid in pids}
            hwm = {pid: memory_kib(pid, "VmHWM") for pid in pids}
            time.sleep(0.2)
            sink_messages = sink.messages() - sink_before
            sink_cpu = sink.cpu() - sink_cpu
        letters = max(sent["letters"], 1)
        seconds = sent["finished_seconds"] or sent["seen_sent_seconds"]
        window = (
            sent["last_sent_seconds"] - sent["first_sent_seconds"]
            if sent["first_sent_seconds"] is not None
            else None
        )
        worker_cpu = sum(cpu_after[pid] - cpu_before[pid] for pid in pids)
        result = {
            "subscribers": subscribers,
            "database": database.describe(),
            "edition": edition,
            "letters": sent["letters"],
            "finished": sent["finished"],
            "problem": sent["problem"],
            "task_errors": sent["task_errors"],
            "counts": sent["counts"],
            "sink_messages": sink_messages,
            # Every delivery recorded as sent was accepted once; anything beyond is a repeat.
            "duplicates": sink_messages - sent["counts"]["sent"],
            "freeze_seconds": sent["freeze_seconds"],
            "seconds": seconds,
            "letters_per_s": sent["letters"] / seconds,
            "first_letter_seconds": sent["first_sent_seconds"],
            "sending_window_seconds": window,
            "letters_per_s_while_sending": sent["letters"] / window if window else None,
            "worker_cpu_us_per_letter": worker_cpu * 1e6 / letters,
            "sink_cpu_us_per_letter": sink_cpu * 1e6 / letters,
            "workers": [
                {
                    "pid": pid,
                    "rss_idle_mib": idle[pid] / 1024,
                    "rss_peak_sampled_mib": watch.peak[pid] / 1024,
                    "vmhwm_mib": hwm[pid] / 1024,
                    "cpu_seconds": cpu_after[pid] - cpu_before[pid],
                }
                for pid in pids
            ],
            "timeline": watch.timeline,
            "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
            "db_bytes": sum(p.stat().st_size for p in data_dir.glob("samizdat.sqlite3*")) or None,
            "kept": None if sent["finished"] else str(data_dir),
        }
    finally:
        if not args.keep:
            database.drop()
    # Kept when something went wrong: the workers' logs are in it.
    if not args.keep and sent["finished"]:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def profile_runs(args: argparse.Namespace, sink: Sink, workdir: Path) -> dict[str, Any]:
    """cProfile one in-process sender, then time it part by part with each set of patches."""
    subscribers = args.profile_subscribers
    data_dir = workdir / f"profile-{subscribers}"
    data_dir.mkdir()
    database = Database(args.database_url, f"profile{subscribers}")
    try:
        env = site_env(args, data_dir, database, sink.port)
        prepare(env, data_dir, subscribers, workdir / "setup-profile.log")
        log("cProfile: send_pending in-process, 1 connection")
        profiled = app(
            env, "profile", json.dumps({"patches": [], "connections": 1, "cprofile": True})
        )
        variants = []
        variant_list = PROFILE_VARIANTS + (POSTGRES_VARIANTS if database.url else [])
        connections = args.connections or 2
        for patches in variant_list:
            for count in sorted({1, connections}):
                log(
                    f"timed send_pending, {count} connection(s), patches: {'+'.join(patches) or 'none'}"
                )
                spec = {"patches": patches, "connections": count, "cprofile": False}
                variants.append(app(env, "profile", json.dumps(spec)))
        return {"subscribers": subscribers, "cprofile": profiled, "variants": variants}
    finally:
        if not args.keep:
            database.drop()
            shutil.rmtree(data_dir, ignore_errors=True)


# The report -------------------------------------------------------------------------------


def source_fingerprint() -> dict[str, str]:
    """What sending code ran: the sender changes often, and figures go with the code."""
    base = ROOT / "src" / "samizdat" / "newsletter"
    return {
        name: hashlib.sha256((base / name).read_bytes()).hexdigest()[:12]
        + datetime.fromtimestamp((base / name).stat().st_mtime, UTC).strftime(
            " (%Y-%m-%d %H:%M UTC)"
        )
        for name in ("sending.py", "mail.py", "actions.py")
    }


def machine() -> dict[str, Any]:
    sink = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "postfix"], capture_output=True, text=True
    )
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "django": version("django"),
        "sqlite": sqlite3.sqlite_version,
        "postfix": sink.stdout.strip() or None,
    }


def rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}/s"


def table(report: dict[str, Any]) -> str:
    config, runs, ceilings = report["config"], report["runs"], report["ceiling"]
    main_run = runs[-1]
    app_connections = report["app_connections"]
    smtplib_one, smtplib_app = ceilings["smtplib_1"], ceilings["smtplib_app"]
    edition = main_run["edition"]
    settings = "SAMIZDAT_DEBUG=1" if config["debug"] else "production settings"
    lines = [
        f"samizdat newsletter: {main_run['letters']:,} letters (the English four in five of "
        f"{main_run['subscribers']:,} subscribers), {edition['stories']} stories, "
        f"{edition['message_bytes']:,} bytes each",
        f"{main_run['database']}, {settings}, {config.get('nodes', 1)} node(s) × "
        f"{config['workers']} × `samizdat worker`"
        f"{' with ' + '+'.join(config['patch_list']) if config['patch_list'] else ''}, "
        f"{report['app_layout']} = {app_connections} SMTP connections, "
        f"{report['machine']['cpus']} CPUs shared with smtp-sink",
        f"load average (1 min): {report['load_average_1min']['start']:.2f} at the start, "
        f"{report['load_average_1min']['end']:.2f} at the end; other busy processes slow "
        "every rate, the CPU-per-letter figures least",
        "",
        f"{'figure':<44} {'value':>16}   target",
    ]
    e2e = main_run["letters_per_s"]
    rows = [
        ("end to end, send_edition → edition sent", rate(e2e), f"≥ {TARGET_RATE:,}/s"),
        ("  of which the freeze (send_edition)", f"{main_run['freeze_seconds']:.2f} s", ""),
        ("  first letter sent after", f"{main_run['first_letter_seconds'] or 0:.2f} s", ""),
        ("  total time", f"{main_run['seconds']:.1f} s", ""),
        ("while sending (first to last letter)", rate(main_run["letters_per_s_while_sending"]), ""),
        (f"ceiling, smtplib, {app_connections} connections", rate(smtplib_app["letters_per_s"]), ""),
        ("end to end / ceiling", f"{e2e / smtplib_app['letters_per_s']:.0%}", f"≥ {TARGET_CEILING_SHARE:.0%}"),
        ("ceiling, smtplib, 1 connection", rate(smtplib_one["letters_per_s"]), ""),
        (f"ceiling, pipelined, {app_connections} connections", rate(ceilings["pipelined_app"]["letters_per_s"]), ""),
        ("end to end / pipelined ceiling", f"{e2e / ceilings['pipelined_app']['letters_per_s']:.0%}", ""),
        ("worker CPU per letter", f"{main_run['worker_cpu_us_per_letter']:,.0f} µs", ""),
        ("smtplib client CPU per letter (ceiling)", f"{smtplib_app['client_cpu_us_per_letter']:,.0f} µs", ""),
        ("smtp-sink CPU per letter", f"{main_run['sink_cpu_us_per_letter']:,.0f} µs", ""),
        ("letters the sink got / letters sent", f"{main_run['sink_messages']:,} / {main_run['counts']['sent']:,}", ""),
        ("duplicates (sink got − recorded sent)", f"{main_run['sink_messages'] - main_run['counts']['sent']:,}", "0"),
        ("ceiling runs: letters each", f"{smtplib_app['letters']:,}", ""),
    ]  # fmt: skip
    lines += [f"{figure:<44} {value:>16}   {target}".rstrip() for figure, value, target in rows]
    lines += [
        "",
        f"{'worker memory':<20} {'letters':>9} {'letters/s':>10} {'idle RSS':>9} {'peak RSS':>9} {'VmHWM':>9}",
    ]
    for run in runs:
        for number, worker in enumerate(run["workers"]):
            lines.append(
                f"{'worker ' + str(number):<20} {run['letters']:>9,} {run['letters_per_s']:>10,.0f} "
                f"{worker['rss_idle_mib']:>5.0f} MiB {worker['rss_peak_sampled_mib']:>5.0f} MiB "
                f"{worker['vmhwm_mib']:>5.0f} MiB"
            )
    lines += [
        "",
        "worker RSS over the send (MiB, sampled each second; start · 25 % · 50 % · 75 % · end)",
    ]
    for run in runs:
        timeline = run["timeline"]
        if not timeline:
            continue
        picks = [
            timeline[min(int(len(timeline) * share), len(timeline) - 1)]
            for share in (0, 0.25, 0.5, 0.75, 1)
        ]
        for number in range(len(run["workers"])):
            values = " · ".join(f"{sample['rss_mib'][number]:.0f}" for sample in picks)
            lines.append(f"  {run['letters']:>9,} letters, worker {number}: {values}")
    if len(runs) > 1:
        small, large = runs[0], runs[-1]
        growth = max(w["vmhwm_mib"] for w in large["workers"]) - max(
            w["vmhwm_mib"] for w in small["workers"]
        )
        lines.append(
            f"peak VmHWM, {large['letters']:,} letters minus {small['letters']:,}: {growth:+.1f} MiB"
        )
    for run in runs:
        if not run["finished"] or run["counts"]["sent"] != run["letters"]:
            lines.append(
                f"note: the {run['subscribers']:,} run did not finish cleanly: {run['counts']}"
            )
    if "source_changed_during_run" in report:
        lines.append(
            "note: src/samizdat/newsletter changed during this run; figures may mix versions"
        )
    if "profile" in report:
        lines += ["", *profile_table(report["profile"])]
    return "\n".join(lines)


def profile_table(profile: dict[str, Any]) -> list[str]:
    profiled = profile["cprofile"]
    letters = profiled["letters"]
    lines = [
        f"one sender in-process (send_pending, {letters:,} letters, cProfile, 1 connection): "
        f"{profiled['letters_per_s']:,.0f}/s under the profiler",
        "  cumulative µs per letter: "
        + ", ".join(
            f"{name} {figures['cumulative_us']:,.0f}"
            for name, figures in profiled["profile"]["groups"].items()
        ),
        "",
        f"{'timed, µs per letter (wall / CPU)':<58} {'conn':>4} {'letters/s':>9} {'message':>9} "
        f"{'smtp':>9} {'record':>9} {'claim':>7} {'CPU':>5}",
    ]
    for variant in profile["variants"]:
        parts = variant["parts"]
        name = "+".join(variant["patches"]) or "as is"
        cells = " ".join(
            f"{parts[part]['wall_us']:>4.0f}/{parts[part]['cpu_us']:<4.0f}"
            for part in ("message_bytes", "smtp", "record")
        )
        lines.append(
            f"{name:<58} {variant['connections']:>4} {variant['letters_per_s']:>9,.0f} {cells} "
            f"{parts['claim']['wall_us']:>3.0f}/{parts['claim']['cpu_us']:<3.0f} "
            f"{variant['process_cpu_us_per_letter']:>5.0f}"
        )
    return lines


def variant_suffix(args: argparse.Namespace) -> str:
    """ "" for the default run; otherwise what differs, so runs do not overwrite each other."""
    parts = []
    if args.database_url:
        parts.append("postgres")
    if args.debug:
        parts.append("debug")
    if args.nodes != 1:
        parts.append(f"n{args.nodes}")
    if args.workers != 2:
        parts.append(f"w{args.workers}")
    if args.connections:
        parts.append(f"c{args.connections}")
    if args.tasks:
        parts.append(f"t{args.tasks}")
    if args.patch_list:
        parts.append("+".join(args.patch_list))
    return "".join(f"-{part}" for part in parts)


def stop_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds, so the workers and the sink are stopped too


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    find_sink()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    source_at_start = source_fingerprint()
    workdir = Path(tempfile.mkdtemp(prefix="newsletter-", dir=RESULTS))
    sink = Sink(workdir)
    try:
        log(f"smtp-sink on {HOST}:{sink.port} ({' '.join(sink.argv)})")
        sizes = (
            [args.subscribers]
            if args.no_small
            else [max(args.subscribers // 10, 10), args.subscribers]
        )
        runs = [end_to_end(args, sink, size, workdir) for size in sizes]
        main_run = runs[-1]
        connections = main_run["edition"]["connections"]
        processes = min(args.nodes * args.workers, main_run["edition"]["tasks"])
        letter = (workdir / f"letter-{args.subscribers}.eml").read_bytes()
        sender = main_run["edition"]["envelope_from"]
        letters = args.ceiling_letters or main_run["letters"]
        ceilings = {}
        for key, procs, threads, pipelined in (
            ("smtplib_1", 1, 1, False),
            ("smtplib_app", processes, connections, False),
            ("pipelined_app", processes, connections, True),
        ):
            log(
                f"ceiling: {letters:,} letters, {procs} process(es) × {threads} connection(s), {'pipelined' if pipelined else 'smtplib'}"
            )
            ceilings[key] = ceiling(
                sink, letter, sender, letters, procs, threads, pipelined=pipelined
            )
        report: dict[str, Any] = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": {key: value for key, value in vars(args).items()},
            "machine": machine(),
            "source": source_at_start,
            "sink": sink.argv,
            "app_connections": processes * connections,
            "app_layout": f"{processes} task(s) × {connections} connections",
            "targets": {"letters_per_s": TARGET_RATE, "share_of_ceiling": TARGET_CEILING_SHARE},
            "runs": runs,
            "ceiling": ceilings,
        }
        if args.profile:
            report["profile"] = profile_runs(args, sink, workdir)
        report["load_average_1min"] = {"start": load_before, "end": os.getloadavg()[0]}
        if source_fingerprint() != source_at_start:
            report["source_changed_during_run"] = source_fingerprint()
    except BaseException:
        sink.stop()
        log(f"stopped; logs and data kept in {workdir}")
        raise
    sink.stop()
    if not args.keep and not any(run["kept"] for run in runs):
        shutil.rmtree(workdir, ignore_errors=True)
    output = RESULTS / f"newsletter-{args.subscribers}{variant_suffix(args)}.json"
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"\nfull results: {output.relative_to(ROOT)}")
    sys.stdout.flush()
