"""Bank transfer: the reader gets the newsroom's account details and a reference; staff mark
the gift received in the admin when the money arrives."""

from __future__ import annotations

from samizdat.donations.providers.bank.provider import BankTransferProvider

provider = BankTransferProvider()
