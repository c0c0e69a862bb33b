"""Stripe: Checkout for one-off and recurring gifts, the Billing portal to change or cancel
them, signed webhooks, and Payment Links for readers who cannot reach the app."""

from __future__ import annotations

from samizdat.donations.providers.stripe.provider import StripeProvider

provider = StripeProvider()
