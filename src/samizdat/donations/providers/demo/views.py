"""The demo provider's pages, standing in for a provider's checkout and gift management.

They only exist with SAMIZDAT_DEBUG on.
"""

from __future__ import annotations

import secrets

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from samizdat.core.languages import known
from samizdat.donations import gateway, money
from samizdat.donations.models import RecurringGift
from samizdat.donations.providers import demo
from samizdat.donations.providers.base import Frequency


@csrf_exempt  # stands in for a provider's page; the token in the URL is the authority
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, token: str) -> HttpResponse:
    if not demo.provider.available():
        raise Http404
    data = demo.read_checkout_token(token)
    if data is None:
        return HttpResponseBadRequest("This demo checkout has expired.")
    language = known(data["language"])
    translation.activate(language)
    if request.method == "POST":
        unique = secrets.token_hex(8)
        recurring = data["frequency"] != Frequency.ONCE
        body = demo.event_body(
            "payment.succeeded",
            {
                **{k: data[k] for k in ("reference", "frequency", "amount", "currency",
                                        "language", "email", "name")},
                "payment_id": f"demo_pay_{unique}",
                **({"gift_id": f"demo_sub_{unique}"} if recurring else {}),
            },
        )  # fmt: skip
        gateway.handle_webhook(demo.provider.name, body, {demo.SIGNATURE_HEADER: demo.sign(body)})
        return HttpResponseRedirect(data["success_url"], status=303)
    return demo.provider.render(
        request,
        "demo/checkout.html",
        {
            "LANG": language,
            "data": data,
            "amount": money.format(data["amount"], data["currency"], language),
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    if not demo.provider.available():
        raise Http404
    data = demo.read_manage_token(token)
    if data is None:
        return HttpResponseBadRequest("This demo link has expired.")
    gift = RecurringGift.objects.filter(pk=data["gift"], provider=demo.provider.name).first()
    if gift is None:
        raise Http404
    translation.activate(gift.language)
    if request.method == "POST":
        body = demo.event_body(
            "gift.cancelled",
            {"gift_id": gift.provider_gift_id, "frequency": gift.frequency,
             "amount": gift.amount, "currency": gift.currency, "language": gift.language},
        )  # fmt: skip
        gateway.handle_webhook(demo.provider.name, body, {demo.SIGNATURE_HEADER: demo.sign(body)})
        return HttpResponseRedirect(data["return"], status=303)
    return demo.provider.render(
        request,
        "demo/manage.html",
        {"LANG": gift.language, "gift": gift,
         "amount": money.format(gift.amount, gift.currency, gift.language)},
    )  # fmt: skip
