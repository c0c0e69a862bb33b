"""The demo provider, for ``make demo``: a checkout where no money moves.

It feeds the same webhook path real providers use, and never works with debug off.
"""

from __future__ import annotations

from samizdat.donations.providers.demo.provider import (
    SALT,
    SIGNATURE_HEADER,
    DemoProvider,
    event_body,
    read_checkout_token,
    read_manage_token,
    sign,
)

provider = DemoProvider()

__all__ = [
    "SALT",
    "SIGNATURE_HEADER",
    "event_body",
    "provider",
    "read_checkout_token",
    "read_manage_token",
    "sign",
]
