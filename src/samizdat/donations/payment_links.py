"""Payment links for the suggested amounts, for readers who cannot reach the app.

Where no address of the app can be reached (a blocked domain, a copy of the site elsewhere),
readers give through a provider's own page. The providers that can (``makes_payment_links``, e.g. Stripe's Payment Links) make one link per
suggested amount, frequency and currency of the appeal, through ``samizdat donations
payment-links`` (run it again after changing the amounts); links for amounts no longer
suggested are switched off, and back on when the amount returns. Reader pages show the active
links of the reader's currency under the donate form, for when the app is out of reach.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from samizdat.donations import appeal, money
from samizdat.donations.models import PaymentLink
from samizdat.donations.providers import registry
from samizdat.donations.providers.base import Frequency, LinkSpec, Provider, ProviderError

logger = logging.getLogger(__name__)
CACHE_KEY = "samizdat:donations:payment-links:v2"
CACHE_TIMEOUT = 300


class PaymentLinksError(Exception):
    """No provider can make links now, or one refused or was out of reach; work done is kept."""


@dataclass
class SyncReport:
    created: list[PaymentLink] = field(default_factory=list)
    reactivated: list[PaymentLink] = field(default_factory=list)
    kept: list[PaymentLink] = field(default_factory=list)
    deactivated: list[PaymentLink] = field(default_factory=list)


def makers() -> list[Provider]:
    """The providers that can make payment links now; PaymentLinksError says why none can."""
    capable = [p for p in registry.registered().values() if p.makes_payment_links]
    if not capable:
        raise PaymentLinksError("None of the payment providers here makes payment links.")
    ready = [p for p in capable if not p.payment_links_unavailable()]
    if not ready:
        raise PaymentLinksError(" ".join(p.payment_links_unavailable() for p in capable))
    return ready


def wanted() -> dict[tuple[str, str, int], str]:
    """Every suggested amount as (currency, frequency, minor units) → a language.

    The language of its thank-you page: the first the currency is the default for.
    """
    config = appeal.load()
    languages = {code for code, _name in settings.LANGUAGES}
    found = {}
    for currency in config.currencies.values():
        language = next(iter(currency.default_for), settings.LANGUAGE_CODE)
        if language not in languages:
            language = settings.LANGUAGE_CODE
        for frequency in Frequency.values:
            for amount in currency.suggested[frequency]:
                found[(currency.code, frequency, money.to_minor(amount, currency.code))] = language
    return found


def sync_payment_links(provider: Provider) -> SyncReport:
    """Links at ``provider`` for every suggested amount, and for no other.

    Makes a link for every suggested amount that has none, reactivates the ones whose amount
    is suggested again and deactivates those no longer suggested. Safe to repeat: rows are reused, and a run cut short is finished by the next."""
    report = SyncReport()
    targets = {
        key: language
        for key, language in wanted().items()
        if not provider.refusal(amount=key[2], currency=key[0], frequency=key[1])
        and key[1] in provider.frequencies
    }
    rows = PaymentLink.objects.filter(provider=provider.name)
    try:
        for (currency, frequency, amount), language in targets.items():
            row = rows.filter(currency=currency, frequency=frequency, amount=amount).first()
            if row is None:
                spec = LinkSpec(currency=currency, frequency=frequency, amount=amount,
                                language=language)  # fmt: skip
                report.created.append(_record(provider, spec))
            elif not row.active:
                provider.set_payment_link_active(row.link_id, True)
                row.active = True
                row.save(update_fields=["active"])
                report.reactivated.append(row)
            else:
                report.kept.append(row)
        for row in rows.filter(active=True):
            if (row.currency, row.frequency, row.amount) in targets:
                continue
            provider.set_payment_link_active(row.link_id, False)
            row.active = False
            row.save(update_fields=["active"])
            report.deactivated.append(row)
    except ProviderError as error:
        raise PaymentLinksError(f"{error}; run the command again.") from None
    finally:
        forget()
    return report


def _record(provider: Provider, spec: LinkSpec) -> PaymentLink:
    made = provider.make_payment_link(spec)
    with transaction.atomic():
        row, _created = PaymentLink.objects.update_or_create(
            provider=provider.name,
            link_id=made.link_id,
            defaults={
                "currency": spec.currency,
                "frequency": spec.frequency,
                "amount": spec.amount,
                "url": made.url,
                "price_id": made.price_id,
                "language": spec.language,
                "active": True,
            },
        )
    return row


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
            (money.format(amount, code, language), url)
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
            .order_by("currency", "frequency", "amount", "provider")
            .values_list("currency", "frequency", "amount", "url")
        )
        cache.set(CACHE_KEY, rows, CACHE_TIMEOUT)
    return list(rows)


def forget(**kwargs: Any) -> None:
    cache.delete(CACHE_KEY)
