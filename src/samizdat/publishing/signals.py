"""Keep cached navigation and view-restriction flags in step with what editors change."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished


def _page_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import SectionPage, forget_navigation

    instance = kwargs.get("instance")
    if isinstance(instance, SectionPage):
        forget_navigation()


def _restrictions_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import forget_view_restrictions

    forget_view_restrictions()


def connect() -> None:
    from wagtail.models import PageViewRestriction

    from samizdat.publishing.models import SectionPage

    for model_signal in (post_save, post_delete):
        model_signal.connect(
            _restrictions_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"samizdat-pvr-{model_signal!r}",
        )

    for signal in (page_published, page_unpublished):
        signal.connect(_page_changed, sender=SectionPage, dispatch_uid=f"samizdat-nav-{signal!r}")
    post_delete.connect(_page_changed, sender=SectionPage, dispatch_uid="samizdat-nav-delete")
