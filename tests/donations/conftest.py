from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from samizdat.donations import appeal
from samizdat.donations.models import AppealCurrency
from tests.donations.stripe_server import API_KEY, WEBHOOK_SECRET, FakeStripe


@pytest.fixture
def demo_provider(settings: Any, db: Any) -> None:
    """The demo provider, as `make demo` runs it (it only exists with DEBUG on)."""
    settings.DEBUG = True
    settings.DONATIONS_DEMO = True


@pytest.fixture
def bank_account(db: Any) -> AppealCurrency:
    """EUR gifts can be made by bank transfer to this account."""
    row = AppealCurrency.objects.get(code="EUR")
    row.bank_details = "The Lantern Media e.V.\nIBAN DE00 1234 5678 9012 3456 78\nBIC TESTDEFF"
    row.save()
    appeal.forget()
    return row


@pytest.fixture
def stripe_api(settings: Any) -> Iterator[FakeStripe]:
    """Stripe configured, its API answered by a local server."""
    server = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = API_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server.base_url
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    settings.DONATIONS_PROVIDER_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()
