"""React to editors' changes: cached navigation, view-restriction flags, translated bylines."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import (
    copy_for_translation_done,
    page_published,
    page_unpublished,
    post_page_move,
)


def _page_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import SectionPage, forget_navigation

    instance = kwargs.get("instance")
    if isinstance(getattr(instance, "specific", instance), SectionPage):
        transaction.on_commit(forget_navigation)


def _policy_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import forget_privacy_policy

    transaction.on_commit(forget_privacy_policy)


def _restrictions_changed(sender: Any, **kwargs: Any) -> None:
    from samizdat.publishing.models import forget_view_restrictions

    transaction.on_commit(forget_view_restrictions)


def _translation_copied(sender: Any, target_obj: Any = None, **kwargs: Any) -> None:
    from samizdat.publishing.actions import use_translated_authors
    from samizdat.publishing.models import ArticlePage

    page = getattr(target_obj, "specific", target_obj)
    if isinstance(page, ArticlePage):
        use_translated_authors(page)


def connect() -> None:
    from wagtail.models import PageViewRestriction

    from samizdat.publishing.models import PrivacyPolicyPage, SectionPage

    for model_signal in (post_save, post_delete):
        model_signal.connect(
            _restrictions_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"samizdat-pvr-{model_signal!r}",
        )

    for signal in (page_published, page_unpublished):
        signal.connect(_page_changed, sender=SectionPage, dispatch_uid=f"samizdat-nav-{signal!r}")
        signal.connect(
            _policy_changed, sender=PrivacyPolicyPage, dispatch_uid=f"samizdat-policy-{signal!r}"
        )
    post_page_move.connect(_page_changed, dispatch_uid="samizdat-nav-moved")
    post_page_move.connect(_policy_changed, dispatch_uid="samizdat-policy-moved")
    post_delete.connect(_page_changed, sender=SectionPage, dispatch_uid="samizdat-nav-delete")
    copy_for_translation_done.connect(
        _translation_copied, dispatch_uid="samizdat-translated-authors"
    )
