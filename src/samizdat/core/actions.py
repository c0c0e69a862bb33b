"""Erasing a person everywhere: what each app registers under ``hooks.ERASERS``, in one
transaction, recorded in the audit log with who did it and how many records, never whom."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext
from wagtail.models import Site

from samizdat.core import hooks
from samizdat.core.audit import log_without_whom
from samizdat.core.hooks import ErasureRefused

logger = logging.getLogger(__name__)

LOG_ERASE_PERSON = "samizdat.erase_person"


def may_erase_people(user: Any) -> bool:
    """Erasing a person needs the permission of every app that keeps something about them."""
    found = hooks.erasers()
    return bool(found) and all(eraser.permitted(user) for eraser in found)


def count_person(*, email: str) -> list[tuple[hooks.Eraser, dict[str, int], str]]:
    """For each app: what it keeps about the person at ``email`` (kind → number) and why it
    could not be erased now ("" if it can)."""
    return [
        (eraser, dict(eraser.count(email)), eraser.refusal(email)) for eraser in hooks.erasers()
    ]


@transaction.atomic
def erase_person(*, email: str, user: Any = None) -> dict[str, int]:
    """Erase what every app keeps about the person at ``email``, all or nothing.

    ErasureRefused (nothing erased) when an app cannot erase them now. The audit log records
    who did it and the counts (``user``: who asked), never the address."""
    erased: dict[str, int] = {}
    for eraser in hooks.erasers():
        reason = eraser.refusal(email)
        if reason:
            raise ErasureRefused(reason)
        for kind, number in eraser.erase(email).items():
            erased[kind] = erased.get(kind, 0) + number
    log_without_whom(
        Site, LOG_ERASE_PERSON, user=user, data=erased, title=gettext("a person erased")
    )
    logger.info("erased a person on request: %s records", sum(erased.values()))
    return erased
