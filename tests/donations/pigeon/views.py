"""Pigeon Pay's own page: where the donate form sends the reader to pay."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from samizdat.donations import money
from samizdat.donations.providers.base import CheckoutRequest

STARTED: dict[str, CheckoutRequest] = {}  # what the pigeon's server was asked, by reference


def checkout(request: HttpRequest, reference: str) -> HttpResponse:
    from tests.donations import pigeon

    started = STARTED.get(reference)
    if started is None:
        raise Http404
    return pigeon.provider.render(
        request,
        "pigeon/checkout.html",
        {
            "LANG": started.language,
            "reference": reference,
            "amount": money.format(started.amount, started.currency, started.language),
        },
    )
