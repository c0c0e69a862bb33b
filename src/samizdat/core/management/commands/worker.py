"""``samizdat worker``: run background tasks, one thread per queue, and every minute the jobs
the apps registered.

Each queue (``settings.TASK_QUEUES``: ``mail``, ``newsletter``, ``default``, ``bundle``) has a
thread of its own, so a signup confirmation never waits behind an edition being sent, search
indexing or a full build of the bundle.
Each thread holds a lease (``core/leases.py``) renewed by a heartbeat thread, which also takes
back the tasks of workers that died. The first SIGTERM (or Ctrl-C) stops taking tasks and lets
the ones running finish; a second stops at once, ending the processes a build started, and
queues the interrupted tasks again.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from samizdat.core import hooks, leases
from samizdat.core.management.commands.demo import refuse_demo_data

logger = logging.getLogger(__name__)


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


class QueueWorker(Worker):
    """django-tasks-db's worker for one queue, in a thread: it holds a lease, records the task
    it runs there, and leaves signals to the command."""

    def __init__(self, *, queue_name: str, batch: bool, interval: float) -> None:
        host = socket.gethostname()[:24]
        super().__init__(
            queue_names=[queue_name],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=f"{host}:{os.getpid()}:{queue_name}:{get_random_string(8)}"[:64],
            excluded_queue_names=[],
        )
        self.queue_name = queue_name
        self.current: str = ""

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.current = str(db_task_result.id)
        leases.running(worker_id=self.worker_id, task_id=self.current)
        try:
            super().run_task(db_task_result)
        finally:
            self.current = ""
            leases.running(worker_id=self.worker_id, task_id="")

    def run_in_thread(self) -> None:
        try:
            leases.hold(worker_id=self.worker_id, queue_name=self.queue_name)
            self.run()
        except Exception:
            logger.exception("the worker of the %s queue stopped", self.queue_name)
        finally:
            try:
                leases.release([self.worker_id])
            finally:
                connections.close_all()  # this thread's own connections


def keep_leases(workers: list[QueueWorker], stop: threading.Event, interval: float) -> None:
    """Until ``stop`` is set, every ``interval`` seconds: renew the leases of ``workers`` (taking
    again one another worker removed while this process was silent) and take back the tasks
    of workers that died."""
    while not stop.wait(interval):
        try:
            if leases.renew(worker.worker_id for worker in workers) < len(workers):
                for worker in workers:
                    leases.hold(worker_id=worker.worker_id, queue_name=worker.queue_name)
            leases.recover_abandoned()
        except Exception:
            logger.exception("renewing the worker leases failed; trying again")
        finally:
            close_old_connections()
    connections.close_all()


def lease_interval() -> float:
    """Seconds between two renewals of the leases: a few each lease."""
    return max(0.2, min(10.0, settings.TASK_LEASE / 4))


def parse_queues(value: str) -> list[str]:
    """The queue names of ``--queues`` (comma-separated), refusing unknown ones."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    known = list(settings.TASK_QUEUES)
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise CommandError(
            f"Unknown queue {', '.join(unknown) or '(none given)'}: "
            f"the queues are {', '.join(known)}."
        )
    return list(dict.fromkeys(names))


def stop_children() -> None:
    """End the processes this one started (the renderers of a bundle build)."""
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


class Command(BaseCommand):
    help = (
        "Run the background task worker, a thread per queue (mail, newsletter, default, "
        "bundle); every "
        "minute also run the apps' periodic jobs (publish scheduled pages, start, resume and "
        "plan newsletter editions, …)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            default="",
            help="Comma-separated queues to run (default: all of them: "
            + ", ".join(settings.TASK_QUEUES)
            + ").",
        )
        parser.add_argument(
            "--no-periodic-jobs",
            action="store_true",
            help="Run tasks only, not the periodic jobs (another worker runs those).",
        )
        parser.add_argument("--schedule-interval", type=float, default=60.0)
        parser.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run queued tasks until the queues are empty, then exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_demo_data("worker")
        queues = parse_queues(options["queues"] or ",".join(settings.TASK_QUEUES))
        quiet(options["verbosity"])
        batch = bool(options["batch"])
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if not options["no_periodic_jobs"]:
            scheduler = threading.Thread(
                target=run_due_jobs,
                args=(stop, options["schedule_interval"]),
                name="periodic-jobs",
                daemon=True,
            )
            scheduler.start()
            threads.append(scheduler)
        if batch:
            self.run_batch(queues, options["interval"])
            stop.set()
            for thread in threads:
                thread.join()
            return
        self.run_until_stopped(queues, options["interval"], stop)

    def run_batch(self, queues: list[str], interval: float) -> None:
        """Run the queues, each in its thread, until none has a task ready (first taking
        back the tasks of workers that died)."""
        leases.recover_abandoned()
        while True:
            workers = [QueueWorker(queue_name=name, batch=True, interval=0) for name in queues]
            threads = [
                threading.Thread(target=worker.run_in_thread, name=f"queue-{worker.queue_name}")
                for worker in workers
            ]
            done = threading.Event()
            keeper = threading.Thread(  # a long task keeps its lease, as in a lasting worker
                target=keep_leases, args=(workers, done, lease_interval()), name="leases"
            )
            keeper.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            done.set()
            keeper.join()
            # A task of one queue may have queued one on another whose thread had finished.
            if not DBTaskResult.objects.ready().filter(queue_name__in=queues).exists():
                return

    def run_until_stopped(self, queues: list[str], interval: float, stop: threading.Event) -> None:
        pool = WorkerPool(queues, interval=interval, stop=stop)
        signals = {"count": 0}

        def shutdown(signum: int, frame: FrameType | None) -> None:
            signals["count"] += 1
            if signals["count"] == 1:
                logger.warning(
                    "%s: finishing the tasks that run, then stopping (again to stop at once)",
                    signal.strsignal(signum),
                )
                pool.request_stop()
            else:
                logger.warning("%s: stopping at once", signal.strsignal(signum))
                pool.stop_now()
                sys.stdout.flush()
                os._exit(1)

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, shutdown)
        pool.start()
        logger.info("worker running the queues %s", ", ".join(queues))
        pool.wait()


class WorkerPool:
    """A thread per queue, and one keeping their leases."""

    def __init__(
        self, queues: list[str], *, interval: float, stop: threading.Event | None = None
    ) -> None:
        self.workers = [
            QueueWorker(queue_name=name, batch=False, interval=interval) for name in queues
        ]
        self.stop = stop or threading.Event()
        self.keeper = threading.Thread(
            target=keep_leases,
            args=(self.workers, self.stop, lease_interval()),
            name="leases",
            daemon=True,
        )
        self.threads = [
            threading.Thread(
                target=worker.run_in_thread, name=f"queue-{worker.queue_name}", daemon=True
            )
            for worker in self.workers
        ]

    def start(self) -> WorkerPool:
        self.keeper.start()
        for thread in self.threads:
            thread.start()
        return self

    def request_stop(self) -> None:
        """Take no more tasks; the ones running finish."""
        for worker in self.workers:
            worker.running = False
        self.stop.set()

    def stop_now(self) -> None:
        """Before the process exits at once: end the processes a task started, queue the
        interrupted tasks again and give up the leases."""
        self.request_stop()
        stop_children()
        interrupted = [worker.current for worker in self.workers if worker.current]
        DBTaskResult.objects.filter(id__in=interrupted, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY
        )
        leases.release(worker.worker_id for worker in self.workers)

    def wait(self) -> None:
        """Until every queue's thread has stopped (after ``request_stop``)."""
        for thread in self.threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
        self.stop.set()
        self.keeper.join(timeout=30)


def quiet(verbosity: int) -> None:
    """At normal verbosity, log the tasks' failures, not every task's progress."""
    level = {0: logging.CRITICAL, 1: logging.WARNING}.get(verbosity, logging.DEBUG)
    for name in (TASKS_LOGGER, "django_tasks_db"):
        logging.getLogger(name).setLevel(level)
