"""Bank transfer: no provider at all. The reader gets the newsroom's account details and a
reference code; staff mark the gift received in the admin when the money arrives."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Event,
    Frequency,
    InvalidEvent,
    ProviderError,
)

if TYPE_CHECKING:
    from samizdat.donations.models import RecurringGift

SALT = "samizdat.donations.transfer"


class BankTransferProvider:
    name = "bank"
    label = _("Bank transfer")
    frequencies = (Frequency.ONCE.value,)

    def available(self) -> bool:
        from samizdat.donations import appeal

        return settings.DONATIONS_BANK_TRANSFER and any(
            c.bank_details for c in appeal.load().currencies.values()
        )

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        token = signing.dumps(request.reference, salt=SALT)
        return CheckoutResult(
            redirect_url=reverse("donations:transfer", args=[token]),
            provider_reference=request.reference,
        )

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        raise InvalidEvent("bank transfers have no webhook; staff record them in the admin")

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        raise ProviderError(str(_("Bank transfers are managed at your bank.")))


def reference_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=SALT, max_age=60 * 60 * 24 * 90))
    except signing.BadSignature:
        return None
