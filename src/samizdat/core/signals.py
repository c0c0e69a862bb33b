"""The one signal apps send when what readers see changed, and core's own receivers.

An app whose change shows on public pages calls ``announce_change``: after the transaction
commits, ``public_site_changed`` goes out with the public paths that may have changed (or
``None``: any page may have, e.g. a story was withdrawn or the appeal every page shows was
edited). Whoever keeps copies of the public site (the static bundle, a CDN) listens; no sender
knows who.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver
from wagtail.models import Site

from samizdat.core import appearance, crypto
from samizdat.core.middleware import forget_cached_sites
from samizdat.core.models import Appearance

logger = logging.getLogger(__name__)

# Sent with ``paths``: a list of public paths (``/en/news/``, ``/sitemap.xml``) that may now
# look different or be gone, or None when any page may have changed.
public_site_changed = Signal()

Paths = Iterable[str] | None

_paused = threading.local()


@contextmanager
def paused() -> Iterator[None]:
    """Announce nothing while many pages are written at once (seeding the demo): whoever
    keeps copies rebuilds them whole afterwards."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def announce_change(sender: Any, paths: Paths | Callable[[], Paths] = None) -> None:
    """Once the current transaction commits, tell listeners which public paths changed
    (None: possibly all of them). ``paths`` may be a function that says: it is asked after
    the commit, off the editor's transaction, and a failure there means "all of them"."""
    if getattr(_paused, "on", False):
        return
    transaction.on_commit(lambda: _send(sender, paths))


def _send(sender: Any, paths: Paths | Callable[[], Paths]) -> None:
    if callable(paths):
        try:
            paths = paths()
        except Exception:
            logger.exception("the paths a change touched are unknown; announcing all of them")
            paths = None
    changed = None if paths is None else list(dict.fromkeys(paths))
    # What happened has happened: a listener that fails is logged, and the others still hear.
    for listener, outcome in public_site_changed.send_robust(sender=sender, paths=changed):
        if isinstance(outcome, Exception):
            logger.error("%s failed on a change of the public site", listener, exc_info=outcome)


@receiver(post_save, sender=Site, dispatch_uid="samizdat-site-saved")
@receiver(post_delete, sender=Site, dispatch_uid="samizdat-site-deleted")
def _site_changed(**kwargs: Any) -> None:
    forget_cached_sites()


@receiver(setting_changed, dispatch_uid="samizdat-data-keys-changed")
def _data_keys_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"DATA_KEY", "DATA_KEYS_OLD", "LOOKUP_KEY"}:
        crypto.forget_keys()


@receiver(post_save, sender=Appearance, dispatch_uid="samizdat-appearance-saved")
@receiver(post_delete, sender=Appearance, dispatch_uid="samizdat-appearance-deleted")
def _appearance_changed(sender: Any, **kwargs: Any) -> None:
    appearance.forget()
    announce_change(sender)  # every page shows the masthead and uses the stylesheet
