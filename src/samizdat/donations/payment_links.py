"""Stripe Payment Links for the suggested amounts: how readers give when no address of the app
can be reached from where they are reading (a blocked domain, a copy of the site elsewhere).

A Payment Link is a page of Stripe's own, so it works as long as Stripe does. One link per
suggested amount, frequency and currency of the appeal, each with its own Product and Price,
made by ``samizdat donations payment-links`` (run it again after changing the amounts).
Their metadata marks them as ours, so the webhook records what is paid through them
(``providers/stripe.py``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from samizdat.donations import appeal
from samizdat.donations.models import PaymentLink
from samizdat.donations.providers.base import Frequency

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger(__name__)
CACHE_KEY = "samizdat:donations:payment-links:v1"
CACHE_TIMEOUT = 300


class PaymentLinksError(Exception):
    """Stripe is not configured, or refused or could not be reached; what is done is kept."""


@dataclass
class SyncReport:
    created: list[PaymentLink] = field(default_factory=list)
    reactivated: list[PaymentLink] = field(default_factory=list)
    kept: list[PaymentLink] = field(default_factory=list)
    deactivated: list[PaymentLink] = field(default_factory=list)


def wanted() -> dict[tuple[str, str, int], str]:
    """Every suggested amount as (currency, frequency, minor units) → the language of its
    thank-you page: the first language the currency is the default for."""
    config = appeal.load()
    found = {}
    for currency in config.currencies.values():
        language = next(iter(currency.default_for), settings.LANGUAGE_CODE)
        if language not in {code for code, _name in settings.LANGUAGES}:
            language = settings.LANGUAGE_CODE
        for frequency in Frequency.values:
            for amount in currency.suggested[frequency]:
                found[(currency.code, frequency, appeal.to_minor(amount, currency.code))] = language
    return found


def sync_payment_links() -> SyncReport:
    """Make a Payment Link for every suggested amount that has none, reactivate the ones
    whose amount is suggested again and deactivate those no longer suggested.

    Safe to repeat: rows are reused, and Stripe's idempotency keys (made from what is asked)
    give back the same objects if a run stopped between Stripe's answer and our record."""
    import stripe

    from samizdat.donations.providers.stripe import _client, _log_failure

    if not settings.STRIPE_SECRET_KEY:
        raise PaymentLinksError("Stripe is not configured: set SAMIZDAT_STRIPE_SECRET_KEY.")
    report = SyncReport()
    client = _client()
    targets = wanted()
    try:
        for (currency, frequency, amount), language in targets.items():
            row = PaymentLink.objects.filter(
                currency=currency, frequency=frequency, amount=amount
            ).first()
            if row is None:
                report.created.append(
                    _create(client, currency=currency, frequency=frequency, amount=amount,
                            language=language)
                )  # fmt: skip
            elif not row.active:
                client.v1.payment_links.update(row.stripe_id, {"active": True})
                row.active = True
                row.save(update_fields=["active"])
                report.reactivated.append(row)
            else:
                report.kept.append(row)
        for row in PaymentLink.objects.filter(active=True):
            if (row.currency, row.frequency, row.amount) in targets:
                continue
            client.v1.payment_links.update(row.stripe_id, {"active": False})
            row.active = False
            row.save(update_fields=["active"])
            report.deactivated.append(row)
    except stripe.StripeError as error:
        _log_failure("payment links", error)
        raise PaymentLinksError(
            f"Stripe refused or could not be reached ({type(error).__name__}: "
            f"{error.user_message or error}); run the command again."
        ) from None
    finally:
        forget()
    return report


def _create(
    client: stripe.StripeClient, *, currency: str, frequency: str, amount: int, language: str
) -> PaymentLink:
    from samizdat.donations.providers.stripe import INTERVAL, LINK_MARKER, _product_name

    metadata = {**LINK_MARKER, "frequency": frequency, "currency": currency, "language": language}
    product_params: dict[str, Any] = {
        "name": _product_name(frequency, language),
        "metadata": metadata,
    }
    product = client.v1.products.create(product_params, _once(product_params))  # type: ignore[arg-type]
    price_params: dict[str, Any] = {
        "product": product.id,
        "currency": currency.lower(),
        "unit_amount": amount,
        "metadata": metadata,
    }
    if frequency != Frequency.ONCE:
        price_params["recurring"] = {"interval": INTERVAL[frequency]}
    price = client.v1.prices.create(price_params, _once(price_params))  # type: ignore[arg-type]
    thanks = f"{settings.SITE_URL}/donate/thanks/?language={language}"
    link_params: dict[str, Any] = {
        "line_items": [{"price": price.id, "quantity": 1}],
        "after_completion": {"type": "redirect", "redirect": {"url": thanks}},
        "metadata": metadata,
    }
    if frequency == Frequency.ONCE:
        link_params["submit_type"] = "donate"
        link_params["payment_intent_data"] = {"metadata": metadata}
    else:
        link_params["subscription_data"] = {"metadata": metadata}
    link = client.v1.payment_links.create(link_params, _once(link_params))  # type: ignore[arg-type]
    with transaction.atomic():
        row, _created = PaymentLink.objects.update_or_create(
            stripe_id=str(link.id),
            defaults={
                "currency": currency,
                "frequency": frequency,
                "amount": amount,
                "url": str(link.url),
                "stripe_price_id": str(price.id),
                "language": language,
                "active": True,
            },
        )
    logger.info("stripe payment link %s for %s %s %s", link.id, amount, currency, frequency)
    return row


def _once(params: dict[str, Any]) -> dict[str, str]:
    """Request options with an idempotency key made from the request itself."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:40]
    return {"idempotency_key": f"samizdat-link-{digest}"}


@dataclass(frozen=True)
class LinkGroup:
    frequency: str
    links: list[tuple[str, str]]  # (amount as readers read it, url)


def links_for(language: str) -> list[LinkGroup]:
    """The active links in the currency readers in ``language`` see first, by frequency."""
    config = appeal.load()
    currency = config.currency_for(language)
    if currency is None:
        return []
    rows = [row for row in _active() if row[0] == currency.code]
    groups = []
    for frequency in Frequency.values:
        links = [
            (appeal.money(amount, code, language), url)
            for code, freq, amount, url in rows
            if freq == frequency
        ]
        if links:
            groups.append(LinkGroup(frequency=frequency, links=links))
    return groups


def _active() -> list[tuple[str, str, int, str]]:
    rows = cache.get(CACHE_KEY)
    if rows is None:
        rows = list(
            PaymentLink.objects.filter(active=True)
            .order_by("currency", "frequency", "amount")
            .values_list("currency", "frequency", "amount", "url")
        )
        cache.set(CACHE_KEY, rows, CACHE_TIMEOUT)
    return list(rows)


def forget(**kwargs: Any) -> None:
    cache.delete(CACHE_KEY)
