"""Keep the static bundle current: every change readers can see queues a (re)build."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from samizdat.core.signals import announce_change, public_site_changed
from samizdat.mirrors import tasks
from samizdat.mirrors.models import Mirror, forget_public_origins


@receiver(public_site_changed, dispatch_uid="samizdat-bundle-site-changed")
def _site_changed(sender: Any, paths: list[str] | None = None, **kwargs: Any) -> None:
    """Re-render the paths that changed, or everything (a withdrawn story leaves nothing
    behind: its images, listings, feeds and the "Read more" of later stories)."""
    if not settings.BUNDLE_AUTO_BUILD:
        return
    asked = time.time()
    if paths is None:
        tasks.build.enqueue(requested_at=asked)
    elif paths:
        tasks.rebake.enqueue(paths=paths, requested_at=asked)


@receiver(post_save, sender=Mirror, dispatch_uid="samizdat-mirror-saved")
@receiver(post_delete, sender=Mirror, dispatch_uid="samizdat-mirror-deleted")
def _mirror_changed(**kwargs: Any) -> None:
    # Reader forms accept posts from the public mirrors' origins (forgotten now, and again once
    # committed, so no request caches the list in between), and the mirrors pages list them.
    forget_public_origins()
    transaction.on_commit(forget_public_origins)
    announce_change(Mirror)
