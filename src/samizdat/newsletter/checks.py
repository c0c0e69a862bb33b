"""Deployment checks of the newsletter's configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def mail_is_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.EMAIL_BACKEND.endswith("OutboxBackend"):
        return [
            Warning(
                "No mail server is configured: confirmations and newsletters are written to "
                f"{settings.EMAIL_OUTBOX_DIR} instead of being sent.",
                hint="Set SAMIZDAT_EMAIL_URL (see README: Configuration).",
                id="samizdat.W001",
            )
        ]
    if settings.EMAIL_BACKEND.startswith("anymail.") and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return [
            Warning(
                "Bounce and complaint webhooks are off: without a shared secret anyone could "
                "report any address as bounced.",
                hint="Set SAMIZDAT_ANYMAIL_WEBHOOK_SECRET=user:password and give the mail "
                "service https://user:password@<site>/webhooks/mail/<service>/.",
                id="samizdat.W002",
            )
        ]
    return []
