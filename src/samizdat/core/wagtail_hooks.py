"""What core itself does on the worker's schedule."""

from __future__ import annotations

import datetime

from wagtail import hooks

from samizdat.core.hooks import PERIODIC_JOBS
from samizdat.core.public_forms import forget_expired_counts


@hooks.register(PERIODIC_JOBS)
def forget_rate_counts(now: datetime.datetime) -> None:
    forget_expired_counts(now.timestamp())
