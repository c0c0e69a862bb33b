"""BTCPay Server, through its Greenfield API: one-off gifts in bitcoin and other crypto."""

from __future__ import annotations

from samizdat.donations.providers.btcpay.provider import BTCPayProvider

provider = BTCPayProvider()
