"""The one interface every payment provider implements, and the plain data it speaks.

A provider starts a checkout on its own hosted page (``start_checkout``), turns what its
webhook sent into normalised events after checking the signature (``parse_event``), and gives
a donor a link to manage a recurring gift (``manage_url``). Everything else (validation,
recording, receipts) is the gateway's and the actions' business, the same for every provider.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
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
    amount: int  # minor units
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
    language: str = "en"


@dataclass(frozen=True)
class Payment:
    payment_id: str  # unique per payment at the provider (payment intent, invoice…)
    amount: int
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


class Provider(Protocol):
    @property
    def name(self) -> str:
        """ "stripe", "btcpay"…: stored on every record."""

    @property
    def label(self) -> str | Promise:
        """What readers see, translated."""

    @property
    def frequencies(self) -> tuple[str, ...]:
        """Which Frequency values it can take."""

    def available(self) -> bool:
        """Configured and allowed to take gifts."""

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """Create the provider's hosted checkout; raise ProviderError if it cannot."""

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        """Verify the webhook's signature and normalise it; raise InvalidEvent if it is
        not genuine, ProviderError if the provider must be asked and cannot be reached."""

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        """A link where the donor changes or cancels this gift; ProviderError if none."""
