"""Keep the static bundle current: every change readers can see queues a (re)build."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.signals import page_unpublished

from samizdat.core.signals import announce_change, public_site_changed
from samizdat.mirrors import state, tasks
from samizdat.mirrors.models import BundleTakedown, Mirror, forget_public_origins

TAKEDOWN_PRIORITY = 50  # ahead of every other task: a page taken down vanishes first


@receiver(public_site_changed, dispatch_uid="samizdat-bundle-site-changed")
def _site_changed(sender: Any, paths: list[str] | None = None, **kwargs: Any) -> None:
    """Re-render the paths that changed, or everything (a withdrawn story leaves nothing
    behind: its images, listings, feeds and the "Read more" of later stories)."""
    if not settings.BUNDLE_AUTO_BUILD:
        return
    if paths is None:
        tasks.queue_full_build()
    elif paths:
        tasks.rebake.enqueue(paths=paths, requested_at=state.db_now().timestamp())


@receiver(page_unpublished, dispatch_uid="samizdat-bundle-takedown")
def _taken_down(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A page unpublished vanishes from the bundle, its bucket and the mirror targets within
    seconds: a takedown recorded with the unpublication (a full build running meanwhile
    leaves it out) and a rebake of the page's own addresses ahead of other tasks. The full
    build the withdrawal also asks for cleans up the rest (listings, feeds) later."""
    if not settings.BUNDLE_AUTO_BUILD:
        return
    page = instance.specific
    public_paths = getattr(page, "public_paths", None)
    paths = list(public_paths()) if callable(public_paths) else []
    if not paths:
        return
    BundleTakedown.objects.create(paths=paths)

    def enqueue() -> None:
        asked = state.db_now().timestamp()
        tasks.rebake.using(priority=TAKEDOWN_PRIORITY).enqueue(paths=paths, requested_at=asked)

    transaction.on_commit(enqueue)


@receiver(post_save, sender=Mirror, dispatch_uid="samizdat-mirror-saved")
@receiver(post_delete, sender=Mirror, dispatch_uid="samizdat-mirror-deleted")
def _mirror_changed(**kwargs: Any) -> None:
    # Reader forms accept posts from the public mirrors' origins (forgotten now, and again once
    # committed, so no request caches the list in between), and the mirrors pages list them.
    forget_public_origins()
    transaction.on_commit(forget_public_origins)
    announce_change(Mirror)
