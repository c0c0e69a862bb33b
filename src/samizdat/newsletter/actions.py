"""State changes of the newsletter, as functions named after what happens.

Each takes explicit keyword arguments (never a request), runs in one transaction and leaves
side effects (mail, queued tasks) to ``transaction.on_commit``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from wagtail.log_actions import log
from wagtail.models import Locale, ModelLogEntry, Page

from samizdat.core import tokens
from samizdat.core.addresses import InvalidAddress, normalise_email
from samizdat.core.audit import log_without_whom
from samizdat.core.paths import language_roots, public_path
from samizdat.core.signals import announce_change
from samizdat.newsletter import outbox
from samizdat.newsletter.models import (
    Consent,
    Delivery,
    Edition,
    EditionItem,
    ErasedConsentCount,
    NewsletterPage,
    Subscriber,
    Suppression,
    email_hash,
)
from samizdat.publishing.actions import without_page_log_lines
from samizdat.publishing.models import HomePage, feed_paths
from samizdat.publishing.models import articles as live_articles

logger = logging.getLogger(__name__)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NEWSLETTER_PAGE_TITLES = {"en": "Newsletter", "ru": "Рассылка"}
NEWSLETTER_PAGE_INTROS = {
    "en": "One letter a week: the most important stories, picked by our editors.",
    "ru": "Одно письмо в неделю: главные материалы, которые выбрали редакторы.",
}
MAIL_FORM = "mail"  # the consent's form of a signup by mail
# The Message-ID every letter of an edition carries (see ``mail.PreparedEdition``).
OUR_MESSAGE_ID = re.compile(r"<newsletter\.(\d+)\.(\d+)@[^>]+>")
MAX_TEST_ADDRESSES = 10

# What the admin's history (Reports → Site history, an edition's history) records of the
# send screen; the labels are registered in ``wagtail_hooks``. Never an address.
LOG_TEST_SEND = "newsletter.test_send"
LOG_SEND = "newsletter.send"
LOG_SCHEDULE = "newsletter.schedule"
LOG_UNSCHEDULE = "newsletter.unschedule"
LOG_FILL = "newsletter.fill"
# Personal data: who exported the subscribers (how many, which format) and who erased one
# (how many records): never whom.
LOG_EXPORT = "newsletter.export"
LOG_ERASE = "newsletter.erase"


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email_hash=email_hash(email)).exists()


def _queue_confirmation(subscriber_id: int) -> None:
    from samizdat.newsletter.tasks import send_confirmation

    transaction.on_commit(lambda: send_confirmation.enqueue(subscriber_id))


@transaction.atomic
def subscribe(
    *, email: str, language: str, form: str, wording: str, policy_version: int
) -> Subscriber | None:
    """Record a signup and its consent, and mail a confirmation link.

    The subscriber stays pending until they confirm. An address that is already subscribed,
    or that bounced or complained before, gets nothing; callers answer the same way in every
    case so the response never tells whether an address is on the list.
    """
    address = normalise_email(email)
    if is_suppressed(address):
        logger.info("signup for a suppressed address ignored")
        return None
    subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
    if subscriber is not None and subscriber.status == Subscriber.Status.ACTIVE:
        return subscriber
    if subscriber is None:
        subscriber = Subscriber.objects.create(email=address, language=language, source=form)
    else:
        subscriber.status = Subscriber.Status.PENDING
        subscriber.language = language
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "language", "unsubscribed_at"])
    Consent.objects.create(
        subscriber=subscriber,
        policy_version=policy_version,
        wording=wording,
        form=form,
        language=language,
    )
    _queue_confirmation(subscriber.pk)
    return subscriber


@transaction.atomic
def confirm_subscription(*, subscriber_id: int, email_digest: str) -> Subscriber | None:
    """A pending subscriber clicked a confirmation link of the old form, mailed before links
    carried random tokens: they are on the list from now on.

    Such a link names the subscriber and the first 16 hex digits of the plain SHA-256 of their
    address, the digest stored then; the stored digest is keyed now, so the link is checked
    against the address itself."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or len(email_digest) < 16:
        return None
    plain = hashlib.sha256(subscriber.email.strip().lower().encode()).hexdigest()
    if not hmac.compare_digest(plain[: len(email_digest)], email_digest):
        return None
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["status", "confirmed_at"])
    return subscriber if subscriber.status == Subscriber.Status.ACTIVE else None


def issue_confirm_token(*, subscriber_id: int, now: datetime | None = None) -> str | None:
    """A fresh confirmation token for a pending subscriber's letter; its digest replaces any
    earlier one (the latest letter's link is the one that works). None if not pending."""
    now = now or timezone.now()
    token, digest = tokens.new_token()
    updated = Subscriber.objects.filter(pk=subscriber_id, status=Subscriber.Status.PENDING).update(
        confirm_token_hash=digest,
        confirm_expires_at=now + timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS),
    )
    return token if updated else None


def pending_by_confirm_token(token: str, *, now: datetime | None = None) -> Subscriber | None:
    """The subscriber a confirmation link is for, while it is unused and unexpired."""
    if not token or len(token) > 200:
        return None
    return Subscriber.objects.filter(
        confirm_token_hash=tokens.digest(token), confirm_expires_at__gt=now or timezone.now()
    ).first()


@transaction.atomic
def confirm_by_token(*, token: str, now: datetime | None = None) -> Subscriber | None:
    """A pending subscriber clicked their link: they are on the list from now on, and the
    link is used up."""
    now = now or timezone.now()
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(confirm_token_hash=tokens.digest(token), confirm_expires_at__gt=now)
        .first()
        if token and len(token) <= 200
        else None
    )
    if subscriber is None:
        return None
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    fields = ["confirm_token_hash", "confirm_expires_at"]
    if subscriber.status == Subscriber.Status.PENDING:
        subscriber.status = Subscriber.Status.ACTIVE
        subscriber.confirmed_at = now
        fields += ["status", "confirmed_at"]
    subscriber.save(update_fields=fields)
    return subscriber if subscriber.status == Subscriber.Status.ACTIVE else None


def subscribe_by_mail(*, email: str, language: str) -> Subscriber | None:
    """A reader wrote "subscribe" to the newsletter's address (``samizdat newsletter
    receive``): the same pending signup as the form's, with a confirmation letter they confirm
    by its link or by replying. What they agreed to is the invitation the pages show beside
    that address; a few confirmation letters a day at most for one address, as for the form."""
    from samizdat.core.public_forms import allow
    from samizdat.newsletter.forms import mail_consent_wording
    from samizdat.publishing.models import privacy_policy

    try:
        address = normalise_email(email)
    except InvalidAddress:
        return None
    if not allow("signup-address", address, limit=3, window=24 * 3600):
        logger.info("signup by mail: too many for one address today; ignored")
        return None
    policy = privacy_policy(language) or {"version": 0}
    return subscribe(
        email=address,
        language=language,
        form=MAIL_FORM,
        wording=mail_consent_wording(language),
        policy_version=policy["version"],
    )


@transaction.atomic
def confirm_by_reply(*, token: str, sender: str) -> Subscriber | None:
    """A pending subscriber replied to their confirmation letter, keeping its "confirm …"
    line: confirmed as by the link, if the reply comes from the address being confirmed."""
    subscriber = pending_by_confirm_token(token)
    try:
        same = subscriber is not None and normalise_email(sender) == subscriber.email
    except InvalidAddress:
        same = False
    if not same:
        return None
    return confirm_by_token(token=token)


@transaction.atomic
def unsubscribe(*, subscriber_id: int) -> Subscriber | None:
    """Take a subscriber off the list at once. Idempotent."""
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return None
    if subscriber.status in {Subscriber.Status.ACTIVE, Subscriber.Status.PENDING}:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
        # Letters of an edition still going out are not sent to them either.
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, error="unsubscribed before sending"
        )
    return subscriber


@transaction.atomic
def erase_subscriber(*, subscriber_id: int, user: Any = None) -> bool:
    """Delete a subscriber and everything about them, on their request.

    Their consents survive only as counts (policy version, form, language, month). A
    suppression entry (a digest of a bouncing or complaining address) stays, so the newsroom
    never mails an address that asked not to be mailed. The audit log records who erased a
    subscriber (``user``) and how many records went, never whom.
    """
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    erased = _erase(subscriber)
    log_without_whom(
        Subscriber, LOG_ERASE, user=user, data=erased, title=gettext("erased subscriber")
    )
    logger.info("erased a subscriber on request")
    return True


def _erase(subscriber: Subscriber, addresses: Iterable[str] = ()) -> dict[str, int]:
    """Inside a transaction: the subscriber, their consents (kept as anonymous counts), the
    record of every letter to them, the admin's history lines that name them (their label is
    the address) and, once committed, the copies of their mail in the local outbox."""
    consents = list(subscriber.consents.all())
    for consent in consents:
        month = consent.created_at.date().replace(day=1)
        row, _created = ErasedConsentCount.objects.get_or_create(
            policy_version=consent.policy_version,
            form=consent.form,
            language=consent.language,
            month=month,
        )
        ErasedConsentCount.objects.filter(pk=row.pk).update(count=F("count") + 1)
    deliveries = subscriber.deliveries.count()
    _forget_history([subscriber.pk])
    copies = outbox.holding({subscriber.email, *addresses})
    subscriber.delete()
    transaction.on_commit(lambda: outbox.delete(copies))
    return {
        "subscribers": 1,
        "consents": len(consents),
        "deliveries": deliveries,
        "outbox": len(copies),
    }


def _forget_history(subscriber_ids: Iterable[int]) -> None:
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Subscriber),
        object_id__in=[str(pk) for pk in subscriber_ids],
    ).delete()


# What "Erase a person" (core.actions) counts and erases here, in this order.
PERSON_KINDS = ("subscribers", "consents", "deliveries", "outbox")


def _address(email: str) -> str | None:
    try:
        return normalise_email(email)
    except InvalidAddress:
        return None


def count_person(*, email: str) -> dict[str, int]:
    """What the newsletter keeps about the person at ``email``: their subscription, its
    consents, the records of letters to the address and copies of mail in the outbox."""
    counts = dict.fromkeys(PERSON_KINDS, 0)
    address = _address(email)
    if address is None:
        return counts
    subscriber = Subscriber.objects.filter(email=address).first()
    if subscriber is not None:
        counts["subscribers"] = 1
        counts["consents"] = subscriber.consents.count()
    counts["deliveries"] = _deliveries_of(address, subscriber).count()
    counts["outbox"] = len(outbox.holding({email, address}))
    return counts


def _deliveries_of(address: str, subscriber: Subscriber | None) -> Any:
    found = Q(email=address)
    if subscriber is not None:
        found |= Q(subscriber=subscriber)
    return Delivery.objects.filter(found)


@transaction.atomic
def erase_person(*, email: str) -> dict[str, int]:
    """Erase everything the newsletter keeps about the person at ``email`` (as
    ``erase_subscriber`` does, plus any letter record and outbox copy holding the address).
    Its caller records the erasure in the audit log."""
    erased = dict.fromkeys(PERSON_KINDS, 0)
    address = _address(email)
    if address is None:
        return erased
    subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
    if subscriber is not None:
        erased.update(_erase(subscriber, {email, address}))
    else:
        copies = outbox.holding({email, address})
        transaction.on_commit(lambda: outbox.delete(copies))
        erased["outbox"] = len(copies)
    stray, _by_model = _deliveries_of(address, None).delete()
    erased["deliveries"] += stray
    return erased


def record_subscriber_export(*, rows: int, export_format: str, user: Any) -> None:
    """Staff downloaded the subscriber list (or part of it): the audit log says who, when,
    in which format and how many rows; not which (a search may hold an address)."""
    log_without_whom(
        Subscriber,
        LOG_EXPORT,
        user=user,
        data={"rows": rows, "format": export_format},
        title=gettext("subscriber list"),
    )


FORGET_BATCH = 500


def forget_unconfirmed(*, now: datetime) -> int:
    """Delete the subscribers who never confirmed, with their consents, once their
    confirmation link has run out (``NEWSLETTER_CONFIRM_DAYS`` after they last signed up):
    anyone can type anyone's address into the form. Nothing of them is kept, not even a
    count: they never consented.

    Safe in several workers at once (rows being changed by a signup are skipped and taken
    next time); returns how many were deleted."""
    cutoff = now - timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
    signed_up_since = Consent.objects.filter(subscriber=OuterRef("pk"), created_at__gte=cutoff)
    due = Subscriber.objects.filter(
        status=Subscriber.Status.PENDING, confirmed_at__isnull=True, created_at__lt=cutoff
    ).exclude(Exists(signed_up_since))
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:FORGET_BATCH]
            )
            if not batch:
                break
            _forget_history(batch)
            Subscriber.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
        if len(batch) < FORGET_BATCH:
            break
    if deleted:
        logger.info("deleted %s subscribers who never confirmed", deleted)
    return deleted


ADDRESS_IN_TEXT = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


def suppress(*, email: str, reason: str, detail: str = "") -> None:
    """Never mail this address again. Only its digest is kept: addresses in the detail (mail
    servers quote them in their replies) are blanked."""
    Suppression.objects.get_or_create(
        email_hash=email_hash(email),
        defaults={"reason": reason, "detail": ADDRESS_IN_TEXT.sub("<address>", detail)[:300]},
    )


@transaction.atomic
def record_bounce(
    *, email: str, kind: str, detail: str = "", message_id: str = "", permanent: bool = True
) -> Subscriber | None:
    """A hard bounce or a complaint: suppress the address, mark the subscriber and the
    delivery it concerned. ``kind`` is "bounced", "complained" or "rejected". A bounce that is
    not ``permanent`` (a full mailbox the mail service gave up on) marks only the letter."""
    try:
        address = normalise_email(email)
    except InvalidAddress:
        logger.warning("bounce for an address that is not one we write to: ignored")
        return None
    if permanent:
        suppress(email=address, reason=kind, detail=detail)
    subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
    if subscriber is None:
        return None
    if permanent:
        subscriber.status = (
            Subscriber.Status.COMPLAINED if kind == "complained" else Subscriber.Status.BOUNCED
        )
        subscriber.save(update_fields=["status"])
    deliveries = Delivery.objects.filter(subscriber=subscriber)
    if message_id:
        ours = OUR_MESSAGE_ID.search(message_id)
        matched = (
            deliveries.filter(edition_id=int(ours.group(1)), pk=int(ours.group(2)))
            if ours
            else deliveries.filter(provider_message_id=message_id)
        )
        if matched.exists():
            deliveries = matched
    delivery = deliveries.exclude(status=Delivery.Status.PENDING).order_by("-pk").first()
    if delivery is not None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.BOUNCED, error=f"{kind}: {detail}"[:500]
        )
    if permanent:
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, error=f"address {kind} earlier"
        )
    return subscriber


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


@transaction.atomic
def import_subscribers(
    *,
    csv_text: str,
    source: str,
    previously_consented: bool,
    default_language: str,
    policy_version: int,
) -> ImportResult:
    """Add subscribers from CSV (``email`` column, optional ``language``).

    Imported addresses confirm by mail like any signup, unless the newsroom states they
    consented before (to its earlier list); the consent then records that statement and source.
    Rows with errors are reported and skipped; the rest import.
    """
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(csv_text))
    if not reader.fieldnames or "email" not in [name.strip().lower() for name in reader.fieldnames]:
        result.errors.append(gettext("The file needs a header row with an “email” column."))
        return result
    languages = {code for code, _name in settings.LANGUAGES}
    now = timezone.now()
    for number, raw in enumerate(reader, start=2):
        row = {
            key.strip().lower(): (value or "").strip()
            for key, value in raw.items()
            if isinstance(key, str) and not isinstance(value, list)  # extra cells: ignored
        }
        try:
            address = normalise_email(row.get("email", ""))
        except InvalidAddress as error:
            result.errors.append(
                gettext("Line %(line)s: %(error)s") % {"line": number, "error": error}
            )
            continue
        language = row.get("language") or default_language
        if language not in languages:
            result.errors.append(
                gettext("Line %(line)s: unknown language “%(language)s”.")
                % {"line": number, "language": language}
            )
            continue
        if is_suppressed(address):
            result.skipped += 1
            continue
        subscriber = Subscriber.objects.filter(email=address).first()
        if subscriber is not None and subscriber.status != Subscriber.Status.PENDING:
            result.skipped += 1  # never resubscribe someone who left or is already in
            continue
        if subscriber is None:
            subscriber = Subscriber(email=address, language=language, source=source[:100])
            result.created += 1
        else:
            result.updated += 1
        if previously_consented:
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.confirmed_at = now
        subscriber.save()
        Consent.objects.create(
            subscriber=subscriber,
            policy_version=policy_version,
            wording=(
                f"Imported from “{source}”; the newsroom states this person consented before."
                if previously_consented
                else f"Imported from “{source}”; asked to confirm by mail."
            ),
            form="import",
            language=language,
        )
        if not previously_consented:
            _queue_confirmation(subscriber.pk)
    return result


# Editions ------------------------------------------------------------------------------


def week_slot(now: datetime) -> datetime:
    """The next weekly send time (weekday and time from settings, newsroom time zone)."""
    zone = timezone.get_default_timezone()
    local = now.astimezone(zone)
    weekday = WEEKDAYS.index(settings.NEWSLETTER_WEEKDAY)
    hour, minute = (int(part) for part in settings.NEWSLETTER_TIME.split(":"))
    days = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days), time(hour, minute), zone)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate


@transaction.atomic
def fill_with_recent_articles(
    *, edition_id: int, since: datetime, limit: int = 8, user: Any = None
) -> int:
    """Pre-fill an edition with the stories published since ``since`` (newest first).

    ``user``: who asked (None for the worker), for the edition's history.
    """
    edition = Edition.objects.select_for_update().get(pk=edition_id)
    if not edition.editable:
        return 0
    picked = set(edition.items.values_list("article_id", flat=True))
    rows = (
        live_articles()
        .filter(locale__language_code=edition.language, first_published_at__gte=since)
        .exclude(pk__in=picked)
        .values_list("pk", flat=True)[:limit]
    )
    start = edition.items.count()
    items = [
        EditionItem(edition=edition, article_id=pk, sort_order=start + offset)
        for offset, pk in enumerate(rows)
    ]
    EditionItem.objects.bulk_create(items)
    if items:
        log(edition, LOG_FILL, user=user, data={"stories": len(items)}, content_changed=True)
    return len(items)


def plan_weekly_editions(*, now: datetime) -> list[Edition]:
    """Make sure each language has a draft for the next weekly slot, pre-filled with the
    stories published since the previous edition. Safe with several workers at once."""
    slot = week_slot(now)
    created = []
    for language, _name in settings.LANGUAGES:
        with transaction.atomic():
            serialise("newsletter-plan")
            if Edition.objects.filter(
                language=language, send_at__gt=slot - timedelta(days=6), send_at__lte=slot
            ).exists():
                continue
            previous = (
                Edition.objects.filter(language=language, send_at__lt=slot)
                .order_by("-send_at")
                .values_list("send_at", flat=True)
                .first()
            )
            edition = Edition.objects.create(
                language=language, subject=weekly_subject(language, slot.date()), send_at=slot
            )
            fill_with_recent_articles(
                edition_id=edition.pk, since=previous or slot - timedelta(days=7)
            )
        created.append(edition)
    return created


def serialise(name: str) -> None:
    """Inside a transaction: wait for any other transaction holding the same name.

    PostgreSQL takes an advisory lock; SQLite transactions here begin IMMEDIATE, which already
    takes the database's write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


def weekly_subject(language: str, day: date) -> str:
    from django.utils import formats, translation

    with translation.override(language):
        return gettext("%(site)s weekly, %(date)s") % {
            "site": settings.SITE_NAME,
            "date": formats.date_format(day, "DATE_FORMAT"),
        }


@transaction.atomic
def schedule_edition(*, edition_id: int, send_at: datetime, user: Any = None) -> Edition:
    """Have the worker send the edition at ``send_at``; ``user``: who asked, for its history."""
    edition = Edition.objects.select_for_update().get(pk=edition_id)
    if not edition.editable:
        raise ValueError(gettext("This edition has already gone out."))
    if not edition.items.exists():
        raise ValueError(gettext("Pick at least one story first."))
    edition.send_at = send_at
    edition.status = Edition.Status.SCHEDULED
    edition.save(update_fields=["send_at", "status"])
    log(edition, LOG_SCHEDULE, user=user, data={"send_at": send_at.isoformat()})
    return edition


@transaction.atomic
def unschedule_edition(*, edition_id: int, user: Any = None) -> Edition:
    """Make a scheduled edition a draft again; ``user``: who asked, for its history."""
    edition = Edition.objects.select_for_update().get(pk=edition_id)
    if edition.status == Edition.Status.SCHEDULED:
        edition.status = Edition.Status.DRAFT
        edition.save(update_fields=["status"])
        log(edition, LOG_UNSCHEDULE, user=user)
    return edition


def send_edition(*, edition_id: int, user: Any = None) -> int:
    """Start sending an edition now: freeze its content and its audience, queue the sending.

    Only one caller wins the change from draft/scheduled to sending, so two workers (or an
    editor and a worker) never start the same edition twice. The audience is the active
    subscribers of the edition's language up to the highest subscriber id at this moment; the
    first ``SAMIZDAT_NEWSLETTER_FREEZE_SLICE`` of them get their Delivery now and the rest
    while the letters go out (``freeze_slice``), so a list of a million starts in a second
    and its senders never wait for the whole list to be written first. Returns the number of
    letters to send, or 0 when the edition was already started (see ``resume_edition``). The
    start goes into the edition's history with ``user`` (None: the worker, on schedule) and
    the number of letters.
    """
    from samizdat.newsletter.mail import render

    edition = Edition.objects.get(pk=edition_id)
    if not edition.items.exists():
        raise ValueError(gettext("Pick at least one story first."))
    rendered = render(edition)
    with transaction.atomic():
        won = Edition.objects.filter(
            pk=edition_id, status__in=[Edition.Status.DRAFT, Edition.Status.SCHEDULED]
        ).update(
            status=Edition.Status.SENDING,
            started_at=Now(),  # the database's clock, like the claims' (see sending)
            frozen_subject=rendered.subject,
            frozen_html=rendered.html,
            frozen_text=rendered.text,
            audience_through=Subscriber.objects.aggregate(last=Max("pk"))["last"] or 0,
            frozen_through=0,
        )
        if not won:
            return 0
        letters = _audience(edition.language).count()
        freeze_slice(edition_id=edition_id)
        log(edition, LOG_SEND, user=user, data={"letters": letters})
        transaction.on_commit(lambda: queue_sending(edition_id))
    logger.info("edition %s: sending to %s subscribers", edition_id, letters)
    return letters


def _audience(language: str, after: int = 0, through: int | None = None) -> Any:
    """Who gets an edition in ``language``: active, not suppressed; by subscriber id range."""
    suppressed = Suppression.objects.filter(email_hash=OuterRef("email_hash"))
    audience = Subscriber.objects.filter(
        language=language, status=Subscriber.Status.ACTIVE, pk__gt=after
    ).exclude(Exists(suppressed))
    return audience if through is None else audience.filter(pk__lte=through)


def freeze_slice(*, edition_id: int, claim: str = "", size: int | None = None) -> bool:
    """Write the Delivery rows of the audience among the next ``size``
    (``SAMIZDAT_NEWSLETTER_FREEZE_SLICE``) subscribers of a sending edition. False once the
    whole audience is frozen (or the edition is not sending); True when this call, or another
    sender at the same moment, froze a slice.

    The slice is taken with one conditional update of the edition's ``frozen_through``, so two
    senders never write the same slice; its rows are inserted in the same transaction. With
    ``claim`` (a sender's token) they are written claimed by that sender, stamped with the
    database's time as ``sending.claim`` stamps a claim: its letters are then written twice
    (frozen, recorded) instead of three times, which a million-letter edition notices.
    """
    from samizdat.newsletter.sending import database_now

    edition = (
        Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING)
        .values("language", "audience_through", "frozen_through")
        .first()
    )
    if edition is None or edition["frozen_through"] >= edition["audience_through"]:
        return False
    after, through = edition["frozen_through"], edition["audience_through"]
    size = max(size or settings.NEWSLETTER_FREEZE_SLICE, 1)
    # The slice ends ``size`` subscribers on, whatever their language and status: a walk of
    # the primary key alone. Counting only the audience let the planner sort the whole
    # (language, status) index instead, a second a slice on a million-subscriber list.
    ids = Subscriber.objects.filter(pk__gt=after, pk__lte=through)
    last = list(ids.order_by("pk").values_list("pk", flat=True)[size - 1 : size])
    upper = last[0] if last else through
    status = Delivery.Status.CLAIMED if claim else Delivery.Status.PENDING
    claimed_at = database_now() if claim else "NULL"
    with transaction.atomic():
        if not Edition.objects.filter(pk=edition_id, frozen_through=after).update(
            frozen_through=upper
        ):
            return True  # another sender took this slice
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Delivery._meta.db_table}
                    (edition_id, subscriber_id, email, email_hash, status, claim, claimed_at,
                     attempts, provider_message_id, error)
                SELECT %s, s.id, s.email, s.email_hash, %s, %s, {claimed_at}, 0, '', ''
                FROM {Subscriber._meta.db_table} s
                WHERE s.id > %s AND s.id <= %s AND s.language = %s AND s.status = %s
                  AND NOT EXISTS (SELECT 1 FROM {Suppression._meta.db_table} x
                                  WHERE x.email_hash = s.email_hash)
                ORDER BY s.id
                """,  # noqa: S608 (table names only)
                [
                    edition_id,
                    status,
                    claim,
                    after,
                    upper,
                    edition["language"],
                    Subscriber.Status.ACTIVE,
                ],
            )
    return True


def fully_frozen(edition_id: int) -> bool:
    return Edition.objects.filter(pk=edition_id, frozen_through__gte=F("audience_through")).exists()


def queue_sending(edition_id: int) -> None:
    from samizdat.newsletter.tasks import send_deliveries

    for _ in range(max(settings.NEWSLETTER_TASKS, 1)):
        send_deliveries.enqueue(edition_id)


def resume_edition(*, edition_id: int) -> int:
    """Send what a stopped worker left: stale claims (by the database's clock) go back to
    pending (see ``sending``). Returns the number of letters still to send."""
    from samizdat.newsletter.sending import release_stale_claims

    release_stale_claims(edition_id=edition_id)
    remaining = delivery_counts(edition_id)["pending"]
    if remaining or not fully_frozen(edition_id):
        queue_sending(edition_id)
    else:
        finish_edition(edition_id=edition_id)
    return remaining


def archive_paths(*, language: str, edition_ids: Iterable[int]) -> list[str]:
    """The public paths of sent editions: their language's newsletter page and feeds, and
    each edition's own page in the archive."""
    from samizdat.newsletter.models import NewsletterPage

    page = NewsletterPage.objects.live().filter(locale__language_code=language).first()
    base = public_path(page.url_path, language_roots()) if page is not None else None
    if base is None:
        return []
    return [base, *feed_paths(base), *(f"{base}{pk}/" for pk in edition_ids)]


def finish_edition(*, edition_id: int) -> bool:
    """Mark a sending edition sent once its whole audience is frozen and no letter is pending
    or being sent."""
    if not fully_frozen(edition_id):
        return False
    open_rows = Delivery.objects.filter(
        edition_id=edition_id, status__in=[Delivery.Status.PENDING, Delivery.Status.CLAIMED]
    )
    if open_rows.exists():
        return False
    finished = bool(
        Edition.objects.filter(pk=edition_id, status=Edition.Status.SENDING).update(
            status=Edition.Status.SENT, finished_at=timezone.now()
        )
    )
    if finished:
        # It is in the public archive now.
        language = Edition.objects.filter(pk=edition_id).values_list("language", flat=True).get()
        announce_change(Edition, archive_paths(language=language, edition_ids=[edition_id]))
    return finished


def delivery_counts(edition_id: int) -> dict[str, int]:
    counts = dict.fromkeys(Delivery.Status.values, 0)
    for row in (
        Delivery.objects.filter(edition_id=edition_id).values("status").annotate(n=Count("pk"))
    ):
        counts[row["status"]] = row["n"]
    edition = (
        Edition.objects.filter(pk=edition_id, frozen_through__lt=F("audience_through"))
        .values("language", "frozen_through", "audience_through")
        .first()
    )
    if edition is not None:  # the rest of the audience, not frozen yet, is pending too
        counts[Delivery.Status.PENDING] += _audience(
            edition["language"], edition["frozen_through"], edition["audience_through"]
        ).count()
    counts["total"] = sum(counts.values())
    return counts


def run_schedule(*, now: datetime) -> None:
    """What the worker does every minute: start due editions, resume stalled ones, and plan
    next week's drafts."""
    due = Edition.objects.filter(status=Edition.Status.SCHEDULED, send_at__lte=now)
    for edition_id in due.values_list("pk", flat=True):
        try:
            send_edition(edition_id=edition_id)
        except ValueError as error:  # e.g. its stories were deleted: back to the editor
            Edition.objects.filter(pk=edition_id, status=Edition.Status.SCHEDULED).update(
                status=Edition.Status.DRAFT
            )
            logger.error("edition %s could not start (%s); it is a draft again", edition_id, error)
    from samizdat.newsletter.sending import stale_before

    # Claims and records are stamped by the database: compared with its clock too.
    stale = stale_before()
    stalled = Edition.objects.filter(status=Edition.Status.SENDING, started_at__lte=stale)
    for edition_id in stalled.values_list("pk", flat=True):
        deliveries = Delivery.objects.filter(edition_id=edition_id)
        busy = deliveries.filter(
            Q(status=Delivery.Status.CLAIMED, claimed_at__gt=stale) | Q(sent_at__gt=stale)
        )
        if not busy.exists():
            resume_edition(edition_id=edition_id)
    plan_weekly_editions(now=now)


def send_test(*, edition_id: int, to: Sequence[str], user: Any = None) -> int:
    """Send the edition as it would go out now to a few addresses (no subscriber needed).

    Every address is checked before anything is sent (InvalidAddress names the first bad
    one). The edition's history records who sent the test and to how many addresses, never
    which. Returns the number of letters sent.
    """
    from django.core.mail import get_connection

    from samizdat.newsletter.mail import PreparedEdition, render

    addresses = list(dict.fromkeys(normalise_email(address) for address in to))
    if not addresses:
        raise InvalidAddress(gettext("Enter at least one address."))
    if len(addresses) > MAX_TEST_ADDRESSES:
        raise InvalidAddress(
            ngettext(
                "At most %(limit)d address at a time.",
                "At most %(limit)d addresses at a time.",
                MAX_TEST_ADDRESSES,
            )
            % {"limit": MAX_TEST_ADDRESSES}
        )
    edition = Edition.objects.get(pk=edition_id)
    rendered = render(edition)
    prepared = PreparedEdition(
        edition.pk, edition.language, replace(rendered, subject=f"[TEST] {rendered.subject}")
    )
    letters = [prepared.email_message(0, 0, address) for address in addresses]
    for letter in letters:
        letter.extra_headers[outbox.TEST_HEADER] = "yes"
    with get_connection() as mailer:
        mailer.send_messages(letters)
    log(edition, LOG_TEST_SEND, user=user, data={"recipients": len(addresses)})
    return len(addresses)


# Pages ---------------------------------------------------------------------------------


@transaction.atomic
@without_page_log_lines()
def ensure_newsletter_pages() -> None:
    """Give each language's front page a newsletter page (signup and archive)."""
    default = HomePage.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
    if default is None:
        return
    page = NewsletterPage.objects.child_of(default).first()
    if page is None:
        code = settings.LANGUAGE_CODE
        page = default.add_child(
            instance=NewsletterPage(
                title=NEWSLETTER_PAGE_TITLES.get(code, "Newsletter"),
                slug="newsletter",
                intro=NEWSLETTER_PAGE_INTROS.get(code, ""),
                locale=default.locale,
            )
        )
    for code, _name in settings.LANGUAGES:
        locale = Locale.objects.filter(language_code=code).first()
        if locale is None or page.get_translation_or_none(locale) is not None:
            continue
        if not Page.objects.filter(locale=locale, depth=default.depth).exists():
            continue
        translated = page.copy_for_translation(locale, copy_parents=False, alias=False)
        translated.title = NEWSLETTER_PAGE_TITLES.get(code, translated.title)
        translated.intro = NEWSLETTER_PAGE_INTROS.get(code, translated.intro)
        translated.save_revision().publish()
