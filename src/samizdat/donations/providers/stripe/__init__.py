"""Stripe: Checkout, the Billing portal, signed webhooks and Payment Links."""

from __future__ import annotations

from samizdat.donations.providers.stripe.provider import StripeProvider

provider = StripeProvider()
