"""Bank transfer: no provider at all.

The reader gets the newsroom's account details for the currency and a reference code; a
pending gift is recorded at once, and staff mark it received in the admin when the money
arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Frequency,
    Provider,
    ProviderError,
)

if TYPE_CHECKING:
    from django.urls import URLPattern

    from samizdat.donations.models import RecurringGift

SALT = "samizdat.donations.transfer"
TOKEN_DAYS = 90


class BankTransferProvider(Provider):
    name = "bank"
    label = _("Bank transfer")
    frequencies = (Frequency.ONCE.value,)
    note = _("We show you our account details and a reference for the transfer.")
    receives_webhooks = False
    records_pledge = True
    confirmed_by_staff = True
    needs_bank_details = True

    def available(self) -> bool:
        from samizdat.donations import appeal

        return settings.DONATIONS_BANK_TRANSFER and any(
            c.bank_details for c in appeal.load().currencies.values()
        )

    def urlpatterns(self) -> list[URLPattern]:
        from samizdat.donations.providers.bank import views

        return [
            path("transfer/", views.transfer, name="transfer"),
            # Links of the old form, with the token in the path (valid TOKEN_DAYS).
            path("transfer/<str:token>/", views.transfer, name="transfer_old"),
        ]

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        token = signing.dumps(request.reference, salt=SALT)
        return CheckoutResult(
            redirect_url=reverse("donations:transfer") + "?" + urlencode({"token": token}),
            provider_reference=request.reference,
        )

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        raise ProviderError(str(_("Bank transfers are managed at your bank.")))


def reference_from_token(token: str) -> str | None:
    try:
        return str(signing.loads(token, salt=SALT, max_age=60 * 60 * 24 * TOKEN_DAYS))
    except signing.BadSignature:
        return None
