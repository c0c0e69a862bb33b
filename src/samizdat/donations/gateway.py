"""The one door to the payment providers.

It validates a gift against the appeal's settings, starts the provider's checkout, and turns
webhooks into recorded events. The gateway never names a provider: it asks the registry (``settings.DONATIONS_PROVIDERS``)
and each provider what it can do. Provider failures become ``ProviderError`` with a message a
reader can act on; nothing is recorded for a checkout the provider did not accept.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from samizdat.donations import actions, appeal, money
from samizdat.donations.providers import registry
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
    """Every registered provider, configured or not."""
    return registry.registered()


def providers() -> dict[str, Provider]:
    """The providers readers can choose now, in the order they are offered."""
    return registry.available()


def get_provider(name: str) -> Provider:
    found = registry.get(name)
    if found is None:
        raise InvalidEvent(f"unknown provider {name!r}")
    return found


def checkout_origins() -> list[str]:
    """Where the available providers' hosted pages live, each origin once.

    For the Content-Security-Policy's ``form-action``: the donate form redirects there.
    """
    origins: list[str] = []
    for provider in registry.registered().values():
        found = provider.checkout_origins()
        if found and provider.available():
            origins += found
    return list(dict.fromkeys(origin for origin in origins if origin))


def validate_gift(*, frequency: str, amount: Decimal, currency: str, provider: str) -> Gift:
    """Check a reader's choice against the appeal's settings; InvalidGift says what is wrong.

    With no provider (the reader has not chosen how to pay yet) only the gift is checked.
    """
    config = appeal.load()
    language = _language()
    if frequency not in Frequency.values:
        raise InvalidGift(_("Choose once, monthly or annual."))
    found = config.currencies.get(currency.upper())
    if found is None:
        raise InvalidGift(_("We cannot take gifts in that currency."))
    if not money.fits(amount, found.code):
        raise InvalidGift(money.how_to_write(found.code, language))
    if amount < found.minimum:
        raise InvalidGift(
            _("The smallest gift we can take is %(minimum)s.")
            % {"minimum": money.format_major(found.minimum, found.code, language)}
        )
    if amount > found.maximum:
        raise InvalidGift(_("For a gift this large, please write to us."))
    minor = money.to_minor(amount, found.code)
    if not provider:
        return Gift(frequency, minor, found.code, "")
    chosen = providers().get(provider)
    if chosen is None:
        raise InvalidGift(_("Choose a way to pay."))
    if frequency not in chosen.frequencies:
        raise InvalidGift(
            _("%(provider)s takes %(kinds)s only: choose another way to pay.")
            % {"provider": chosen.label, "kinds": kinds_of_gift(chosen)}
        )
    if chosen.needs_bank_details and not found.bank_details:
        raise InvalidGift(_("We have no bank account for that currency."))
    refusal = chosen.refusal(amount=minor, currency=found.code, frequency=frequency)
    if refusal:
        raise InvalidGift(refusal)
    return Gift(frequency=frequency, amount=minor, currency=found.code, provider=provider)


def kinds_of_gift(provider: Provider) -> str:
    """The gifts a provider takes, for readers: "one-off gifts", "one-off and monthly gifts"."""
    names = {
        Frequency.ONCE.value: pgettext("kind of gift", "one-off"),
        Frequency.MONTHLY.value: pgettext("kind of gift", "monthly"),
        Frequency.ANNUAL.value: pgettext("kind of gift", "annual"),
    }
    kinds = [names[f] for f in Frequency.values if f in provider.frequencies]
    listed = (
        kinds[0]
        if len(kinds) == 1
        else _("%(some)s and %(last)s")
        % {
            "some": ", ".join(kinds[:-1]),
            "last": kinds[-1],
        }
    )
    return _("%(kinds)s gifts") % {"kinds": listed}


def frequency_note(provider: Provider) -> str:
    """What readers should know about the gifts a provider takes ("" if it takes all)."""
    if set(Frequency.values) <= set(provider.frequencies):
        return ""
    return _("%(kinds)s only") % {"kinds": kinds_of_gift(provider)}


def _language() -> str:
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
    """Ask the provider for a checkout page.

    ProviderError if it is down or refuses; then nothing is recorded and the reader can simply
    try again. A provider that ``records_pledge`` gets its pending gift recorded with the
    checkout, in one transaction.
    """
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
        if provider.records_pledge:
            actions.record_pledge(
                provider=provider.name,
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
    """Verify and record what a provider's webhook says.

    InvalidEvent (bad signature, not an event: answer 400, nothing stored) or ProviderError
    (answer 503 so the provider retries).
    """
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
    provider = registry.get(gift.provider)
    if provider is None or not provider.available():  # a provider switched off since
        raise ProviderError(_("This gift can no longer be managed online; please write to us."))
    return provider.manage_url(gift, return_url)
