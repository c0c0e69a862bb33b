"""The bank transfer's one page: how to pay, with the account details and the reference."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from samizdat.donations import appeal, money
from samizdat.donations.models import Donation
from samizdat.donations.providers import bank
from samizdat.donations.providers.bank.provider import reference_from_token


@require_http_methods(["GET"])
def transfer(request: HttpRequest, token: str = "") -> HttpResponse:
    """``/donate/transfer/?token=…`` (and the old form with the token in the path)."""
    reference = reference_from_token(token or request.GET.get("token", ""))
    donation = (
        Donation.objects.filter(provider=bank.provider.name, reference=reference).first()
        if reference
        else None
    )
    if donation is None:
        raise Http404
    translation.activate(donation.language)
    currency = appeal.load().currencies.get(donation.currency)
    return bank.provider.render(
        request,
        "bank/transfer.html",
        {
            "LANG": donation.language,
            "donation": donation,
            "amount": money.format(donation.amount, donation.currency, donation.language),
            "bank_details": currency.bank_details if currency else "",
        },
    )
