"""Wire the newsletter to the rest: its pages after migrate, mail services' tracking events."""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import tracking
from django.db.models.signals import post_migrate
from django.dispatch import receiver

logger = logging.getLogger(__name__)


@receiver(post_migrate, dispatch_uid="samizdat-newsletter-pages")
def _ensure_pages(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if getattr(sender, "label", "") == "newsletter" and using == "default":
        from samizdat.newsletter.actions import ensure_newsletter_pages

        ensure_newsletter_pages()


@receiver(tracking, dispatch_uid="samizdat-newsletter-tracking")
def _tracking_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
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
    elif event.event_type == "unsubscribed" and event.recipient:
        subscriber = Subscriber.objects.filter(email__iexact=event.recipient).first()
        if subscriber is not None:
            actions.unsubscribe(subscriber_id=subscriber.pk)
    else:
        logger.debug("%s event %s ignored", esp_name, event.event_type)
