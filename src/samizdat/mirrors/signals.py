"""Keep the static bundle current: every change readers can see queues a (re)build."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from samizdat.mirrors import tasks

_paused = threading.local()


@contextmanager
def paused() -> Iterator[None]:
    """Queue nothing while many pages are written at once (seeding the demo): the worker
    builds the whole bundle when it starts."""
    _paused.on = True
    try:
        yield
    finally:
        _paused.on = False


def _wanted() -> bool:
    return settings.BUNDLE_AUTO_BUILD and not getattr(_paused, "on", False)


def _rebake(page_ids: list[int]) -> None:
    if _wanted():
        asked = time.time()
        transaction.on_commit(lambda: tasks.rebake.enqueue(page_ids=page_ids, requested_at=asked))


def _build(**kwargs: Any) -> None:
    if _wanted():
        asked = time.time()
        transaction.on_commit(lambda: tasks.build.enqueue(requested_at=asked))


def _published(sender: Any, instance: Page, **kwargs: Any) -> None:
    _rebake([instance.pk])


def _deleted(sender: Any, instance: Page, **kwargs: Any) -> None:
    if instance.live:
        _build()


def connect() -> None:
    from samizdat.core.public_forms import forget_mirror_origins
    from samizdat.donations.models import DonationSettings, PaymentLink
    from samizdat.mirrors.models import Mirror
    from samizdat.newsletter.signals import edition_sent

    page_published.connect(_published, dispatch_uid="samizdat-bundle-published")
    # A story withdrawn (or deleted, which withdraws it first) leaves no trace anywhere: its
    # images, listings, feeds and the "Read more" of later stories. Rare; everything is redone.
    page_unpublished.connect(_build, dispatch_uid="samizdat-bundle-unpublished")
    post_delete.connect(_deleted, sender=Page, dispatch_uid="samizdat-bundle-deleted")
    # A page at a new address: every link to it changes.
    page_slug_changed.connect(_build, dispatch_uid="samizdat-bundle-slug")
    post_page_move.connect(_build, dispatch_uid="samizdat-bundle-moved")
    # A page made private must leave the public copy (restricted pages are never in it).
    for signal in (post_save, post_delete):
        signal.connect(
            _build, sender=PageViewRestriction, dispatch_uid=f"samizdat-bundle-r{signal!r}"
        )
    # What every page shows (the mirror list in the footer, the appeal and its payment links),
    # and the newsletter archive.
    for model in (Mirror, DonationSettings, PaymentLink):
        for signal in (post_save, post_delete):
            signal.connect(
                _build, sender=model, dispatch_uid=f"samizdat-bundle-{model.__name__}{signal!r}"
            )
    edition_sent.connect(_build, dispatch_uid="samizdat-bundle-edition-sent")
    # Reader forms accept posts from the public mirrors' origins, cached briefly.
    for signal in (post_save, post_delete):
        signal.connect(
            forget_mirror_origins, sender=Mirror, dispatch_uid=f"samizdat-origins{signal!r}"
        )
