"""Finished tasks are deleted after TASK_RETENTION_HOURS, by every worker's periodic jobs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from samizdat.core import hooks
from samizdat.newsletter.tasks import send_confirmation

pytestmark = pytest.mark.django_db


def test_finished_tasks_are_pruned_after_the_retention(settings: Any) -> None:
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": list(settings.TASK_QUEUES),
        }
    }
    settings.TASK_RETENTION_HOURS = 24
    now = timezone.now()
    rows = {}
    for name, status, finished_hours_ago in [
        ("old success", TaskResultStatus.SUCCESSFUL, 25),
        ("old failure", TaskResultStatus.FAILED, 25),
        ("recent success", TaskResultStatus.SUCCESSFUL, 1),
        ("waiting", TaskResultStatus.READY, None),
    ]:
        result = send_confirmation.enqueue(0)
        finished = (
            None
            if finished_hours_ago is None
            else now - datetime.timedelta(hours=finished_hours_ago)
        )
        DBTaskResult.objects.filter(pk=result.id).update(status=status, finished_at=finished)
        rows[name] = str(result.id)
    DBTaskResult.objects.filter(pk=rows["waiting"]).update(
        enqueued_at=now - datetime.timedelta(days=3)
    )

    [job] = [job for job in hooks.registered(hooks.PERIODIC_JOBS)
             if job.__name__ == "prune_finished_tasks"]  # fmt: skip
    job(now)

    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {rows["recent success"], rows["waiting"]}
