"""Keep the static bundle current: every change readers can see queues a (re)build."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_slug_changed, page_unpublished, post_page_move

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
    _take_down(lambda: _paths([instance.specific]))


@receiver(post_save, sender=PageViewRestriction, dispatch_uid="samizdat-bundle-restricted")
def _made_private(sender: Any, instance: PageViewRestriction, **kwargs: Any) -> None:
    """A page made private (and the pages under it) leaves every copy like an unpublished one."""
    page = instance.page
    _take_down(lambda: _paths([page.specific, *page.get_descendants().live().specific()]))


@receiver(post_page_move, dispatch_uid="samizdat-bundle-moved")
def _moved(
    sender: Any, instance: Page, url_path_before: str, url_path_after: str, **kwargs: Any
) -> None:
    """The old addresses of a page moved elsewhere (and of the pages under it) leave every
    copy at once; the new ones come with the full build the move asks for."""
    if url_path_before != url_path_after:
        _take_down(lambda: _old_paths(instance, url_path_before, url_path_after))


@receiver(page_slug_changed, dispatch_uid="samizdat-bundle-renamed")
def _renamed(sender: Any, instance: Page, instance_before: Page, **kwargs: Any) -> None:
    """The same for a page whose address changed with its slug."""
    if instance_before.url_path != instance.url_path:
        _take_down(lambda: _old_paths(instance, instance_before.url_path, instance.url_path))


def _old_paths(page: Page, before: str, after: str) -> list[str]:
    """The public addresses ``page`` and the live pages under it had at ``before``."""
    moved = []
    for each in [page, *Page.objects.live().descendant_of(page).specific()]:
        old = copy.copy(each.specific)
        if old.url_path.startswith(after):  # else its path is not updated yet: the old one
            old.url_path = before + old.url_path[len(after) :]
        moved.append(old)
    return _paths(moved)


def _paths(pages: list[Any]) -> list[str]:
    """The public addresses of these pages (specific ones: they know their sub-pages)."""
    paths: list[str] = []
    for page in pages:
        public_paths = getattr(page, "public_paths", None)
        if callable(public_paths):
            paths += public_paths()
    return list(dict.fromkeys(paths))


def _take_down(paths_of: Callable[[], list[str]]) -> None:
    """Record a takedown of the addresses ``paths_of()`` lists and rebake them, once committed,
    ahead of every other task: the rebake removes their files whatever they answer by then.
    Without a bundle kept up to date, nothing is listed (that reads the database)."""
    if not settings.BUNDLE_AUTO_BUILD or not (paths := paths_of()):
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
