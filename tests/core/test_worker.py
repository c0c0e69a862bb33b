"""`samizdat worker` runs what the apps registered as periodic jobs, each round, whatever
fails. (Apart from tests/core/test_hooks.py: the worker closes the database connection after
each round, as a long-running process should, which ends the module-wide transaction there.)"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail import hooks

from samizdat.core import leases, setup
from samizdat.core.hooks import PERIODIC_JOBS
from samizdat.core.management.commands.worker import parse_queues, run_due_jobs
from samizdat.core.models import WorkerLease
from tests.core import worker_tasks
from tests.databases import as_in_production

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


# --- leases without processes: a worker's lease row with an old heartbeat -------------------


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": list(settings.TASK_QUEUES),
        }
    }
    settings.TASK_LEASE = 60
    settings.TASK_MAX_ATTEMPTS = 3


def died(task: DBTaskResult, worker_id: str) -> None:
    """Worker ``worker_id`` claimed ``task`` and was last heard of two minutes ago."""
    task.claim(worker_id)
    leases.hold(worker_id=worker_id, queue_name=task.queue_name)
    leases.running(worker_id=worker_id, task_id=str(task.id))
    WorkerLease.objects.filter(worker_id=worker_id).update(
        heartbeat=timezone.now() - timedelta(minutes=2)
    )


@pytest.mark.django_db(transaction=True)  # the worker's threads have connections of their own
def test_a_task_under_a_silent_worker_is_queued_again_and_a_live_one_is_left(
    database_tasks: None, tmp_path: Path, settings: Any
) -> None:
    settings.DATA_DIR = tmp_path
    silent = DBTaskResult.objects.get(
        id=worker_tasks.publishing_work.enqueue(name="silent", seconds=0).id
    )
    alive = DBTaskResult.objects.get(id=worker_tasks.long_build.enqueue(name="alive", seconds=0).id)
    died(silent, "node-a:41:default:x")
    alive.claim("node-b:42:bundle:y")
    leases.hold(worker_id="node-b:42:bundle:y", queue_name="bundle")

    found = leases.recover_abandoned()
    assert found.requeued == [str(silent.id)] and found.abandoned == []
    assert DBTaskResult.objects.get(id=alive.id).status == "RUNNING"
    assert list(WorkerLease.objects.values_list("worker_id", flat=True)) == ["node-b:42:bundle:y"]

    call_command("worker", "--batch", "--no-periodic-jobs", "--queues", "default")
    again = DBTaskResult.objects.get(id=silent.id)
    assert (again.status, len(again.worker_ids)) == ("SUCCESSFUL", 2)
    assert worker_tasks.started("silent") == 1


@pytest.mark.django_db(transaction=True)  # the worker's threads have connections of their own
def test_a_batch_worker_keeps_its_lease_through_a_task_longer_than_the_lease(
    database_tasks: None, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DATA_DIR = tmp_path
    settings.TASK_LEASE = 1
    as_in_production(monkeypatch)
    queued = worker_tasks.publishing_work.enqueue(name="long", seconds=3)
    # Another worker of the installation looks for abandoned tasks all the while.
    stop = threading.Event()
    requeued: list[str] = []
    looks: list[str] = []

    def other_worker() -> None:
        while not stop.wait(0.2):
            try:
                requeued.extend(leases.recover_abandoned().requeued)
            except Exception as error:
                looks.append(repr(error))
                raise
            looks.append("looked")

    looking = threading.Thread(target=other_worker)
    looking.start()
    try:
        call_command("worker", "--batch", "--no-periodic-jobs", "--queues", "default")
    finally:
        stop.set()
        looking.join()
    done = DBTaskResult.objects.get(id=queued.id)
    assert (done.status, len(done.worker_ids)) == ("SUCCESSFUL", 1)
    assert requeued == [] and worker_tasks.started("long") == 1
    # It kept looking all the while, the lease's heartbeats in its way or not.
    assert set(looks) == {"looked"} and len(looks) >= 5, looks


def test_a_task_whose_workers_died_as_often_as_allowed_fails_as_abandoned(
    database_tasks: None, caplog: pytest.LogCaptureFixture
) -> None:
    queued = worker_tasks.publishing_work.enqueue(name="poison", seconds=0)
    for attempt in range(3):
        died(DBTaskResult.objects.get(id=queued.id), f"node-a:{attempt}:default:x")
        found = leases.recover_abandoned()
    assert found.abandoned == [str(queued.id)]
    result = DBTaskResult.objects.get(id=queued.id)
    assert result.status == "FAILED"
    assert result.exception_class_path == "samizdat.core.leases.TaskAbandoned"
    assert "stopped answering for 60 s, 3 times" in result.traceback
    assert "abandoned after 3 attempts" in caplog.text
    queued.refresh()
    assert queued.status == TaskResultStatus.FAILED


def test_an_unknown_queue_is_refused_with_the_names_of_the_queues() -> None:
    with pytest.raises(CommandError) as refused:
        call_command("worker", "--queues", "mail,newsletters", "--batch")
    assert (
        str(refused.value)
        == "Unknown queue newsletters: the queues are mail, newsletter, default, bundle."
    )


def test_the_systemd_units_of_samizdat_setup_run_one_known_queue_each() -> None:
    unit = setup.worker_unit(command=["samizdat"], user="samizdat", data_dir=Path("/srv/data"))
    assert "ExecStart=samizdat worker --queues %i" in unit
    assert tuple(settings.TASK_QUEUES) == setup.QUEUES
    for queue in setup.QUEUES:  # samizdat-worker@mail.service …
        assert parse_queues(queue) == [queue]
