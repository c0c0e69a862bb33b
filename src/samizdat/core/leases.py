"""Leases of worker threads, so that a task whose worker died is run again.

django-tasks-db marks a task RUNNING when a worker claims it and never looks back: a worker
killed mid-task (``kill -9``, a machine that lost power) left it RUNNING for ever. Each worker
thread of ``samizdat worker`` holds a ``WorkerLease`` row whose ``heartbeat`` it renews every
few seconds with the database's clock and which names the task it runs. Any worker, every few
seconds, takes back the tasks RUNNING under a worker whose heartbeat is older than
``TASK_LEASE`` seconds: the task is queued again, or, once it has been started
``TASK_MAX_ATTEMPTS`` times, marked FAILED with ``TaskAbandoned`` as its error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Now
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from samizdat.core.models import WorkerLease

logger = logging.getLogger(__name__)


class TaskAbandoned(Exception):
    """The workers that ran a task stopped answering, as many times as a task may be tried."""


ABANDONED = f"{TaskAbandoned.__module__}.{TaskAbandoned.__qualname__}"


def hold(*, worker_id: str, queue_name: str) -> None:
    """Take (or take again) the lease of worker ``worker_id``, alive as of now."""
    WorkerLease.objects.update_or_create(
        worker_id=worker_id,
        defaults={"queue_name": queue_name, "heartbeat": Now()},
        create_defaults={
            "queue_name": queue_name,
            "heartbeat": Now(),
            "started_at": Now(),
        },
    )


def renew(worker_ids: Iterable[str]) -> int:
    """Mark these workers alive as of now (the database's clock); how many leases were held.
    A lease taken from a worker that was silent too long is not renewed (see ``hold``)."""
    return WorkerLease.objects.filter(worker_id__in=list(worker_ids)).update(heartbeat=Now())


def running(*, worker_id: str, task_id: str) -> None:
    """Record the task worker ``worker_id`` runs now ("" when none), and that it is alive."""
    WorkerLease.objects.filter(worker_id=worker_id).update(task_id=task_id, heartbeat=Now())


def release(worker_ids: Iterable[str]) -> None:
    """The workers stop: their leases end."""
    WorkerLease.objects.filter(worker_id__in=list(worker_ids)).delete()


@dataclass
class Recovered:
    requeued: list[str]
    abandoned: list[str]


def _expired() -> ExpressionWrapper:
    return ExpressionWrapper(
        Now() - timedelta(seconds=settings.TASK_LEASE), output_field=DateTimeField()
    )


def recover_abandoned() -> Recovered:
    """Queue again each task RUNNING under a worker without a live lease, or mark it FAILED
    (``TaskAbandoned``) when it was started ``TASK_MAX_ATTEMPTS`` times; remove the expired
    leases. Safe in any number of workers at once (rows are locked, skipping locked ones)."""
    found = Recovered(requeued=[], abandoned=[])
    with transaction.atomic():
        alive = set(
            WorkerLease.objects.filter(heartbeat__gt=_expired()).values_list("worker_id", flat=True)
        )
        stale = DBTaskResult.objects.select_for_update(skip_locked=True).filter(
            status=TaskResultStatus.RUNNING
        )
        for task in stale:
            if task.worker_ids and task.worker_ids[-1] in alive:
                continue
            if len(task.worker_ids) >= settings.TASK_MAX_ATTEMPTS:
                task.status = TaskResultStatus.FAILED
                task.finished_at = timezone.now()
                task.exception_class_path = ABANDONED
                task.traceback = (
                    f"{ABANDONED}: the worker running this task stopped answering for "
                    f"{settings.TASK_LEASE:g} s, {len(task.worker_ids)} times; it is not "
                    "tried again.\n"
                )
                task.return_value = None
                task.save(
                    update_fields=[
                        "status",
                        "finished_at",
                        "exception_class_path",
                        "traceback",
                        "return_value",
                    ]
                )
                found.abandoned.append(str(task.id))
                logger.error(
                    "task %s (%s) abandoned after %s attempts: its workers stopped answering",
                    task.id,
                    task.task_name,
                    len(task.worker_ids),
                )
            else:
                task.status = TaskResultStatus.READY
                task.save(update_fields=["status"])
                found.requeued.append(str(task.id))
                logger.warning(
                    "task %s (%s) queued again: its worker stopped answering for %g s",
                    task.id,
                    task.task_name,
                    settings.TASK_LEASE,
                )
        WorkerLease.objects.filter(heartbeat__lte=_expired()).delete()
    return found
