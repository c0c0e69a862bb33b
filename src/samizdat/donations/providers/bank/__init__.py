"""Bank transfer: account details and a reference; staff mark the gift received."""

from __future__ import annotations

from samizdat.donations.providers.bank.provider import BankTransferProvider

provider = BankTransferProvider()
