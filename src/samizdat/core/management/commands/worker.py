"""``samizdat worker``: run background tasks and publish scheduled pages when they are due."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

logger = logging.getLogger(__name__)
SCHEDULE_LOCK = "samizdat:publish-scheduled"


class QuietDatabaseWorker(DatabaseWorker):
    """The database worker; at normal verbosity it logs failures, not every task's progress."""

    def configure_logging(self, verbosity: int) -> None:
        super().configure_logging(verbosity)
        if verbosity == 1:
            for name in (TASKS_LOGGER, "django_tasks_db"):
                logging.getLogger(name).setLevel(logging.WARNING)


def _check_mirrors_in_background() -> None:
    from samizdat.mirrors.actions import check_stored_mirrors

    try:
        check_stored_mirrors(now=timezone.now())
    except Exception:
        logger.exception(
            "checking the mirrors failed; next try in %s h", settings.MIRROR_CHECK_HOURS
        )
    finally:
        connections.close_all()  # this thread's own connections


def run_due_jobs(stop: threading.Event, interval: float) -> None:
    """Every ``interval`` seconds: publish pages whose go-live time has come (and expire
    others), start due newsletter editions, resume stalled ones and plan next week's, and
    drop payment providers' raw payloads once they are past their retention period and retry
    receipts that could not be sent. Every MIRROR_CHECK_HOURS, check the mirrors in a thread
    of their own, so a slow mirror never holds up publishing; at start and every
    BUNDLE_FULL_BUILD_HOURS, queue a full build of the static bundle."""
    from samizdat.donations.actions import forget_old_payloads, send_missed_receipts
    from samizdat.mirrors.actions import build_bundle_when_due, claim_mirror_check
    from samizdat.newsletter.actions import run_schedule

    mirror_check: threading.Thread | None = None
    while True:
        try:
            # With several workers, only the one that takes the lock publishes this round.
            if cache.add(SCHEDULE_LOCK, os.getpid(), timeout=max(interval - 1, 1)):
                call_command("publish_scheduled", verbosity=0)
        except Exception:
            logger.exception("publishing scheduled pages failed; retrying in %s s", interval)
        try:
            # Safe in every worker at once: editions start and letters are claimed in the
            # database, one winner each.
            run_schedule(now=timezone.now())
        except Exception:
            logger.exception("the newsletter schedule failed; retrying in %s s", interval)
        try:
            send_missed_receipts(now=timezone.now())
        except Exception:
            logger.exception("retrying receipts failed; retrying in %s s", interval)
        try:
            running = mirror_check is not None and mirror_check.is_alive()
            if not running and claim_mirror_check(now=timezone.now()):
                mirror_check = threading.Thread(
                    target=_check_mirrors_in_background, name="mirror-check", daemon=True
                )
                mirror_check.start()
        except Exception:
            logger.exception("starting the mirror check failed; retrying in %s s", interval)
        try:
            build_bundle_when_due()
        except Exception:
            logger.exception("queueing the bundle's full build failed; retrying in %s s", interval)
        try:
            forget_old_payloads(now=timezone.now())
        except Exception:
            logger.exception("dropping old payment payloads failed; retrying in %s s", interval)
        finally:
            close_old_connections()
        if stop.wait(interval):
            return


class Command(BaseCommand):
    help = (
        "Run the background task worker; every minute also publish scheduled pages and "
        "start, resume and plan newsletter editions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schedule-interval", type=float, default=60.0)
        parser.add_argument("--batch", action="store_true", help="Run queued tasks, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
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
