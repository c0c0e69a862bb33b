"""What every payment provider is, and the plain data it speaks with the gateway.

A provider is one package (its client, webhook handling, and any views and templates of its
own) whose module has a ``provider`` attribute: an instance of a ``Provider`` subclass. The
packages named in ``settings.DONATIONS_PROVIDERS`` are the providers (``registry``).

A provider starts a checkout on its own hosted page (``start_checkout``), turns what its
webhook sent into normalised events after checking the signature (``parse_event``), and gives
a donor a link to manage a recurring gift (``manage_url``). What the gateway, the views, the
admin and the reports would otherwise decide by a provider's name, it says about itself: its
capabilities below. Everything else (validation, recording, receipts) is the gateway's and
the actions', the same for every provider.
"""

from __future__ import annotations

import datetime
import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.checks import CheckMessage
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern

    from samizdat.donations.models import RecurringGift


class Frequency(models.TextChoices):
    ONCE = "once", _("once")
    MONTHLY = "monthly", _("monthly")
    ANNUAL = "annual", _("annual")


class ProviderError(Exception):
    """The provider is unreachable or refused: nothing was recorded; the reader may retry."""


class InvalidEvent(Exception):
    """A webhook whose signature is missing, wrong or stale, or whose body is not an event."""


@dataclass(frozen=True)
class CheckoutRequest:
    reference: str  # ours, e.g. "SZ-7K3M9QXA"; travels in the provider's metadata
    frequency: str  # Frequency value
    amount: int  # minor units (money.py)
    currency: str  # ISO 4217, upper case
    language: str
    email: str  # "" when the reader gave none (the provider may ask)
    name: str  # "" when the reader gives anonymously
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class CheckoutResult:
    redirect_url: str  # where the reader goes to pay
    provider_reference: str  # the provider's id for this checkout (session, invoice…)


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_PENDING = "payment_pending"  # e.g. a SEPA debit on its way
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_REFUNDED = "payment_refunded"
    GIFT_STARTED = "gift_started"
    GIFT_UPDATED = "gift_updated"
    GIFT_CANCELLED = "gift_cancelled"
    IGNORED = "ignored"  # a type we know but have nothing to do for, or do not know


@dataclass(frozen=True)
class Donor:
    email: str = ""
    name: str = ""
    language: str = ""  # "": the default language (settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class Payment:
    payment_id: str  # unique per payment at the provider (payment intent, invoice…)
    amount: int  # minor units (money.py), whatever units the provider counts in
    currency: str
    frequency: str
    reference: str = ""
    gift_id: str = ""  # the provider's subscription, for an instalment of a recurring gift
    intent_id: str = ""  # what refunds point at, when it differs from payment_id
    amount_refunded: int = 0
    failure_reason: str = ""


@dataclass(frozen=True)
class Gift:
    gift_id: str
    frequency: str  # monthly | annual
    amount: int
    currency: str
    status: str  # RecurringGift.Status value
    reference: str = ""
    customer_id: str = ""
    next_payment_at: datetime.datetime | None = None
    cancelled_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Event:
    provider: str
    event_id: str  # unique per provider: the idempotency key
    type: str  # the provider's own name for it
    occurred_at: datetime.datetime
    kind: EventKind
    donor: Donor = field(default_factory=Donor)
    payment: Payment | None = None
    gift: Gift | None = None
    payload: Mapping[str, object] | None = None  # kept for a while to investigate problems


@dataclass(frozen=True)
class LinkSpec:
    """One payment link a provider is asked to make: a suggested amount of the appeal."""

    currency: str
    frequency: str
    amount: int  # minor units
    language: str  # of the thank-you page and the receipt


@dataclass(frozen=True)
class MadeLink:
    link_id: str  # the provider's id of the link
    url: str
    price_id: str = ""


class Provider:
    """A payment provider. Subclass it and set what the provider is and can do."""

    name: str = ""  # stored on every record and in /webhooks/<name>/; never changes
    label: str | Promise = ""  # what readers choose, translated
    admin_label: str | Promise = ""  # what staff read in the admin; the label if empty
    frequencies: tuple[str, ...] = (Frequency.ONCE.value,)  # the gifts it takes
    # What the donate form tells readers about it, beside its name ("" for nothing).
    note: str | Promise = ""
    # Its webhook at /webhooks/<name>/ reports payments. Without one, staff confirm them.
    receives_webhooks: bool = True
    # A pending gift is recorded as soon as the reader is sent to pay (its reference is how
    # the payment is recognised later).
    records_pledge: bool = False
    # Staff mark its payments received in the admin ("Mark received…").
    confirmed_by_staff: bool = False
    # Offered only in the currencies with bank details in Settings → Donations.
    needs_bank_details: bool = False
    # Gifts through it are real money (the demo's are not; demo data is recorded through it).
    moves_money: bool = True
    # It can make payment links that work where the app cannot be reached.
    makes_payment_links: bool = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @property
    def staff_label(self) -> str:
        return str(self.admin_label or self.label or self.name)

    def available(self) -> bool:
        """Configured and allowed to take gifts now."""
        return False

    def refusal(self, *, amount: int, currency: str, frequency: str) -> str:
        """Why it cannot take this gift, for the reader; "" if it can."""
        return ""

    def checkout_origins(self) -> list[str]:
        """Where its hosted pages live: forms may lead there (Content-Security-Policy)."""
        return []

    def urlpatterns(self) -> list[URLPattern]:
        """Pages of its own, under /donate/ (the "donations" URL namespace)."""
        return []

    def checks(self) -> list[CheckMessage]:
        """Problems with its configuration, for ``samizdat check``."""
        return []

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """Create the provider's hosted checkout; raise ProviderError if it cannot."""
        raise ProviderError(str(_("This way to pay is not available.")))

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Verify a webhook's signature and normalise it.

        InvalidEvent if it is not genuine, ProviderError if the provider must be asked and
        cannot be reached.
        """
        raise InvalidEvent(f"{self.name} has no webhook")

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        """A link where the donor changes or cancels this gift; ProviderError if none."""
        raise ProviderError(
            str(_("This gift can no longer be managed online; please write to us."))
        )

    def payment_links_unavailable(self) -> str:
        """Why it cannot make payment links now, for staff ("" if it can)."""
        return "" if self.makes_payment_links else f"{self.name} makes no payment links"

    def make_payment_link(self, spec: LinkSpec) -> MadeLink:
        """A payment link for one suggested amount (``makes_payment_links``); ProviderError."""
        raise ProviderError(f"{self.name} makes no payment links")

    def set_payment_link_active(self, link_id: str, active: bool) -> None:
        """Switch one of its payment links on or off; ProviderError if it cannot."""
        raise ProviderError(f"{self.name} makes no payment links")

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
    ) -> HttpResponse:
        """A page of its own, from the ``templates`` folder beside its module; never cached."""
        from django.http import HttpResponse

        found = _templates(type(self).__module__).get_template(template)
        response = HttpResponse(found.render(context, request), status=status)
        response["Cache-Control"] = "no-store"
        return response


@functools.cache
def _templates(module: str) -> Any:
    """Templates of a provider's package, rendered by the site's template engine.

    So they may extend base.html and use its tags and context processors.
    """
    from django.template import engines
    from django.template.backends.django import Template
    from django.template.loaders.filesystem import Loader

    backend = engines["django"]
    folder = Path(sys.modules[module].__file__ or "").parent / "templates"
    loader = Loader(backend.engine, [folder])  # type: ignore[attr-defined]

    class Templates:
        def get_template(self, name: str) -> Template:
            return Template(loader.get_template(name), backend)

    return Templates()
