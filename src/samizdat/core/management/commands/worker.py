"""``samizdat worker``: run background tasks, and every minute the jobs the apps registered."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from samizdat.core import hooks
from samizdat.core.management.commands.demo import refuse_demo_data

logger = logging.getLogger(__name__)


class QuietDatabaseWorker(DatabaseWorker):
    """The database worker; at normal verbosity it logs failures, not every task's progress."""

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        if verbosity == 1:
            for name in (TASKS_LOGGER, "django_tasks_db"):
                logging.getLogger(name).setLevel(logging.WARNING)


def run_due_jobs(stop: threading.Event, interval: float) -> None:
    """Every ``interval`` seconds until ``stop`` is set, run each periodic job the apps
    registered (``hooks.PERIODIC_JOBS``: publishing scheduled pages, starting due newsletter
    editions, retrying receipts, building the bundle…). A job that fails is logged and tried
    again next round; the others still run."""
    while True:
        try:
            hooks.run_each(hooks.PERIODIC_JOBS, now=timezone.now(), what="the periodic job ")
        finally:
            close_old_connections()
        if stop.wait(interval):
            return


class Command(BaseCommand):
    help = (
        "Run the background task worker; every minute also run the apps' periodic jobs "
        "(publish scheduled pages, start, resume and plan newsletter editions, …)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule-interval", type=float, default=60.0)
        parser.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_demo_data("worker")
        stop = threading.Event()
        scheduler = threading.Thread(
            target=run_due_jobs, args=(stop, options["schedule_interval"]), daemon=True
        )
        scheduler.start()
        try:
            call_command(
                QuietDatabaseWorker(),
                batch=options["batch"],
                interval=1,
                reload=False,
                verbosity=options["verbosity"],
            )
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
