"""The site the property tests send requests to: a small newsroom with its newsletter pages,
the appeal with a bank account, and every payment provider configured against a local
stand-in of its API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from samizdat.newsletter.actions import ensure_newsletter_pages
from tests.donations.btcpay_server import API_KEY, STORE_ID, WEBHOOK_SECRET, BTCPayServer
from tests.donations.conftest import bank_account, stripe_api
from tests.donations.stripe_server import FakeStripe

__all__ = ["bank_account", "stripe_api"]

MAILGUN_SIGNING_KEY = "key-mailgun-webhook-signing-0123456789"
MAIL_WEBHOOK_AUTH = "anymail:s3cret-webhook-pass"


@pytest.fixture
def btcpay(settings: Any) -> Iterator[BTCPayServer]:
    server = BTCPayServer().start()
    settings.BTCPAY_URL = server.url
    settings.BTCPAY_API_KEY = API_KEY
    settings.BTCPAY_STORE_ID = STORE_ID
    settings.BTCPAY_WEBHOOK_SECRET = WEBHOOK_SECRET
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
def providers(
    public_site: dict[str, Any], stripe_api: FakeStripe, btcpay: BTCPayServer, bank_account: Any
) -> dict[str, Any]:
    """Stripe, BTCPay and bank transfers all configured (the demo needs debug mode)."""
    return {"stripe": stripe_api, "btcpay": btcpay}


@pytest.fixture
def mail_webhooks(settings: Any) -> None:
    settings.ANYMAIL = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_SIGNING_KEY,
        "WEBHOOK_SECRET": MAIL_WEBHOOK_AUTH,
    }
