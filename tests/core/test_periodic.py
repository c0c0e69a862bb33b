"""Periodic jobs claim their period in the database: exactly one process wins each period,
by the database's clock, whatever each process has in its cache or memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from pytest_django import DjangoDbBlocker

from samizdat.core.models import PeriodicRun
from samizdat.core.periodic import claim_period, forget_period, last_run
from samizdat.publishing.actions import SCHEDULE_PERIOD, publish_scheduled_pages
from tests.databases import copy_sqlite, create_postgres, drop_postgres

REPO = Path(__file__).resolve().parents[2]


def seconds_pass(name: str, seconds: float) -> None:
    """The database's clock moves on: the last claim of ``name`` is that much older."""
    PeriodicRun.objects.filter(name=name).update(
        last_run=F("last_run") - timedelta(seconds=seconds)
    )


@pytest.mark.django_db
def test_the_first_claim_of_a_period_wins_and_the_next_waits_for_the_period() -> None:
    assert last_run("quiz") is None
    assert claim_period("quiz", 3600) is True
    first = last_run("quiz")
    assert first is not None
    assert claim_period("quiz", 3600) is False
    seconds_pass("quiz", 3500)
    assert claim_period("quiz", 3600) is False
    seconds_pass("quiz", 100)
    assert claim_period("quiz", 3600) is True
    assert claim_period("quiz", 3600) is False
    forget_period("quiz")
    assert claim_period("quiz", 3600) is True


@pytest.mark.django_db
def test_scheduled_pages_are_published_once_a_round_even_without_a_shared_cache() -> None:
    assert publish_scheduled_pages() is True
    cache.clear()  # another worker process: its own, empty, local cache
    assert publish_scheduled_pages() is False
    seconds_pass(SCHEDULE_PERIOD, 60)
    assert publish_scheduled_pages() is True


# Each process connects, says it is ready, and claims when the test says go: all at once.
CLAIM = """
import os, time
from pathlib import Path
from django.db import connection
from samizdat.core.periodic import claim_period
connection.ensure_connection()
folder = Path({folder!r})
(folder / f"ready-{{os.getpid()}}").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
print("won" if claim_period("daily-build", 24 * 3600) else "lost")
"""


@pytest.fixture
def database(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[dict[str, str]]:
    """The environment of processes sharing a copy of the migrated test database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SAMIZDAT_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        PYTHONPATH=f"{REPO / 'src'}{os.pathsep}{REPO}",
        SAMIZDAT_DEBUG="1",
        SAMIZDAT_SECRET_KEY="periodic-test-" + "k" * 50,
        SAMIZDAT_DATA_KEY=settings.DATA_KEY,
        SAMIZDAT_LOOKUP_KEY=settings.LOOKUP_KEY,
        SAMIZDAT_DATA_DIR=str(tmp_path),
        SAMIZDAT_LOG_LEVEL="WARNING",
    )
    admin_url = os.environ.get("SAMIZDAT_TEST_DATABASE_URL", "")
    name = ""
    if admin_url:
        base = urlsplit(admin_url).path.lstrip("/") or "samizdat"
        name = f"{base}_p{uuid.uuid4().hex[:8]}"
        env["SAMIZDAT_DATABASE_URL"] = create_postgres(admin_url, name, django_db_blocker)
    else:
        copy_sqlite(tmp_path / "samizdat.sqlite3", django_db_blocker)
    try:
        yield env
    finally:
        if name:
            drop_postgres(admin_url, name)


@pytest.mark.django_db(transaction=True)
def test_of_processes_claiming_the_same_period_at_once_exactly_one_wins(
    database: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "barrier"
    folder.mkdir()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "samizdat.cli", "shell", "-c", CLAIM.format(folder=str(folder))],
            cwd=REPO,
            env=database,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        deadline = time.monotonic() + 120
        while len(list(folder.glob("ready-*"))) < len(processes):
            assert time.monotonic() < deadline, "the processes never got ready"
            ended = [process for process in processes if process.poll() is not None]
            assert not ended, f"a process ended early: {ended[0].communicate()[1][-3000:]}"
            time.sleep(0.05)
        (folder / "go").touch()
        answers = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-3000:]
            answers.append(out.strip().splitlines()[-1])
    finally:
        for process in processes:  # those a failed check left running
            if process.poll() is None:
                process.kill()
                process.wait()
    assert sorted(answers) == ["lost", "lost", "lost", "won"]
