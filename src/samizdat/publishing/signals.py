"""Keep cached navigation in step with what editors publish."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from wagtail.signals import page_published, page_unpublished


def _page_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import SectionPage, forget_navigation

    instance = kwargs.get("instance")
    if isinstance(instance, SectionPage):
        forget_navigation()


def connect() -> None:
    from samizdat.publishing.models import SectionPage

    for signal in (page_published, page_unpublished):
        signal.connect(_page_changed, sender=SectionPage, dispatch_uid=f"samizdat-nav-{signal!r}")
    post_delete.connect(_page_changed, sender=SectionPage, dispatch_uid="samizdat-nav-delete")
