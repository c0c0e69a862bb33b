"""Finished background tasks do not pile up.

django-tasks-db keeps a row per task with its arguments and result; a finished one is of use
only for a while (to see what failed), so every worker deletes those finished more than
``TASK_RETENTION_HOURS`` ago. Tasks get ids, never addresses, but a short history is still
less to lose.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def prune_finished(*, now: datetime.datetime) -> int:
    """Delete task results (successful or failed) that finished before the retention period."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = now - datetime.timedelta(hours=settings.TASK_RETENTION_HOURS)
    deleted, _by_model = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    ).delete()
    if deleted:
        logger.info("deleted %d finished task results", deleted)
    return deleted
