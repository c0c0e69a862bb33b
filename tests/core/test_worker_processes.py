"""`samizdat worker` as real processes: a thread per queue (a confirmation is not held up by
a build), SIGTERM lets the running task finish, and the task of a worker killed with SIGKILL
is run again by another.

Each test gets an installation of its own (a copy of the migrated test database: a SQLite
file, or with SAMIZDAT_TEST_DATABASE_URL a PostgreSQL database), so the processes see each
other's commits as workers on several machines do.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from pytest_django import DjangoDbBlocker

from tests.databases import copy_sqlite, create_postgres, drop_postgres
from tests.newsletter.smtp import SmtpServer

# Committed data: the test's own connection holds no transaction while the processes run.
pytestmark = pytest.mark.django_db(transaction=True)
REPO = Path(__file__).resolve().parents[2]


class Installation:
    def __init__(self, data_dir: Path, database_url: str, smtp_url: str) -> None:
        self.data_dir = data_dir
        self.url = database_url
        self.smtp_url = smtp_url
        self.processes: list[subprocess.Popen[str]] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
        }
        env.update(
            PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
            SAMIZDAT_DEBUG="1",
            SAMIZDAT_SECRET_KEY="worker-test-" + "k" * 50,
            SAMIZDAT_DATA_KEY=settings.DATA_KEY,
            SAMIZDAT_LOOKUP_KEY=settings.LOOKUP_KEY,
            SAMIZDAT_DATA_DIR=str(self.data_dir),
            SAMIZDAT_LOG_LEVEL="WARNING",
            SAMIZDAT_EMAIL_URL=self.smtp_url,
            SAMIZDAT_BUNDLE_AUTO_BUILD="0",
            SAMIZDAT_TASK_LEASE="1",
        )
        if self.url:
            env["SAMIZDAT_DATABASE_URL"] = self.url
        env.update(extra)
        return env

    def worker(self, *args: str, **env: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "samizdat.cli", "worker", "--no-periodic-jobs", *args],
            cwd=REPO,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.processes.append(process)
        return process

    def shell(self, code: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "samizdat.cli", "shell", "-c", code],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def enqueue(self, task: str, name: str, seconds: float) -> None:
        self.shell(
            f"from tests.core.worker_tasks import {task}\n"
            f"{task}.enqueue(name={name!r}, seconds={seconds})"
        )

    def journal(self) -> list[str]:
        path = self.data_dir / "tasks.log"
        return path.read_text().splitlines() if path.exists() else []

    def wait_for(self, line: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        running = [process for process in self.processes if process.returncode is None]
        while line not in self.journal():
            assert time.monotonic() < deadline, f"{line!r} not in {self.journal()}"
            for process in running:
                assert process.poll() is None, process.communicate()[0][-3000:]
            time.sleep(0.05)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if not self.url:
            path = self.data_dir / "samizdat.sqlite3"
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                return list(db.execute(sql).fetchall())
        import psycopg

        with psycopg.connect(self.url) as db:
            return list(db.execute(sql).fetchall())

    def tasks(self) -> dict[str, tuple[str, int, str]]:
        """name → (status, how many times a worker claimed it, error class)."""
        found = {}
        for args_kwargs, status, worker_ids, error in self.rows(
            "SELECT args_kwargs, status, worker_ids, exception_class_path "
            "FROM django_tasks_database_dbtaskresult"
        ):
            kwargs = json_value(args_kwargs)["kwargs"]
            found[kwargs.get("name", "")] = (status, len(json_value(worker_ids)), error)
        return found

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


def json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@pytest.fixture
def installation(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[Installation]:
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = ""
    if admin_url:
        base = urlsplit(admin_url).path.lstrip("/") or "samizdat"
        name = f"{base}_w{uuid.uuid4().hex[:8]}"
        url = create_postgres(admin_url, name, django_db_blocker)
    else:
        url = ""
        copy_sqlite(tmp_path / "samizdat.sqlite3", django_db_blocker)
    with SmtpServer() as smtp:
        site = Installation(tmp_path, url, smtp.url)
        site.smtp = smtp  # type: ignore[attr-defined]
        try:
            yield site
        finally:
            site.stop()
            if name:
                drop_postgres(admin_url, name)


def test_a_confirmation_is_sent_while_a_long_build_holds_the_bundle_queue(
    installation: Installation,
) -> None:
    installation.enqueue("long_build", "full build", seconds=120)
    worker = installation.worker()
    installation.wait_for("start full build")
    asked = time.monotonic()
    installation.shell(
        "from django.db import transaction\n"
        "from samizdat.newsletter.actions import subscribe\n"
        "with transaction.atomic():\n"
        "    subscribe(email='reader@example.org', language='en', form='newsletter',\n"
        "              wording='Weekly letter', policy_version=0)\n"
    )
    smtp: SmtpServer = installation.smtp  # type: ignore[attr-defined]
    while not smtp.received():
        assert time.monotonic() - asked < 30, "no confirmation while the build ran"
        time.sleep(0.05)
    assert [to for message in smtp.received() for to in message.rcpt_tos] == ["reader@example.org"]
    # The build was still running when the letter went out.
    assert "end full build" not in installation.journal()
    (installation.data_dir / "release").touch()
    installation.wait_for("end full build")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert installation.tasks()["full build"][0] == "SUCCESSFUL"


def test_sigterm_lets_the_running_task_finish_and_a_second_stops_at_once(
    installation: Installation,
) -> None:
    installation.enqueue("publishing_work", "indexing", seconds=3)
    worker = installation.worker("--queues", "default")
    installation.wait_for("start indexing")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert installation.journal() == ["start indexing", "end indexing"]
    assert installation.tasks()["indexing"][:2] == ("SUCCESSFUL", 1)

    installation.enqueue("long_build", "full build", seconds=120)
    worker = installation.worker("--queues", "bundle")
    installation.wait_for("start full build")
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert worker.poll() is None  # still finishing the build
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 1
    assert time.monotonic() - started < 10
    assert "end full build" not in installation.journal()
    # Interrupted, it waits for the next worker.
    assert installation.tasks()["full build"][0] == "READY"


def test_a_task_of_a_killed_worker_is_queued_again_and_runs_once(
    installation: Installation,
) -> None:
    installation.enqueue("publishing_work", "indexing", seconds=120)
    killed = installation.worker("--queues", "default")
    installation.wait_for("start indexing")
    killed.kill()  # SIGKILL: no chance to say anything
    killed.wait(timeout=30)
    assert installation.tasks()["indexing"][0] == "RUNNING"

    # Another worker: once the dead one's lease (1 s here) has expired, it takes the task.
    time.sleep(1.5)
    worker = installation.worker("--queues", "default")
    installation.wait_for("end indexing")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert installation.journal() == ["start indexing", "start indexing", "end indexing"]
    assert installation.tasks()["indexing"][:2] == ("SUCCESSFUL", 2)
    assert "queued again: its worker stopped answering" in worker.communicate()[0]
