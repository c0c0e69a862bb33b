"""What happens to mirrors on a schedule: the periodic full build and check against the bundle."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.db.models import Q

from samizdat.core.periodic import claim_period
from samizdat.mirrors.check import BundleUnavailable, check_all
from samizdat.mirrors.models import Mirror

logger = logging.getLogger(__name__)
MIRROR_CHECK_PERIOD = "mirrors.check"
BUNDLE_BUILD_PERIOD = "mirrors.full-build"


def build_bundle_when_due() -> bool:
    """Queue a full build of the bundle when none was queued for BUNDLE_FULL_BUILD_HOURS (or
    ever, by any worker: ``core.periodic``): publishing keeps it current, and the full build makes it whole
    again after whatever the incremental path cannot see (a tag taken off a story, a file
    removed by hand). True when a build was queued."""
    hours = settings.BUNDLE_FULL_BUILD_HOURS
    if not settings.BUNDLE_AUTO_BUILD or hours <= 0:
        return False
    if not claim_period(BUNDLE_BUILD_PERIOD, hours * 3600):
        return False
    from samizdat.mirrors import tasks

    tasks.queue_full_build()
    return True


def claim_mirror_check(*, now: datetime) -> bool:
    """Whether this worker should check the mirrors now: some Mirror was not checked for
    MIRROR_CHECK_HOURS and no worker has started a check within that time (``core.periodic``,
    by the database's clock).

    Costs one query, and claims nothing, while nothing is due (or there are no mirrors).
    """
    hours = settings.MIRROR_CHECK_HOURS
    if hours <= 0:
        return False
    period = timedelta(hours=hours)
    due = Mirror.objects.filter(Q(last_checked_at=None) | Q(last_checked_at__lte=now - period))
    if not due.exists():
        return False
    # Claimed for the whole period: a check that fails or finds no bundle is not retried sooner.
    return claim_period(MIRROR_CHECK_PERIOD, period.total_seconds())


def check_stored_mirrors(*, now: datetime) -> bool:
    """Check every Mirror against the bundle, storing the results, and log what is wrong;
    False when there is no bundle to compare with."""
    try:
        results = check_all(
            now=now, bundle_dir=settings.BUNDLE_DIR, sample=settings.MIRROR_CHECK_SAMPLE
        )
    except BundleUnavailable as error:
        logger.warning("mirrors not checked: %s", error)
        return False
    for mirror, result in results:
        if not result.ok:
            logger.warning("mirror %s is %s: %s", mirror.url, result.status, result.summary)
    logger.info("checked %s mirror(s)", len(results))
    return True


def check_mirrors_when_due(*, now: datetime) -> bool:
    """Check the stored mirrors if that is due (see claim_mirror_check); True when they were."""
    return claim_mirror_check(now=now) and check_stored_mirrors(now=now)


_checking: threading.Thread | None = None


def _check_in_background(now: datetime) -> None:
    try:
        check_stored_mirrors(now=now)
    except Exception:
        logger.exception(
            "checking the mirrors failed; next try in %s h", settings.MIRROR_CHECK_HOURS
        )
    finally:
        connections.close_all()  # this thread's own connections


def start_mirror_check(*, now: datetime) -> bool:
    """When a check is due (see claim_mirror_check), check the mirrors in a thread of its own,
    so a slow mirror never holds up the worker's other jobs; True when one started."""
    global _checking
    if _checking is not None and _checking.is_alive():
        return False
    if not claim_mirror_check(now=now):
        return False
    _checking = threading.Thread(
        target=_check_in_background, args=(now,), name="mirror-check", daemon=True
    )
    _checking.start()
    return True
