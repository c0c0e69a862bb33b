from __future__ import annotations

from typing import Any

import pytest

from samizdat.donations import appeal
from samizdat.donations.models import AppealCurrency


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
