"""System checks: a payment provider half-configured takes money it cannot record."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register


@register()
def providers_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    found = []
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        found.append(
            Warning(
                "SAMIZDAT_STRIPE_SECRET_KEY is set but SAMIZDAT_STRIPE_WEBHOOK_SECRET is not: "
                "Stripe is not offered to readers, because gifts could not be recorded.",
                id="samizdat.donations.W001",
            )
        )
    btcpay = [
        settings.BTCPAY_URL,
        settings.BTCPAY_API_KEY,
        settings.BTCPAY_STORE_ID,
        settings.BTCPAY_WEBHOOK_SECRET,
    ]
    if any(btcpay) and not all(btcpay):
        found.append(
            Warning(
                "BTCPay is partly configured: set SAMIZDAT_BTCPAY_URL, _API_KEY, _STORE_ID "
                "and _WEBHOOK_SECRET, or none of them. It is not offered to readers until then.",
                id="samizdat.donations.W002",
            )
        )
    return found
