"""The site the property tests send requests to: a small newsroom with its newsletter pages,
the appeal with a bank account, and every payment provider configured against a local
stand-in of its API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from samizdat.donations.appeal import forget as forget_appeal
from samizdat.donations.models import AppealCurrency
from samizdat.newsletter.actions import ensure_newsletter_pages
from tests.donations import btcpay_server, stripe_server

MAILGUN_SIGNING_KEY = "key-mailgun-webhook-signing-0123456789"
MAIL_WEBHOOK_AUTH = "anymail:s3cret-webhook-pass"


@pytest.fixture
def stripe_api(settings: Any) -> Iterator[stripe_server.FakeStripe]:
    server = stripe_server.FakeStripe().start()
    settings.STRIPE_SECRET_KEY = stripe_server.API_KEY
    settings.STRIPE_WEBHOOK_SECRET = stripe_server.WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server.base_url
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    settings.DONATIONS_PROVIDER_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def btcpay(settings: Any) -> Iterator[btcpay_server.BTCPayServer]:
    server = btcpay_server.BTCPayServer().start()
    settings.BTCPAY_URL = server.url
    settings.BTCPAY_API_KEY = btcpay_server.API_KEY
    settings.BTCPAY_STORE_ID = btcpay_server.STORE_ID
    settings.BTCPAY_WEBHOOK_SECRET = btcpay_server.WEBHOOK_SECRET
    settings.DONATIONS_PROVIDER_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def public_site(newsroom: dict[str, Any]) -> dict[str, Any]:
    """The newsroom, with the newsletter's pages."""
    ensure_newsletter_pages()
    return newsroom


@pytest.fixture
def bank_account(db: Any) -> AppealCurrency:
    """EUR gifts can be made by bank transfer."""
    row = AppealCurrency.objects.get(code="EUR")
    row.bank_details = "The Lantern Media e.V.\nIBAN DE00 1234 5678 9012 3456 78\nBIC TESTDEFF"
    row.save()
    forget_appeal()
    return row


@pytest.fixture
def providers(
    public_site: dict[str, Any],
    stripe_api: stripe_server.FakeStripe,
    btcpay: btcpay_server.BTCPayServer,
    bank_account: AppealCurrency,
) -> dict[str, Any]:
    """Stripe, BTCPay and bank transfers all configured (the demo needs debug mode)."""
    return {"stripe": stripe_api, "btcpay": btcpay}


@pytest.fixture
def mail_webhooks(settings: Any) -> None:
    settings.ANYMAIL = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
        "WEBHOOK_SECRET": MAIL_WEBHOOK_AUTH,
    }
