"""What happens to gifts: events recorded once, transfers marked received, receipts sent.

``record_provider_event`` is the only way a provider's news changes our records. It is
idempotent by the provider's event id, and it applies events in any order: a payment only ever
moves forward (pending → failed → paid → refunded, never back), and a recurring gift takes a
provider's update only if it is newer than the last one applied; a cancelled gift stays
cancelled.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
import smtplib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from email_validator import EmailNotValidError, validate_email
from wagtail.log_actions import log

from samizdat.core import tokens
from samizdat.core.addresses import email_or_empty
from samizdat.core.audit import log_without_whom
from samizdat.core.hooks import ErasureRefused
from samizdat.core.languages import known
from samizdat.donations import money
from samizdat.donations.models import Donation, ManageLink, ProviderEvent, RecurringGift
from samizdat.donations.providers import registry
from samizdat.donations.providers.base import (
    Donor,
    Event,
    EventKind,
    Frequency,
    Payment,
    ProviderError,
)

logger = logging.getLogger(__name__)

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone
PAYMENT_RANK = {
    Donation.Status.PENDING: 0,
    Donation.Status.FAILED: 1,
    Donation.Status.PAID: 2,
    Donation.Status.REFUNDED: 3,
}


def new_reference() -> str:
    return "SZ-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


# What a payload may say about a person beyond what we keep: dropped before it is stored.
PERSONAL_KEYS = frozenset(
    {
        "customer_details", "billing_details", "payment_method_details", "shipping",
        "shipping_details", "customer_email", "customer_name", "customer_address",
        "customer_phone", "customer_shipping", "receipt_email", "buyerEmail", "buyer",
        "samizdatName", "name", "email", "address", "phone",
    }
)  # fmt: skip
UNKNOWN_REFUND_GRACE = datetime.timedelta(hours=1)

# The audit log (Reports → Site history): who marked a transfer received, who erased a donor
# (with how many records), who exported gifts. Never whom.
LOG_MARK_RECEIVED = "donations.mark_received"
LOG_ERASE_DONOR = "donations.erase_donor"
LOG_EXPORT = "donations.export"


class RetryLater(ProviderError):
    """The event may make sense once another one has arrived: the provider should resend."""


def scrub(value: Any) -> Any:
    """A payload without names, addresses, emails and card details, for the event log."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _without_nul(value: Any) -> Any:
    """``value`` with every NUL character in its text (keys too) made U+FFFD: PostgreSQL keeps
    none in text or JSON. The same event always comes out the same, so a repeated delivery
    is still recognised."""
    if type(value) is str:
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return replace(
            value, **{f.name: _without_nul(getattr(value, f.name)) for f in fields(value)}
        )
    return value


def _problem(event: Event) -> str:
    """Why a genuine event cannot be recorded as it is, or ""."""
    if not event.event_id or len(event.event_id) > 255:
        return "no usable event id"
    for part in (event.payment, event.gift):
        if part is None:
            continue
        key = part.payment_id if isinstance(part, Payment) else part.gift_id
        if not key or len(key) > 255:
            return "no usable payment or gift id"
        if not isinstance(part.amount, int) or part.amount < 0 or part.amount >= 10**15:
            return f"amount {part.amount!r} out of range"
        if not (len(part.currency) == 3 and part.currency.isalpha()):
            return f"currency {part.currency!r} is not an ISO 4217 code"
        if part.frequency not in Frequency.values:
            return f"frequency {part.frequency!r} unknown"
    return ""


def _tidy(event: Event) -> Event:
    """Fit what a provider sent into our fields: over-long text is cut, a language we do not
    publish in becomes the default, an address that is not one is dropped."""
    donor = event.donor
    email = email_or_empty(donor.email) if donor.email else ""
    if donor.email and not email:  # the payment is real: record it, without the address
        logger.warning(
            "%s event %s: the donor's address is not one we can write to; recorded without it",
            event.provider,
            event.event_id[:255],
        )
    language = known(donor.language)
    fitted: dict[str, Any] = {
        "type": event.type[:100],
        "donor": Donor(email=email, name=donor.name.strip()[:200], language=language),
    }
    if event.payment is not None:
        fitted["payment"] = replace(
            event.payment,
            reference=event.payment.reference[:20],
            intent_id=event.payment.intent_id[:255],
            gift_id=event.payment.gift_id[:255],
            currency=event.payment.currency.upper(),
            amount_refunded=max(0, min(event.payment.amount_refunded, 10**15 - 1)),
        )
    if event.gift is not None:
        fitted["gift"] = replace(
            event.gift,
            reference=event.gift.reference[:20],
            customer_id=event.gift.customer_id[:255],
            currency=event.gift.currency.upper(),
        )
    return replace(event, **fitted)


def record_provider_event(*, event: Event) -> str:
    """Apply one provider event exactly once; returns what happened, for the log.

    A genuine event that cannot be recorded as it is (an amount out of range, an unknown
    currency) is kept in the event log with the reason and logged as an error: the provider
    must not resend it forever, and staff must see it. ``RetryLater`` (answered 503) when
    the event may make sense after another one arrives."""
    event = _without_nul(event)
    problem = _problem(event)
    if not problem:
        event = _tidy(event)
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=event.provider,
                event_id=event.event_id[:255],
                type=event.type[:100],
                payload=scrub(dict(event.payload)) if event.payload is not None else None,
            )
            if problem:
                logger.error(
                    "%s event %s (%s) not recorded: %s",
                    event.provider, event.event_id, event.type, problem,
                )  # fmt: skip
                outcome = f"refused: {problem}"
            else:
                outcome = _apply(event)
            ProviderEvent.objects.filter(
                provider=event.provider, event_id=event.event_id[:255]
            ).update(outcome=outcome[:300])
    except IntegrityError:
        if ProviderEvent.objects.filter(
            provider=event.provider, event_id=event.event_id[:255]
        ).exists():
            return "duplicate"
        raise
    return outcome


def _apply(event: Event) -> str:
    if event.kind == EventKind.IGNORED:
        logger.info("%s event %s (%s) needs nothing", event.provider, event.event_id, event.type)
        return "ignored"
    gift = None
    if event.gift is not None:
        gift = _apply_gift(event)
    if event.payment is not None:
        return _apply_payment(event, gift)
    return f"gift {event.gift.gift_id} {gift.status}" if gift and event.gift else "nothing"


def _lock_or_create(
    model: type[Any], lookup: dict[str, Any], defaults: dict[str, Any]
) -> tuple[Any, bool]:
    """The row for ``lookup``, locked for this transaction; created from ``defaults`` if new.
    Two events racing to create it end with one row."""
    row = model.objects.select_for_update().filter(**lookup).first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **defaults), True
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False


def _apply_gift(event: Event) -> RecurringGift:
    info = event.gift
    assert info is not None
    donor = event.donor
    # The gift's own events say what it is now; a payment's event only what it was when paid:
    # only the former make older news stale.
    own_news = event.kind in {
        EventKind.GIFT_STARTED,
        EventKind.GIFT_UPDATED,
        EventKind.GIFT_CANCELLED,
    }
    gift, created = _lock_or_create(
        RecurringGift,
        {"provider": event.provider, "provider_gift_id": info.gift_id},
        {
            "frequency": info.frequency,
            "amount": info.amount,
            "currency": info.currency.upper(),
            "status": info.status,
            "reference": info.reference,
            "provider_customer_id": info.customer_id,
            "email": donor.email,
            "name": donor.name,
            "language": donor.language,
            "started_at": event.occurred_at,
            "next_payment_at": info.next_payment_at,
            "cancelled_at": info.cancelled_at,
            "provider_updated_at": event.occurred_at if own_news else None,
            "status_updated_at": event.occurred_at,
        },
    )
    if created:
        return gift
    # What we did not know yet is filled in whatever the order; who gives, only while the
    # gift runs: the donor of a cancelled gift may have been erased, and late news must not
    # bring them back.
    known_only_while_running = ("provider_customer_id", "email", "name")
    for field, value in (
        ("reference", info.reference),
        ("provider_customer_id", info.customer_id),
        ("email", donor.email),
        ("name", donor.name),
    ):
        if gift.status == RecurringGift.Status.CANCELLED and field in known_only_while_running:
            continue
        if value and not getattr(gift, field):
            setattr(gift, field, value)
    if event.occurred_at < gift.started_at:
        gift.started_at = event.occurred_at
    newer = gift.provider_updated_at is None or event.occurred_at >= gift.provider_updated_at
    newer_status = gift.status_updated_at is None or event.occurred_at >= gift.status_updated_at
    if event.kind == EventKind.GIFT_CANCELLED:
        gift.status = RecurringGift.Status.CANCELLED
        gift.cancelled_at = info.cancelled_at or event.occurred_at
        gift.next_payment_at = None
    elif gift.status != RecurringGift.Status.CANCELLED:
        if own_news and newer:
            gift.amount, gift.currency, gift.frequency = (
                info.amount,
                info.currency.upper(),
                info.frequency,
            )
            gift.provider_updated_at = event.occurred_at
        # "Not yet paid" only ever comes first, unless the gift's own update says so.
        back_to_unpaid = (
            info.status == RecurringGift.Status.INCOMPLETE
            and gift.status != RecurringGift.Status.INCOMPLETE
            and event.kind != EventKind.GIFT_UPDATED
        )
        if newer_status and not back_to_unpaid:
            gift.status = info.status
            gift.status_updated_at = event.occurred_at
        if info.next_payment_at and newer_status:
            gift.next_payment_at = info.next_payment_at
    gift.save()
    return gift


def _apply_payment(event: Event, gift: RecurringGift | None) -> str:
    info = event.payment
    assert info is not None
    status = {
        EventKind.PAYMENT_SUCCEEDED: Donation.Status.PAID,
        EventKind.PAYMENT_PENDING: Donation.Status.PENDING,
        EventKind.PAYMENT_FAILED: Donation.Status.FAILED,
        EventKind.PAYMENT_REFUNDED: Donation.Status.REFUNDED,
    }.get(event.kind)
    if status is None:
        return "nothing"
    if gift is None and info.gift_id:
        gift = RecurringGift.objects.filter(
            provider=event.provider, provider_gift_id=info.gift_id
        ).first()
    if event.kind == EventKind.PAYMENT_REFUNDED:
        # Refunds name the payment by what the provider charged: ours may be keyed otherwise.
        donation = (
            Donation.objects.select_for_update()
            .filter(provider=event.provider, provider_payment_id=info.payment_id)
            .first()
            or Donation.objects.select_for_update()
            .filter(provider=event.provider, provider_intent_id=info.intent_id or info.payment_id)
            .first()
        )
        if donation is None:
            if timezone.now() - event.occurred_at < UNKNOWN_REFUND_GRACE:
                # The payment's own event may still be on its way (providers resend after
                # errors, in any order): have the refund resent rather than lose it.
                raise RetryLater(f"refund {info.payment_id} for a payment not recorded yet")
            logger.warning(
                "%s refund %s for a payment we never recorded", event.provider, info.payment_id
            )
            return "refund of an unknown payment"
        created = False
    else:
        donor = event.donor
        donation, created = _lock_or_create(
            Donation,
            {"provider": event.provider, "provider_payment_id": info.payment_id},
            {
                "provider_intent_id": info.intent_id,
                "reference": info.reference or (gift.reference if gift else "") or new_reference(),
                "gift": gift,
                "frequency": info.frequency,
                "amount": info.amount,
                "currency": info.currency.upper(),
                "status": Donation.Status.PENDING,
                "email": donor.email or (gift.email if gift else ""),
                "name": donor.name or (gift.name if gift else ""),
                "language": donor.language,
                "created_at": event.occurred_at,
            },
        )
    before = donation.status
    if PAYMENT_RANK[status] > PAYMENT_RANK[Donation.Status(before)] or created:
        donation.status = status
    if status == Donation.Status.PAID and donation.paid_at is None:
        donation.paid_at = event.occurred_at
    if status == Donation.Status.REFUNDED:
        donation.amount_refunded = max(donation.amount_refunded, info.amount_refunded)
        if donation.amount_refunded < donation.amount:  # partly refunded: still paid
            donation.status = before
    if info.failure_reason and donation.status == Donation.Status.FAILED:
        donation.failure_reason = info.failure_reason[:300]
    if gift is not None and donation.gift_id is None:
        donation.gift = gift
    if info.intent_id and not donation.provider_intent_id:
        donation.provider_intent_id = info.intent_id
    donation.save()
    if donation.status == Donation.Status.PAID and before != Donation.Status.PAID:
        _receipt_on_commit(donation)
    return f"payment {donation.reference} {before} → {donation.status}"


def _receipt_on_commit(donation: Donation) -> None:
    if not donation.email:
        return
    from samizdat.donations.tasks import send_receipt

    pk = donation.pk
    transaction.on_commit(lambda: send_receipt.enqueue(donation_id=pk))


def record_pledge(
    *,
    provider: str,
    reference: str,
    frequency: str,
    amount: int,
    currency: str,
    email: str,
    name: str,
    language: str,
) -> Donation:
    """A gift the reader said they will make (a bank transfer): pending until it arrives."""
    return Donation.objects.create(
        provider=provider,
        provider_payment_id=reference,
        reference=reference,
        frequency=frequency or Frequency.ONCE,
        amount=amount,
        currency=currency,
        status=Donation.Status.PENDING,
        email=email,
        name=name,
        language=language,
    )


def mark_received(
    *,
    donation_id: int,
    received_at: datetime.datetime | None = None,
    amount: int | None = None,
    user: Any = None,
) -> Donation:
    """Staff saw the money arrive: the gift is paid (with the amount that arrived).

    Only for gifts through a provider whose payments staff confirm (a bank transfer). The
    gift's history (and Reports → Site history) records who (``user``), when and the amount.
    """
    with transaction.atomic():
        donation = Donation.objects.select_for_update().get(
            pk=donation_id, provider__in=registry.with_capability("confirmed_by_staff")
        )
        if donation.status == Donation.Status.PAID:
            return donation
        if amount is not None:
            donation.amount = amount
        donation.status = Donation.Status.PAID
        donation.paid_at = received_at or timezone.now()
        donation.save()
        log(
            donation,
            LOG_MARK_RECEIVED,
            user=user,
            title=donation.reference,
            data={
                "amount": money.plain(donation.amount, donation.currency),
                "currency": donation.currency,
                "received_at": donation.paid_at.isoformat(),
            },
        )
        _receipt_on_commit(donation)
    return donation


def send_receipt(*, donation_id: int) -> bool:
    """Mail the donor a receipt, once. True if one was sent now.

    The receipt is claimed in one short transaction and mailed outside it (a slow mail server
    must not hold the database); if mailing fails the claim is given back, for the worker's
    retry."""
    from samizdat.donations.mail import send_receipt_mail

    claimed_at = timezone.now()
    claimed = (
        Donation.objects.filter(
            pk=donation_id, status=Donation.Status.PAID, receipt_sent_at__isnull=True
        )
        .exclude(email="")
        .update(receipt_sent_at=claimed_at, receipt_error="")
    )
    if not claimed:
        return False
    donation = Donation.objects.select_related("gift").get(pk=donation_id)
    try:
        send_receipt_mail(donation)
    except Exception:
        Donation.objects.filter(pk=donation_id, receipt_sent_at=claimed_at).update(
            receipt_sent_at=None
        )
        raise
    return True


RECEIPT_ATTEMPTS = 5


def send_missed_receipts(*, now: datetime.datetime) -> int:
    """Receipts whose task failed: try again, for a month. A receipt the mail server refuses
    is tried ``RECEIPT_ATTEMPTS`` times, then left with its reason for staff to see, and
    never holds up the others; when the server cannot be reached at all, the rest wait for
    the next round."""
    due = (
        Donation.objects.filter(
            status=Donation.Status.PAID,
            receipt_sent_at__isnull=True,
            receipt_attempts__lt=RECEIPT_ATTEMPTS,
            paid_at__gte=now - datetime.timedelta(days=30),
            paid_at__lte=now - datetime.timedelta(minutes=10),
        )
        .exclude(email="")
        .order_by("paid_at")
    )
    sent = 0
    for pk in due.values_list("pk", flat=True)[:100]:
        try:
            sent += send_receipt(donation_id=pk)
        except Exception as error:
            if _unreachable(error):
                logger.warning(
                    "the mail server cannot be reached (%s); receipts wait for the next round",
                    type(error).__name__,
                )
                break
            reason = _refusal(error)
            temporary = isinstance(error, smtplib.SMTPResponseException) and (
                400 <= error.smtp_code < 500
            )
            Donation.objects.filter(pk=pk).update(
                receipt_attempts=F("receipt_attempts") + (0 if temporary else 1),
                receipt_error=reason,
            )
            logger.warning("the receipt for donation %s was not sent: %s", pk, reason)
    return sent


def _unreachable(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPServerDisconnected):
        return True
    # Refused connections and timeouts; SMTP's own errors are OSErrors too, but answers.
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _refusal(error: Exception) -> str:
    """Why a receipt was not sent, in words that name no address (SMTP errors quote them)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in error.recipients.values()})
        return f"the mail server refused the address ({', '.join(map(str, codes))})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the mail server refused the letter ({error.smtp_code})"
    return f"the letter could not be sent ({type(error).__name__})"


def forget_old_payloads(*, now: datetime.datetime) -> int:
    """Drop raw provider payloads older than the retention period; keep the log line."""
    cutoff = now - datetime.timedelta(days=settings.DONATIONS_EVENT_PAYLOAD_DAYS)
    return ProviderEvent.objects.filter(received_at__lt=cutoff, payload__isnull=False).update(
        payload=None
    )


def forget_unpaid_pledges(*, now: datetime.datetime) -> int:
    """Delete pledged gifts (a bank transfer announced at checkout) whose money has not
    arrived after ``DONATIONS_PLEDGE_DAYS``: the reader's name and address are kept no longer
    than the pledge is worth waiting for. Paid gifts are never touched. One DELETE: safe in
    several workers at once. Returns how many went."""
    cutoff = now - datetime.timedelta(days=settings.DONATIONS_PLEDGE_DAYS)
    deleted, _by_model = Donation.objects.filter(
        provider__in=registry.with_capability("records_pledge"),
        status=Donation.Status.PENDING,
        created_at__lt=cutoff,
    ).delete()
    if deleted:
        logger.info("deleted %s pledged gifts never paid", deleted)
    return deleted


# Erasing donors ------------------------------------------------------------------------


@dataclass(frozen=True)
class DonorRecords:
    """Everything kept about one donor: their gifts, recurring gifts, and the provider events
    whose payloads (kept ``DONATIONS_EVENT_PAYLOAD_DAYS``) mention them."""

    donations: list[Donation]
    gifts: list[RecurringGift]
    events: int

    def emails(self) -> set[str]:
        found = {donation.email for donation in self.donations}
        return (found | {gift.email for gift in self.gifts}) - {""}

    def names_anyone(self) -> bool:
        rows: list[Donation | RecurringGift] = [*self.donations, *self.gifts]
        return any(row.email or row.name for row in rows)

    def counts(self) -> dict[str, int]:
        return {
            "donations": len(self.donations),
            "recurring_gifts": len(self.gifts),
            "events": self.events,
        }

    def refusal(self) -> str:
        """Why they cannot be erased now ("" if they can): a recurring gift that still runs
        at its provider would go on charging them, and its next payment would bring their
        name and address back."""
        running = [gift for gift in self.gifts if gift.status != RecurringGift.Status.CANCELLED]
        if not running:
            return ""
        providers = ", ".join(sorted({registry.label(gift.provider) for gift in running}))
        return ngettext(
            "This donor has a recurring gift that is still running (%(providers)s). Cancel "
            "it at the provider first (in its dashboard, or ask the donor to cancel it "
            "through “Manage my donation”); once the cancellation has arrived here, erase the "
            "donor.",
            "This donor has %(count)d recurring gifts that are still running "
            "(%(providers)s). Cancel them at the provider first (in its dashboard, or ask "
            "the donor to cancel them through “Manage my donation”); once the cancellations have "
            "arrived here, erase the donor.",
            len(running),
        ) % {"count": len(running), "providers": providers}


def address_forms(email: str) -> set[str]:
    """The ways an address may be stored with a gift: as the donor or the provider wrote it,
    as the donate form normalised it (the domain in lower case, or in ASCII), all lower case."""
    raw = email.strip()
    if not raw:
        return set()
    found = {raw, raw.lower()}
    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return found
    for form in (valid.normalized, valid.ascii_email):
        if form:
            found |= {form, form.lower()}
    return found


def donor_records(
    *,
    emails: Collection[str] = (),
    donation_ids: Collection[int] = (),
    gift_ids: Collection[int] = (),
    lock: bool = False,
) -> DonorRecords:
    """The records of the donor with these addresses (exact matches only) and of these gifts,
    with their recurring gifts and those gifts' payments. ``lock``: inside a transaction,
    hold the rows until it ends."""
    wanted = {email for email in emails if email}
    gifts_found = Q(pk__in=list(gift_ids)) | Q(
        pk__in=Donation.objects.filter(pk__in=list(donation_ids)).values("gift_id")
    )
    if wanted:
        gifts_found |= Q(email__in=wanted)
    gifts_query = RecurringGift.objects.filter(gifts_found).order_by("pk")
    gifts = list(gifts_query.select_for_update() if lock else gifts_query)
    donations_found = Q(pk__in=list(donation_ids)) | Q(gift__in=[gift.pk for gift in gifts])
    if wanted:
        donations_found |= Q(email__in=wanted)
    donations_query = Donation.objects.filter(donations_found).order_by("pk")
    donations = list(donations_query.select_for_update() if lock else donations_query)
    events = _events_naming(_identifiers(wanted, donations, gifts)).count()
    return DonorRecords(donations=donations, gifts=gifts, events=events)


MIN_IDENTIFIER = 6  # shorter strings could be part of anyone's payload


def _identifiers(
    emails: Iterable[str], donations: list[Donation], gifts: list[RecurringGift]
) -> set[str]:
    found = set(emails)
    for donation in donations:
        found |= {donation.provider_payment_id, donation.provider_intent_id, donation.reference}
        found |= {donation.email, donation.name}
    for gift in gifts:
        found |= {gift.provider_gift_id, gift.provider_customer_id, gift.reference}
        found |= {gift.email, gift.name}
    return {value for value in found if len(value) >= MIN_IDENTIFIER}


def _events_naming(identifiers: set[str]) -> Any:
    """Provider events whose kept payload mentions any of ``identifiers``. Payloads are
    encrypted (the database cannot search them) and kept only for days: each is read here."""
    if not identifiers:
        return ProviderEvent.objects.none()
    wanted = {value.lower() for value in identifiers}
    kept = ProviderEvent.objects.filter(payload__isnull=False).values_list("pk", "payload")
    mentioning = [
        pk
        for pk, payload in kept.iterator()
        if any(value in json.dumps(payload, ensure_ascii=False).lower() for value in wanted)
    ]
    return ProviderEvent.objects.filter(pk__in=mentioning)


def _erase(records: DonorRecords, emails: Iterable[str] = ()) -> dict[str, int]:
    """Inside a transaction: blank the donor's name and address on their gifts (amounts,
    currencies, dates and the providers' payment ids stay: the accounts must still add up),
    their customer id at the provider, and drop the payloads of events that mention them."""
    identifiers = _identifiers(emails, records.donations, records.gifts)
    # The address's keyed digest goes with it (an update does not recompute it).
    Donation.objects.filter(pk__in=[d.pk for d in records.donations]).update(
        email="", email_hash="", name=""
    )
    RecurringGift.objects.filter(pk__in=[g.pk for g in records.gifts]).update(
        email="", email_hash="", name="", provider_customer_id=""
    )
    events = _events_naming(identifiers).update(payload=None)
    # Links to manage their gifts not yet used or expired: a day's worth at most.
    ManageLink.objects.filter(email__in={*emails, *records.emails()} - {""}).delete()
    return {**records.counts(), "events": events}


@transaction.atomic
def erase_donor(
    *, donation_id: int | None = None, gift_id: int | None = None, user: Any = None
) -> dict[str, int]:
    """Erase the donor of a gift or a recurring gift: every record with their address, their
    recurring gifts and those gifts' payments. ErasureRefused (nothing changes) while one of
    their recurring gifts still runs. The audit log records who (``user``) and how many
    records, never whom. Returns the counts."""
    donation_ids = [donation_id] if donation_id else []
    gift_ids = [gift_id] if gift_id else []
    emails = donor_records(donation_ids=donation_ids, gift_ids=gift_ids).emails()
    records = donor_records(emails=emails, donation_ids=donation_ids, gift_ids=gift_ids, lock=True)
    refusal = records.refusal()
    if refusal:
        raise ErasureRefused(refusal)
    erased = _erase(records, emails)
    log_without_whom(Donation, LOG_ERASE_DONOR, user=user, data=erased, title=gettext("donor"))
    logger.info("erased a donor on request")
    return erased


def count_person(*, email: str) -> dict[str, int]:
    """What donations keep about the person at ``email`` ("Erase a person")."""
    return donor_records(emails=address_forms(email)).counts()


def person_refusal(*, email: str) -> str:
    return donor_records(emails=address_forms(email)).refusal()


@transaction.atomic
def erase_person(*, email: str) -> dict[str, int]:
    """Erase the donor at ``email`` ("Erase a person", which logs it); ErasureRefused while a
    recurring gift of theirs still runs."""
    emails = address_forms(email)
    records = donor_records(emails=emails, lock=True)
    refusal = records.refusal()
    if refusal:
        raise ErasureRefused(refusal)
    return _erase(records, emails)


def record_export(*, what: str, rows: int, export_format: str, user: Any) -> None:
    """Staff downloaded a list of gifts or recurring gifts (names and addresses): who, when,
    which list, in which format and how many rows; not which rows."""
    log_without_whom(
        Donation,
        LOG_EXPORT,
        user=user,
        data={"list": what, "rows": rows, "format": export_format},
        title=gettext("gift list"),
    )


# --- "manage my gift" links ------------------------------------------------------------------


def recurring_gifts(email: str) -> list[RecurringGift]:
    if not email:
        return []
    return list(RecurringGift.objects.filter(email__in=address_forms(email)).order_by("pk"))


@transaction.atomic
def request_manage_link(*, email: str, language: str, now: datetime.datetime | None = None) -> None:
    """Someone asked for a link to manage the gifts of ``email``.

    A link is prepared only if the address has recurring gifts, but a task is queued either
    way (with the link's id, or none), so the asker sees the same work and the same answer:
    nobody learns from it who gives."""
    from samizdat.donations.tasks import send_manage_link

    now = now or timezone.now()
    link_id: int | None = None
    if RecurringGift.objects.filter(email__in=address_forms(email)).exists():
        link_id = ManageLink.objects.create(
            email=email.strip(),
            language=known(language),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.DONATIONS_MANAGE_LINK_HOURS),
        ).pk
    transaction.on_commit(lambda: send_manage_link.enqueue(link_id=link_id))


@transaction.atomic
def issue_manage_token(*, link_id: int, now: datetime.datetime | None = None) -> str | None:
    """A fresh token for the letter of a link still unused and unexpired; its digest replaces
    any earlier one. None when there is nothing to send."""
    now = now or timezone.now()
    token, digest = tokens.new_token()
    updated = ManageLink.objects.filter(
        pk=link_id, used_at__isnull=True, expires_at__gt=now
    ).update(token_hash=digest)
    return token if updated else None


@transaction.atomic
def open_manage_link(*, email: str, language: str, now: datetime.datetime | None = None) -> str:
    """A link for an address already proven to be the donor's (by a link of the old form),
    returned at once: its token."""
    now = now or timezone.now()
    token, digest = tokens.new_token()
    ManageLink.objects.create(
        token_hash=digest,
        email=email.strip(),
        language=known(language),
        created_at=now,
        expires_at=now + datetime.timedelta(hours=settings.DONATIONS_MANAGE_LINK_HOURS),
    )
    return token


def find_manage_link(token: str, *, now: datetime.datetime | None = None) -> ManageLink | None:
    """The link a token opens, while it is unused and unexpired."""
    if not token or len(token) > 200:
        return None
    now = now or timezone.now()
    return ManageLink.objects.filter(
        token_hash=tokens.digest(token), used_at__isnull=True, expires_at__gt=now
    ).first()


@transaction.atomic
def use_manage_link(*, link_id: int, now: datetime.datetime | None = None) -> bool:
    """The link opened a provider's page: it is used up and forgets the address. False if it
    was used (or expired) meanwhile."""
    now = now or timezone.now()
    return bool(
        ManageLink.objects.filter(pk=link_id, used_at__isnull=True, expires_at__gt=now).update(
            used_at=now, email="", email_hash=""
        )
    )


def forget_manage_links(*, now: datetime.datetime) -> int:
    """Delete expired links (with the addresses of those never used)."""
    deleted, _by_model = ManageLink.objects.filter(expires_at__lt=now).delete()
    return deleted
