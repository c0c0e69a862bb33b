"""Tasks the worker tests queue: each notes in a file of the data folder when it starts and
ends, so that a test sees what ran, how often, even in a worker process killed mid-task."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django_tasks import task


def journal() -> Path:
    return Path(settings.DATA_DIR) / "tasks.log"


def note(line: str) -> None:
    with journal().open("a") as handle:
        handle.write(line + "\n")


def started(name: str) -> int:
    """How many times task ``name`` started so far."""
    if not journal().exists():
        return 0
    return journal().read_text().splitlines().count(f"start {name}")


def _work(name: str, seconds: float) -> str:
    """Start; the first time, hold the queue for up to ``seconds`` (or until a file
    ``release`` appears in the data folder); end."""
    first = started(name) == 0
    note(f"start {name}")
    release = Path(settings.DATA_DIR) / "release"
    deadline = time.monotonic() + seconds
    while first and time.monotonic() < deadline and not release.exists():
        time.sleep(0.05)
    note(f"end {name}")
    return name


@task(queue_name="default")
def publishing_work(*, name: str, seconds: float) -> str:
    return _work(name, seconds)


@task(queue_name="bundle")
def long_build(*, name: str, seconds: float) -> str:
    return _work(name, seconds)
