"""Periodic jobs that exactly one process runs each period, agreed in the database.

Every worker process runs the apps' periodic jobs each round (``hooks.PERIODIC_JOBS``); a job
that must happen once per period, whichever machine does it (publishing scheduled pages,
checking the mirrors, queueing the daily full build), first calls ``claim_period``. The claim
is one conditional UPDATE (or the first INSERT) of its ``PeriodicRun`` row that compares with
the database's clock, so clocks of machines never disagree and a restarted process, or one
with no Redis, knows what the others did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper
from django.db.models.functions import Now

from samizdat.core.models import PeriodicRun


def claim_period(name: str, seconds: float) -> bool:
    """Whether this process runs job ``name`` now: True for exactly one caller when the job
    has never run or last started at least ``seconds`` ago (by the database's clock); that
    caller's claim starts the new period."""
    due = ExpressionWrapper(Now() - timedelta(seconds=seconds), output_field=DateTimeField())
    with transaction.atomic():
        if PeriodicRun.objects.filter(name=name, last_run__lte=due).update(last_run=Now()):
            return True
    if PeriodicRun.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            PeriodicRun.objects.create(name=name, last_run=Now())
    except IntegrityError:  # another process inserted it first: its period
        return False
    return True


def last_run(name: str) -> datetime | None:
    """When job ``name`` last started anywhere, or None if never."""
    return PeriodicRun.objects.filter(name=name).values_list("last_run", flat=True).first()


def forget_period(name: str) -> None:
    """Let job ``name`` run again at the next claim, whenever it last ran (an operator's
    "now", a test)."""
    PeriodicRun.objects.filter(name=name).delete()
