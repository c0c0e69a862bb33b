"""Wire the newsletter to the rest: its pages after migrate, mail services' tracking events,
and the archive's pages when a story in a sent edition, or an edition, changes."""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import tracking
from django.db.models.signals import post_delete, post_migrate
from django.dispatch import receiver
from wagtail.signals import page_published

from samizdat.core.signals import announce_change
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.models import ArticlePage

logger = logging.getLogger(__name__)


@receiver(page_published, sender=ArticlePage, dispatch_uid="samizdat-newsletter-story-changed")
def _story_changed(sender: Any, instance: ArticlePage, **kwargs: Any) -> None:
    """A sent edition's page shows its stories' headlines and standfirsts as they are now: a
    correction changes those pages too."""
    from samizdat.newsletter.actions import archive_paths

    sent = EditionItem.objects.filter(
        article_id=instance.pk, edition__status=Edition.Status.SENT
    ).values_list("edition_id", flat=True)
    editions = list(sent.distinct())
    if editions:
        language = instance.locale.language_code
        announce_change(Edition, archive_paths(language=language, edition_ids=editions))


@receiver(post_delete, sender=Edition, dispatch_uid="samizdat-newsletter-edition-deleted")
def _edition_deleted(sender: Any, instance: Edition, **kwargs: Any) -> None:
    """A sent edition taken down leaves the archive on every copy."""
    from samizdat.newsletter.actions import archive_paths

    if instance.status == Edition.Status.SENT:
        paths = archive_paths(language=instance.language, edition_ids=[instance.pk])
        announce_change(Edition, paths)


@receiver(post_migrate, dispatch_uid="samizdat-newsletter-pages")
def _ensure_pages(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", "") == "newsletter" and using == "default":
        from samizdat.newsletter.actions import ensure_newsletter_pages

        ensure_newsletter_pages()


@receiver(tracking, dispatch_uid="samizdat-newsletter-tracking")
def _tracking_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    from samizdat.core.addresses import email_or_empty
    from samizdat.newsletter import actions
    from samizdat.newsletter.models import Subscriber

    kind = {"bounced": "bounced", "complained": "complained", "rejected": "rejected"}.get(
        event.event_type
    )
    if kind and event.recipient:
        raw = event.esp_event if isinstance(event.esp_event, dict) else {}
        actions.record_bounce(
            email=event.recipient,
            kind=kind,
            detail=f"{esp_name}: {event.description or event.reject_reason or ''}",
            message_id=str(event.message_id or ""),
            # Postmark reports a full mailbox it gave up on as a bounce; it is not a reason
            # to stop writing to the address for good.
            permanent=raw.get("Type") != "SoftBounce",
        )
    elif event.event_type == "unsubscribed" and email_or_empty(event.recipient or ""):
        address = email_or_empty(event.recipient)
        subscriber = Subscriber.objects.filter(email=address).first()
        if subscriber is not None:
            actions.unsubscribe(subscriber_id=subscriber.pk)
    else:
        logger.debug("%s event %s ignored", esp_name, event.event_type)
