"""Stripe Payment Links for the suggested amounts, for readers who cannot reach the app.

A Payment Link is a page of Stripe's own, so it works as long as Stripe does. Each link has
its own Product and Price; their metadata marks them as ours, so the webhook records what is
paid through them (``provider.py``). ``samizdat donations payment-links`` decides which links
should exist (``donations/payment_links.py``); this module makes one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import stripe
from django.conf import settings

from samizdat.donations.providers.base import Frequency, LinkSpec, MadeLink
from samizdat.donations.providers.stripe import units
from samizdat.donations.providers.stripe.provider import (
    INTERVAL,
    LINK_MARKER,
    _links_error,
    _product_name,
)

logger = logging.getLogger(__name__)


def create(client: stripe.StripeClient, spec: LinkSpec) -> MadeLink:
    """A Product, a Price and a Payment Link for one amount; ProviderError if Stripe fails.

    Stripe's idempotency keys (made from what is asked) give back the same objects if a run
    stopped between Stripe's answer and our record.
    """
    try:
        return _create(client, spec)
    except stripe.StripeError as error:
        raise _links_error(error) from None


def _create(client: stripe.StripeClient, spec: LinkSpec) -> MadeLink:
    metadata = {
        **LINK_MARKER,
        "frequency": spec.frequency,
        "currency": spec.currency,
        "language": spec.language,
    }
    product_params: dict[str, Any] = {
        "name": _product_name(spec.frequency, spec.language),
        "metadata": metadata,
    }
    product = client.v1.products.create(product_params, _once(product_params))  # type: ignore[arg-type]
    price_params: dict[str, Any] = {
        "product": product.id,
        "currency": spec.currency.lower(),
        "unit_amount": units.to_stripe(spec.amount, spec.currency),
        "metadata": metadata,
    }
    if spec.frequency != Frequency.ONCE:
        price_params["recurring"] = {"interval": INTERVAL[spec.frequency]}
    price = client.v1.prices.create(price_params, _once(price_params))  # type: ignore[arg-type]
    thanks = f"{settings.SITE_URL}/donate/thanks/?language={spec.language}"
    link_params: dict[str, Any] = {
        "line_items": [{"price": price.id, "quantity": 1}],
        "after_completion": {"type": "redirect", "redirect": {"url": thanks}},
        "metadata": metadata,
    }
    if spec.frequency == Frequency.ONCE:
        link_params["submit_type"] = "donate"
        link_params["payment_intent_data"] = {"metadata": metadata}
    else:
        link_params["subscription_data"] = {"metadata": metadata}
    link = client.v1.payment_links.create(link_params, _once(link_params))  # type: ignore[arg-type]
    logger.info(
        "stripe payment link %s for %s %s %s", link.id, spec.amount, spec.currency, spec.frequency
    )
    return MadeLink(link_id=str(link.id), url=str(link.url), price_id=str(price.id))


def _once(params: dict[str, Any]) -> dict[str, str]:
    """Request options with an idempotency key made from the request itself."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:40]
    return {"idempotency_key": f"samizdat-link-{digest}"}
