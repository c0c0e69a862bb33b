"""Stripe: Checkout for one-off and recurring gifts, the Billing portal to change or cancel
them, and signed webhooks that say what happened.

Stripe's webhooks come in the shape of the API version set on the newsroom's endpoint. Both
shapes are read: before 2025-03-31 ("basil") an invoice named its subscription and payment
intent itself and a subscription carried its billing period; since then they sit under the
invoice's ``parent.subscription_details`` and ``payments`` and the subscription's items.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samizdat.core.languages import known
from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Donor,
    Event,
    EventKind,
    Frequency,
    Gift,
    InvalidEvent,
    LinkSpec,
    MadeLink,
    Payment,
    Provider,
    ProviderError,
)
from samizdat.donations.providers.stripe import units

if TYPE_CHECKING:
    from samizdat.donations.models import RecurringGift

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "stripe-signature"
MAX_NETWORK_RETRIES = 1  # a reader is waiting; Stripe's idempotency makes the retry safe
# The languages Stripe's pages speak (its API's `locale`), as documented for Checkout
# Sessions and Billing portal sessions; any other language gets "auto" (the browser's).
CHECKOUT_LOCALES = frozenset(
    {
        "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
        "fr-CA", "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl",
        "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK",
        "zh-TW",
    }
)  # fmt: skip
PORTAL_LOCALES = (CHECKOUT_LOCALES - {"hi-IN"}) | {
    "en-AU", "en-CA", "en-IE", "en-IN", "en-NZ", "en-SG",
}  # fmt: skip
BILLING_ORIGIN = "https://billing.stripe.com"
INTERVAL = {Frequency.MONTHLY.value: "month", Frequency.ANNUAL.value: "year"}
FREQUENCY_OF_INTERVAL = {"month": Frequency.MONTHLY.value, "year": Frequency.ANNUAL.value}
GIFT_STATUS = {
    "active": "active",
    "trialing": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "past_due",
    "incomplete": "incomplete",
    "canceled": "cancelled",
    "incomplete_expired": "cancelled",
}
ANNUAL_PERIOD = datetime.timedelta(days=200)  # a billing period longer than this is a year
# Gifts through our Payment Links (payment_links.py) carry this in their metadata
# instead of a reference: the link serves every reader who follows it.
LINK_MARKER = {"samizdat": "payment_link"}
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as actions.new_reference


def locale(language: str, supported: frozenset[str]) -> str:
    """Stripe's name for ``language`` ("pt-br" → "pt-BR", "de-at" → "de"), or "auto"."""
    by_lower = {code.lower(): code for code in supported}
    return by_lower.get(language.lower()) or by_lower.get(language.split("-")[0].lower(), "auto")


class StripeProvider(Provider):
    name = "stripe"
    label = gettext_lazy("Card, wallet or bank debit (Stripe)")
    admin_label = "Stripe"
    frequencies: tuple[str, ...] = (
        Frequency.ONCE.value,
        Frequency.MONTHLY.value,
        Frequency.ANNUAL.value,
    )
    makes_payment_links = True

    def available(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def refusal(self, *, amount: int, currency: str, frequency: str) -> str:
        return units.refusal(amount, currency)

    def checkout_origins(self) -> list[str]:
        return [settings.STRIPE_CHECKOUT_ORIGIN, BILLING_ORIGIN]

    def checks(self) -> list[CheckMessage]:
        if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
            return [
                Warning(
                    "SAMIZDAT_STRIPE_SECRET_KEY is set but SAMIZDAT_STRIPE_WEBHOOK_SECRET is "
                    "not: Stripe is not offered to readers, because gifts could not be recorded.",
                    id="samizdat.donations.W001",
                )
            ]
        return []

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """A Checkout Session: ``payment`` mode for a one-off gift, ``subscription`` for a
        monthly or annual one. Our reference travels in the metadata of the session and of
        the payment intent or subscription it makes, so every later event carries it."""
        metadata = {
            "reference": request.reference,
            "frequency": request.frequency,
            "language": request.language,
        }
        if request.name:
            metadata["name"] = request.name
        try:
            unit_amount = units.to_stripe(request.amount, request.currency)
        except ValueError:
            raise ProviderError(units.refusal(request.amount, request.currency)) from None
        price_data: dict[str, Any] = {
            "currency": request.currency.lower(),
            "unit_amount": unit_amount,
            "product_data": {"name": _product_name(request.frequency, request.language)},
        }
        params: dict[str, Any] = {
            "line_items": [{"price_data": price_data, "quantity": 1}],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "locale": locale(request.language, CHECKOUT_LOCALES),
            "client_reference_id": request.reference,
            "metadata": metadata,
        }
        if request.frequency == Frequency.ONCE:
            params.update(
                mode="payment", submit_type="donate", payment_intent_data={"metadata": metadata}
            )
        else:
            price_data["recurring"] = {"interval": INTERVAL[request.frequency]}
            params.update(mode="subscription", subscription_data={"metadata": metadata})
        if request.email:
            params["customer_email"] = request.email
        try:
            session = _client().v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": request.reference},
            )
        except stripe.StripeError as error:
            _log_failure(f"checkout {request.reference}", error)
            raise ProviderError(_reader_message(error)) from None
        url = getattr(session, "url", None)
        if not url:
            logger.error("stripe checkout %s: session %s has no url", request.reference, session.id)
            raise ProviderError(_reader_message(None))
        return CheckoutResult(redirect_url=str(url), provider_reference=str(session.id))

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        header = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
        try:
            stripe.WebhookSignature.verify_header(
                body, header, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
            )
            raw = json.loads(body)
        except stripe.SignatureVerificationError as error:
            raise InvalidEvent(f"stripe signature refused: {error.user_message}") from None
        except (ValueError, RecursionError):  # not UTF-8, not JSON or nested past reason
            raise InvalidEvent("signed stripe webhook whose body is not JSON") from None
        obj = _get(raw, "data", "object")
        if (
            _get(raw, "object") != "event"
            or not isinstance(raw.get("id"), str)
            or not isinstance(raw.get("type"), str)
            or _time(raw.get("created")) is None
            or not isinstance(obj, dict)
        ):
            raise InvalidEvent("signed stripe webhook that is not an event")
        parse = {
            "checkout.session.completed": self._session_completed,
            "checkout.session.async_payment_succeeded": self._session_async,
            "checkout.session.async_payment_failed": self._session_async,
            "invoice.paid": self._invoice,
            "invoice.payment_failed": self._invoice,
            "customer.subscription.updated": self._subscription,
            "customer.subscription.deleted": self._subscription,
            "charge.refunded": self._refund,
        }.get(raw["type"])
        event = parse(raw, obj) if parse else None
        return [event or self._event(raw, EventKind.IGNORED)]

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        """A Billing portal session for the gift's customer."""
        if not gift.provider_customer_id:
            logger.warning("stripe gift %s has no customer to manage", gift.provider_gift_id)
            raise ProviderError(_("This gift can no longer be managed online; please write to us."))
        try:
            session = _client().v1.billing_portal.sessions.create(
                {
                    "customer": gift.provider_customer_id,
                    "return_url": return_url,
                    "locale": locale(gift.language, PORTAL_LOCALES),
                }
            )
        except stripe.StripeError as error:
            _log_failure(f"billing portal for {gift.provider_customer_id}", error)
            raise ProviderError(_reader_message(error)) from None
        return str(session.url)

    # Payment Links (payment_links.py)

    def payment_links_unavailable(self) -> str:
        if not settings.STRIPE_SECRET_KEY:
            return "Stripe is not configured: set SAMIZDAT_STRIPE_SECRET_KEY."
        return ""

    def make_payment_link(self, spec: LinkSpec) -> MadeLink:
        from samizdat.donations.providers.stripe import payment_links

        return payment_links.create(_client(), spec)

    def set_payment_link_active(self, link_id: str, active: bool) -> None:
        try:
            _client().v1.payment_links.update(link_id, {"active": active})
        except stripe.StripeError as error:
            raise _links_error(error) from None

    # Webhook events, each to one normalised Event (None: nothing for us in it).

    def _event(
        self,
        raw: dict[str, Any],
        kind: EventKind,
        donor: Donor | None = None,
        payment: Payment | None = None,
        gift: Gift | None = None,
    ) -> Event:
        return Event(
            provider=self.name,
            event_id=raw["id"],
            type=raw["type"],
            occurred_at=_time(raw["created"]) or timezone.now(),  # checked in parse_event
            kind=kind,
            donor=donor or Donor(),
            payment=payment,
            gift=gift,
            payload=raw,
        )

    def _session_completed(self, raw: dict[str, Any], session: dict[str, Any]) -> Event | None:
        meta = _session_metadata(session)
        if not _ours(meta):
            return None
        paid = session.get("payment_status") == "paid"
        if session.get("mode") == "payment":
            kind = EventKind.PAYMENT_SUCCEEDED if paid else EventKind.PAYMENT_PENDING
            return self._event(
                raw, kind, _session_donor(session, meta), _session_payment(session, meta)
            )
        subscription = _id(session.get("subscription"))
        if session.get("mode") != "subscription" or not subscription:
            return None
        gift = Gift(
            gift_id=subscription,
            frequency=_recurring(meta.get("frequency")) or Frequency.MONTHLY.value,
            amount=_amount(session.get("amount_total"), session.get("currency")),
            currency=_text(session.get("currency")).upper(),
            status="active" if paid else "incomplete",
            reference=_reference(meta, subscription),
            customer_id=_id(session.get("customer")),
        )
        # The first instalment is recorded from its invoice.paid event.
        return self._event(raw, EventKind.GIFT_STARTED, _session_donor(session, meta), gift=gift)

    def _session_async(self, raw: dict[str, Any], session: dict[str, Any]) -> Event | None:
        if session.get("mode") != "payment":
            return None  # a subscription's payments are told by its invoices
        meta = _session_metadata(session)
        if not _ours(meta):
            return None
        kind = (
            EventKind.PAYMENT_SUCCEEDED
            if raw["type"].endswith("succeeded")
            else EventKind.PAYMENT_FAILED
        )
        return self._event(
            raw, kind, _session_donor(session, meta), _session_payment(session, meta)
        )

    def _invoice(self, raw: dict[str, Any], invoice: dict[str, Any]) -> Event | None:
        subscription = _id(invoice.get("subscription")) or _id(
            _get(invoice, "parent", "subscription_details", "subscription")
        )
        if not subscription:
            return None  # not one of our gifts' instalments
        meta = _metadata(
            invoice.get("metadata"),
            *(_get(line, "metadata") for line in _lines(invoice)),
            _get(invoice, "subscription_details", "metadata"),
            _get(invoice, "parent", "subscription_details", "metadata"),
        )
        if not _ours(meta):
            return None
        line: Any = next(iter(_lines(invoice)), {})
        frequency = _recurring(meta.get("frequency")) or _line_frequency(line)
        currency = _text(invoice.get("currency")).upper()
        donor = Donor(
            email=_text(invoice.get("customer_email")),
            name=meta.get("name", ""),
            language=known(meta.get("language")),
        )
        paid = raw["type"] == "invoice.paid"
        if paid:
            status = "active"
        elif invoice.get("billing_reason") == "subscription_create":
            status = "incomplete"  # the first payment failed: the gift never started
        else:
            status = "past_due"
        gift = Gift(
            gift_id=subscription,
            frequency=frequency,
            amount=_amount(invoice.get("total") or invoice.get("amount_paid"), currency),
            currency=currency,
            status=status,
            reference=_reference(meta, subscription),
            customer_id=_id(invoice.get("customer")),
            next_payment_at=_time(_get(line, "period", "end")) if paid else None,
        )
        payment = Payment(
            payment_id=_text(invoice.get("id")),
            amount=_amount(invoice.get("amount_paid" if paid else "amount_due"), currency),
            currency=currency,
            frequency=frequency,
            reference=_reference(meta, subscription),
            gift_id=subscription,
            intent_id=_invoice_intent(invoice),
            failure_reason="" if paid else _invoice_failure(invoice),
        )
        kind = EventKind.PAYMENT_SUCCEEDED if paid else EventKind.PAYMENT_FAILED
        if paid and not payment.amount:  # a free period (trial, coupon): no money, no receipt
            return self._event(raw, kind, donor, gift=gift)
        return self._event(raw, kind, donor, payment, gift)

    def _subscription(self, raw: dict[str, Any], subscription: dict[str, Any]) -> Event | None:
        meta = _metadata(subscription.get("metadata"))
        if not _ours(meta):
            return None
        status = GIFT_STATUS.get(_text(subscription.get("status")))
        if raw["type"] == "customer.subscription.deleted":
            status = "cancelled"
        if status is None:
            logger.warning("stripe subscription %s: unknown status", subscription.get("id"))
            return None
        item = _get(subscription, "items", "data", 0) or {}
        price = _get(item, "price") or _get(item, "plan") or {}
        interval = _get(price, "recurring", "interval") or _get(price, "interval")
        cancelled = status == "cancelled"
        currency = _text(subscription.get("currency") or _get(price, "currency")).upper()
        gift = Gift(
            gift_id=_text(subscription.get("id")),
            # The price's interval first: the donor may have switched it in the portal.
            frequency=FREQUENCY_OF_INTERVAL.get(_text(interval))
            or _recurring(meta.get("frequency"))
            or Frequency.MONTHLY.value,
            amount=_amount(
                _int(_get(price, "unit_amount")) * (_int(_get(item, "quantity")) or 1), currency
            ),
            currency=currency,
            status=status,
            reference=_reference(meta, _text(subscription.get("id"))),
            customer_id=_id(subscription.get("customer")),
            next_payment_at=None
            if cancelled
            else _time(subscription.get("current_period_end") or _get(item, "current_period_end")),
            cancelled_at=_time(subscription.get("canceled_at") or subscription.get("ended_at"))
            if cancelled
            else None,
        )
        donor = Donor(name=meta.get("name", ""), language=known(meta.get("language")))
        kind = EventKind.GIFT_CANCELLED if cancelled else EventKind.GIFT_UPDATED
        return self._event(raw, kind, donor, gift=gift)

    def _refund(self, raw: dict[str, Any], charge: dict[str, Any]) -> Event | None:
        intent = _id(charge.get("payment_intent"))
        if "invoice" in charge:  # before basil a charge names its invoice (or null)
            invoice = _id(charge.get("invoice"))
        else:
            invoice = _invoice_of_intent(intent) if intent else ""
        meta = _metadata(charge.get("metadata"))
        payment = Payment(
            payment_id=invoice or intent or _text(charge.get("id")),
            amount=_amount(charge.get("amount"), charge.get("currency")),
            currency=_text(charge.get("currency")).upper(),
            frequency=meta.get("frequency") or Frequency.ONCE.value,
            reference=meta.get("reference", ""),
            intent_id=intent,
            amount_refunded=_amount(charge.get("amount_refunded"), charge.get("currency")),
        )
        return self._event(raw, EventKind.PAYMENT_REFUNDED, payment=payment)


def _client() -> stripe.StripeClient:
    """A client for this call, with our timeout; never Stripe's module-level globals."""
    base = settings.STRIPE_API_BASE.rstrip("/")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        http_client=stripe.RequestsClient(timeout=settings.DONATIONS_PROVIDER_TIMEOUT),
        max_network_retries=MAX_NETWORK_RETRIES,
    )


def _product_name(frequency: str, language: str) -> str:
    """What the reader sees on Stripe's page as the thing they pay for."""
    with translation.override(language):
        if frequency == Frequency.MONTHLY:
            return _("Monthly gift to %(site)s") % {"site": settings.SITE_NAME}
        if frequency == Frequency.ANNUAL:
            return _("Annual gift to %(site)s") % {"site": settings.SITE_NAME}
        return _("Gift to %(site)s") % {"site": settings.SITE_NAME}


def _log_failure(what: str, error: stripe.StripeError) -> None:
    refused = not isinstance(error, stripe.APIConnectionError | stripe.APIError)
    logger.log(
        logging.ERROR if refused else logging.WARNING,
        "stripe %s failed: %s (HTTP %s, code %s, request %s): %s",
        what,
        type(error).__name__,
        error.http_status,
        error.code,
        error.request_id,
        error.user_message or error,
    )


def _links_error(error: stripe.StripeError) -> ProviderError:
    _log_failure("payment links", error)
    return ProviderError(
        f"Stripe refused or could not be reached ({type(error).__name__}: "
        f"{error.user_message or error})"
    )


def _reader_message(error: stripe.StripeError | None) -> str:
    if isinstance(error, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError):
        return _(
            "We could not reach the card payment service: nothing was charged. "
            "Please try again in a moment, or choose another way to pay."
        )
    return _(
        "The card payment service did not accept this request: nothing was charged. "
        "Please choose another way to pay, or try again later."
    )


def _invoice_of_intent(intent: str) -> str:
    """The invoice a payment intent paid, if any: since basil a charge no longer says."""
    try:
        found = _client().v1.invoice_payments.list(
            {"payment": {"type": "payment_intent", "payment_intent": intent}, "limit": 1}
        )
    except stripe.StripeError as error:
        _log_failure(f"invoice lookup for {intent}", error)
        raise ProviderError("Stripe could not be asked which invoice a refund is for") from None
    return next((_id(row.invoice) for row in found.data), "")


# Reading Stripe's JSON: fields may be missing, null, ids or expanded objects.


def _get(value: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
    return value


def _id(value: Any) -> str:
    """An object's id, whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _amount(value: Any, currency: Any) -> int:
    """An amount as Stripe counts it → our minor units of ``currency``."""
    code = _text(currency).upper()
    if not (len(code) == 3 and code.isalpha()):
        return _int(value)  # recorded as refused for its currency (actions._problem)
    return units.from_stripe(_int(value), code)


def _time(value: Any) -> datetime.datetime | None:
    """A Stripe timestamp as a time; None for none, or for one no calendar has."""
    if not _int(value):
        return None
    try:
        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _metadata(*sources: Any) -> dict[str, str]:
    """Metadata merged from several places, the later winning; only text values."""
    merged: dict[str, str] = {}
    for source in sources:
        if isinstance(source, dict):
            merged.update({k: v for k, v in source.items() if isinstance(v, str) and v})
    return merged


def _ours(meta: dict[str, str]) -> bool:
    """Whether a checkout, invoice or subscription is one of our gifts: the account may also
    sell things, and those are not donations."""
    return meta.get("reference", "").startswith("SZ-") or _through_link(meta)


def _through_link(meta: dict[str, str]) -> bool:
    return all(meta.get(key) == value for key, value in LINK_MARKER.items())


def _reference(meta: dict[str, str], source_id: str) -> str:
    """Our reference for the gift: the one our checkout set; for a gift through a Payment
    Link, which has none, one derived from the Stripe object it belongs to (the session of a
    one-off gift, the subscription of a recurring one), so every event about it agrees."""
    reference = meta.get("reference", "")
    if reference.startswith("SZ-") or not _through_link(meta) or not source_id:
        return reference
    digest = hashlib.sha256(source_id.encode()).digest()
    return "SZ-" + "".join(REFERENCE_ALPHABET[byte % 32] for byte in digest[:8])


def _session_metadata(session: dict[str, Any]) -> dict[str, str]:
    """A session's metadata; for a session made by one of our Payment Links (which copies its
    metadata to the session), what we know of the link fills in anything missing. The marker
    counts only on a session that a Payment Link made."""
    meta = _metadata(session.get("metadata"))
    link = _id(session.get("payment_link"))
    if not link:
        return {key: value for key, value in meta.items() if key not in LINK_MARKER}
    from samizdat.donations.models import PaymentLink

    made = PaymentLink.objects.filter(provider=StripeProvider.name, link_id=link).first()
    if made is None:
        return meta
    return {
        **LINK_MARKER,
        "frequency": made.frequency,
        "currency": made.currency,
        "language": made.language,
        **meta,
    }


def _recurring(value: str | None) -> str:
    return value if value in INTERVAL else ""


def _lines(invoice: dict[str, Any]) -> list[Any]:
    lines = _get(invoice, "lines", "data")
    return lines if isinstance(lines, list) else []


def _line_frequency(line: Any) -> str:
    """A subscription line's frequency: from its price before basil, from its period after."""
    interval = _get(line, "price", "recurring", "interval") or _get(line, "plan", "interval")
    if interval in FREQUENCY_OF_INTERVAL:
        return FREQUENCY_OF_INTERVAL[interval]
    start, end = _time(_get(line, "period", "start")), _time(_get(line, "period", "end"))
    if start and end and end - start > ANNUAL_PERIOD:
        return Frequency.ANNUAL.value
    return Frequency.MONTHLY.value


def _invoice_intent(invoice: dict[str, Any]) -> str:
    """The payment intent that paid an invoice: named by it before basil, listed in its
    ``payments`` (when the endpoint includes them) after."""
    payments = _get(invoice, "payments", "data")
    paid = [
        _id(_get(row, "payment", "payment_intent"))
        for row in (payments if isinstance(payments, list) else [])
        if _get(row, "status") == "paid"
    ]
    return _id(invoice.get("payment_intent")) or next(filter(None, paid), "")


def _invoice_failure(invoice: dict[str, Any]) -> str:
    reason = _text(_get(invoice, "last_finalization_error", "message"))
    if reason:
        return reason
    attempts = _int(invoice.get("attempt_count"))
    retry = _time(invoice.get("next_payment_attempt"))
    text = f"payment attempt {attempts} failed" if attempts else "payment failed"
    return f"{text}; Stripe retries on {retry:%Y-%m-%d}" if retry else text


def _session_donor(session: dict[str, Any], meta: dict[str, str]) -> Donor:
    """The reader: the email they gave Stripe, the name they gave us (never the card
    holder's: a reader may give anonymously) and the language they read in."""
    return Donor(
        email=_text(_get(session, "customer_details", "email"))
        or _text(session.get("customer_email")),
        name=meta.get("name", ""),
        language=known(meta.get("language")),
    )


def _session_payment(session: dict[str, Any], meta: dict[str, str]) -> Payment:
    intent = _id(session.get("payment_intent"))
    return Payment(
        payment_id=intent or _text(session.get("id")),
        amount=_amount(session.get("amount_total"), session.get("currency")),
        currency=_text(session.get("currency")).upper(),
        frequency=Frequency.ONCE.value,
        reference=_reference(meta, _text(session.get("id"))),
        intent_id=intent,
    )
