"""The one door to the payment providers: validates a gift against the appeal's settings,
starts the provider's checkout, and turns webhooks into recorded events.

Provider failures become ``ProviderError`` with a message a reader can act on; nothing is
recorded for a checkout the provider did not accept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from samizdat.donations import actions, appeal
from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Frequency,
    InvalidEvent,
    Provider,
    ProviderError,
)

logger = logging.getLogger(__name__)


class InvalidGift(ValueError):
    """The gift's amount, currency, frequency or provider is not one we take."""


@dataclass(frozen=True)
class Gift:
    frequency: str
    amount: int  # minor units
    currency: str
    provider: str


def all_providers() -> dict[str, Provider]:
    from samizdat.donations.providers import bank, btcpay, demo, stripe

    found: list[Provider] = [
        stripe.StripeProvider(),
        demo.DemoProvider(),
        btcpay.BTCPayProvider(),
        bank.BankTransferProvider(),
    ]
    return {provider.name: provider for provider in found}


def providers() -> dict[str, Provider]:
    """The providers readers can choose now, in the order they are offered."""
    return {name: p for name, p in all_providers().items() if p.available()}


def get_provider(name: str) -> Provider:
    found = all_providers().get(name)
    if found is None:
        raise InvalidEvent(f"unknown provider {name!r}")
    return found


def validate_gift(*, frequency: str, amount: Decimal, currency: str, provider: str) -> Gift:
    """Check a reader's choice against the appeal's settings; InvalidGift says what is wrong.
    With no provider (the reader has not chosen how to pay yet) only the gift is checked."""
    config = appeal.load()
    if frequency not in Frequency.values:
        raise InvalidGift(_("Choose once, monthly or annual."))
    found = config.currencies.get(currency.upper())
    if found is None:
        raise InvalidGift(_("We cannot take gifts in that currency."))
    if not amount.is_finite() or amount != amount.quantize(Decimal(1).scaleb(-found.exponent)):
        raise InvalidGift(_("Enter the amount as a number, like 5 or 7.50."))
    if amount < found.minimum:
        raise InvalidGift(
            _("The smallest gift we can take is %(minimum)s.")
            % {
                "minimum": appeal.money(
                    appeal.to_minor(found.minimum, found.code), found.code, _lang()
                )
            }
        )
    if amount > appeal.MAXIMUM:
        raise InvalidGift(_("For a gift this large, please write to us."))
    if not provider:
        return Gift(frequency, appeal.to_minor(amount, found.code), found.code, "")
    chosen = providers().get(provider)
    if chosen is None:
        raise InvalidGift(_("Choose a way to pay."))
    if frequency not in chosen.frequencies:
        raise InvalidGift(
            _("%(provider)s takes one-off gifts only; choose “once” or another way to pay.")
            % {"provider": chosen.label}
        )
    if provider == "bank" and not found.bank_details:
        raise InvalidGift(_("We have no bank account for that currency."))
    return Gift(
        frequency=frequency,
        amount=appeal.to_minor(amount, found.code),
        currency=found.code,
        provider=provider,
    )


def _lang() -> str:
    from django.utils import translation

    return translation.get_language() or settings.LANGUAGE_CODE


def start_checkout(
    *,
    gift: Gift,
    language: str,
    email: str,
    name: str,
    success_url: str,
    cancel_url: str,
) -> CheckoutResult:
    """Ask the provider for a checkout page. ProviderError if it is down or refuses; then
    nothing is recorded and the reader can simply try again."""
    provider = providers()[gift.provider]
    request = CheckoutRequest(
        reference=actions.new_reference(),
        frequency=gift.frequency,
        amount=gift.amount,
        currency=gift.currency,
        language=language,
        email=email,
        name=name,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    with transaction.atomic():
        result = provider.start_checkout(request)
        if gift.provider == "bank":
            actions.pledge_transfer(
                reference=request.reference,
                frequency=gift.frequency,
                amount=gift.amount,
                currency=gift.currency,
                email=email,
                name=name,
                language=language,
            )
    logger.info("%s checkout %s started", gift.provider, request.reference)
    return result


def handle_webhook(provider_name: str, body: bytes, headers: Mapping[str, str]) -> list[str]:
    """Verify and record what a provider's webhook says. InvalidEvent (bad signature, not an
    event: answer 400, nothing stored) or ProviderError (answer 503 so the provider retries)."""
    provider = get_provider(provider_name)
    events = provider.parse_event(body, headers)
    outcomes = []
    for event in events:
        outcome = actions.record_provider_event(event=event)
        logger.info("%s event %s (%s): %s", provider_name, event.event_id, event.type, outcome)
        outcomes.append(outcome)
    return outcomes


def manage_url(*, gift_id: int, return_url: str) -> str:
    from samizdat.donations.models import RecurringGift

    gift = RecurringGift.objects.get(pk=gift_id)
    provider = all_providers().get(gift.provider)
    if provider is None:
        raise ProviderError(_("This gift can no longer be managed online; please write to us."))
    return provider.manage_url(gift, return_url)
