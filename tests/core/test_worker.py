"""`samizdat worker` runs what the apps registered as periodic jobs, each round, whatever
fails. (Apart from tests/core/test_hooks.py: the worker closes the database connection after
each round, as a long-running process should, which ends the module-wide transaction there.)"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

import pytest
from wagtail import hooks

from samizdat.core.hooks import PERIODIC_JOBS
from samizdat.core.management.commands.worker import run_due_jobs

pytestmark = pytest.mark.django_db


def test_the_worker_runs_every_registered_job_and_one_failing_stops_none(
    site_tree: Any, caplog: pytest.LogCaptureFixture
) -> None:
    stop = threading.Event()
    ran: list[datetime] = []

    def broken(now: datetime) -> None:
        raise RuntimeError("the quiz server is down")

    def count_quizzes(now: datetime) -> None:
        ran.append(now)
        stop.set()  # one round is enough

    jobs = [(PERIODIC_JOBS, broken), (PERIODIC_JOBS, count_quizzes)]
    with caplog.at_level(logging.ERROR), hooks.register_temporarily(jobs):
        run_due_jobs(stop, interval=60)
    assert len(ran) == 1
    assert "test_worker" in caplog.text and "broken failed" in caplog.text
    assert "the quiz server is down" in caplog.text
