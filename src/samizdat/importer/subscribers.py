"""An old list's readers brought in as newsletter subscribers, only with their consent.

A member becomes a confirmed subscriber only when the old system recorded when they signed
up; that date and where it was given are kept in the subscriber's Consent (form "import",
policy version 0: they agreed to the old site's terms, not to a version of ours). An address
that is on the list, left it, bounced or was marked as spam here stays as it is. Reports and
log lines carry counts and row numbers, never an address.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from samizdat.core.addresses import InvalidAddress, normalise_email
from samizdat.importer.records import ExportError, Member
from samizdat.newsletter.models import Consent, Subscriber, Suppression, email_hash

logger = logging.getLogger(__name__)

IMPORT_FORM = "import"  # the consent's form, as the newsletter's own CSV import writes it
IMPORTED_POLICY_VERSION = 0
BATCH = 500  # members looked up and written at a time
EMAIL_COLUMNS = ("email", "email_address", "e_mail", "mail")
NAME_COLUMNS = ("name", "full_name")
# The date each person consented, most telling first: a confirmed double opt-in, then the
# opt-in, then the signup.
CONSENT_COLUMNS = (
    "confirm_time",
    "confirmed_at",
    "optin_time",
    "opt_in_time",
    "subscribed_at",
    "subscription_date",
    "signup_date",
    "date_added",
    "date_subscribed",
    "created_at",
    "creation_date",
)
LANGUAGE_COLUMNS = ("language", "lang", "locale")
# A row marked as having left the list there (Mailchimp's unsubscribed and cleaned exports,
# Ghost's deleted members).
LEFT_COLUMNS = ("unsub_time", "unsubscribed_at", "clean_time", "cleaned_at", "deleted_at")
# A row whose mail the service stopped (bounces, spam complaints).
DISABLED_COLUMNS = ("email_disabled",)
# A column saying whether the row receives mail (Ghost's members CSV, Substack).
SUBSCRIBED_COLUMNS = ("subscribed_to_emails", "subscribed", "email_subscribed")
FALSE = {"false", "0", "no", "off", "n"}
TRUE = {"true", "1", "yes", "on", "y"}


class MemberStream(Iterator[Member]):
    """Members read from a file; ``left_out`` counts, by reason, the rows it did not yield
    (filled as the stream is read)."""

    def __init__(self, members: Iterator[Member], left_out: Counter[str]) -> None:
        self._members = members
        self.left_out = left_out

    def __iter__(self) -> MemberStream:
        return self

    def __next__(self) -> Member:
        return next(self._members)


@dataclass
class SubscriberReport:
    """What an import of members did, in counts (and row numbers of bad addresses)."""

    created: int = 0
    confirmed: int = 0  # were waiting for confirmation here; the old site's consent confirms
    already_subscribed: int = 0
    kept_off: int = 0  # unsubscribed, bounced, marked as spam or suppressed here
    without_consent: int = 0
    invalid: list[str] = field(default_factory=list)  # "line 12", "member 7"
    left_out: Counter[str] = field(default_factory=Counter)  # by the reader, by reason
    dry_run: bool = False

    def render(self) -> str:
        """Plain text for the terminal."""
        lines = [
            gettext("Subscribers (dry run: nothing was saved)")
            if self.dry_run
            else gettext("Subscribers")
        ]
        counts = [
            (self.created, gettext("new, with the consent they gave there")),
            (self.confirmed, gettext("were waiting to confirm here: confirmed by that consent")),
            (self.already_subscribed, gettext("already subscribed: left as they are")),
            (
                self.kept_off,
                gettext("left the list, bounced or marked as spam here: not subscribed again"),
            ),
            (self.without_consent, gettext("without a consent date: skipped, not subscribed")),
            (len(self.invalid), gettext("not a valid address: skipped")),
        ]
        lines += [f"  {count:>7}  {text}" for count, text in counts]
        lines += [
            f"  {count:>7}  {gettext('left out:')} {reason}"
            for reason, count in sorted(self.left_out.items())
        ]
        if self.invalid:
            shown = ", ".join(self.invalid[:20])
            more = len(self.invalid) - 20
            lines.append(
                "  "
                + gettext("Invalid addresses at: %(where)s") % {"where": shown}
                + (
                    " "
                    + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
                    if more > 0
                    else ""
                )
            )
        return "\n".join(lines)


def _site_language(value: str, default: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    code = value.strip().replace("_", "-").lower()
    if code in codes:
        return code
    primary = code.split("-", 1)[0]
    return primary if primary in codes else default


def _wording(member: Member, *, source: str, consented_at: datetime) -> str:
    where = member.consent_source or source
    return (
        f"Imported from {source}: consent given there, not to a text of ours "
        f"({where}, {consented_at.isoformat(timespec='seconds')})."
    )


@transaction.atomic
def import_members(
    members: Iterable[Member], *, source: str, language: str = "", dry_run: bool = False
) -> SubscriberReport:
    """Make each member with a recorded consent a confirmed subscriber (``language`` where
    the member names none of ours; "" = the site's default language); all in one
    transaction, nothing saved in a dry run."""
    language = language or settings.LANGUAGE_CODE
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValueError(
            gettext("“%(language)s” is not one of this site's languages (%(languages)s).")
            % {
                "language": language,
                "languages": ", ".join(code for code, _name in settings.LANGUAGES),
            }
        )
    report = SubscriberReport(dry_run=dry_run)
    seen: set[str] = set()
    batch: list[tuple[Member, str]] = []
    for number, member in enumerate(members, start=1):
        try:
            address = normalise_email(member.email)
        except InvalidAddress:
            report.invalid.append(member.origin or f"#{number}")
            continue
        if member.consented_at is None:
            report.without_consent += 1
            continue
        if address in seen:
            report.already_subscribed += 1
            continue
        seen.add(address)
        batch.append((member, address))
        if len(batch) == BATCH:
            _import_batch(batch, report=report, source=source, language=language)
            batch = []
    if batch:
        _import_batch(batch, report=report, source=source, language=language)
    if isinstance(members, MemberStream):
        report.left_out.update(members.left_out)
    logger.info(
        "members of %s%s: %s new, %s confirmed, %s already subscribed, %s kept off, "
        "%s without consent, %s invalid, %s left out",
        source,
        " (dry run)" if dry_run else "",
        report.created,
        report.confirmed,
        report.already_subscribed,
        report.kept_off,
        report.without_consent,
        len(report.invalid),
        sum(report.left_out.values()),
    )
    return report


def _import_batch(
    batch: list[tuple[Member, str]], *, report: SubscriberReport, source: str, language: str
) -> None:
    """One batch of members with a consent date and a valid address, none seen before: looked
    up and written a batch at a time."""
    now = timezone.now()
    digests = {address: email_hash(address) for _member, address in batch}
    suppressed = set(
        Suppression.objects.filter(email_hash__in=digests.values()).values_list(
            "email_hash", flat=True
        )
    )
    existing = {
        subscriber.email_hash: subscriber
        for subscriber in Subscriber.objects.select_for_update().filter(email__in=list(digests))
    }
    new: list[Subscriber] = []
    consents: list[Consent] = []
    for member, address in batch:
        subscriber = existing.get(digests[address])
        if subscriber is not None and subscriber.status == Subscriber.Status.ACTIVE:
            report.already_subscribed += 1
            continue
        kept_off = subscriber is not None and subscriber.status != Subscriber.Status.PENDING
        if kept_off or digests[address] in suppressed:
            report.kept_off += 1
            continue
        assert member.consented_at is not None
        given = member.consented_at
        consented_at = min(given if given.tzinfo else given.replace(tzinfo=UTC), now)
        if subscriber is None:
            report.created += 1
            subscriber = Subscriber(
                email=address,
                language=_site_language(member.language, language),
                source=source[:100],
                created_at=consented_at,
                status=Subscriber.Status.ACTIVE,
                confirmed_at=consented_at,
            )
            new.append(subscriber)
        else:
            report.confirmed += 1
            subscriber.status = Subscriber.Status.ACTIVE
            subscriber.confirmed_at = consented_at
            subscriber.confirm_token_hash = None
            subscriber.confirm_expires_at = None
            if not report.dry_run:
                subscriber.save(
                    update_fields=[
                        "status",
                        "confirmed_at",
                        "confirm_token_hash",
                        "confirm_expires_at",
                    ]
                )
        consents.append(
            Consent(
                subscriber=subscriber,
                policy_version=IMPORTED_POLICY_VERSION,
                wording=_wording(member, source=source, consented_at=consented_at),
                form=IMPORT_FORM,
                language=subscriber.language,
                created_at=consented_at,
            )
        )
    if not report.dry_run:
        Subscriber.objects.bulk_create(new)
        Consent.objects.bulk_create(consents)


def _column(name: str) -> str:
    """A header as compared here: "Email Address" → "email_address"."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _csv_date(text: str) -> datetime | None:
    """ISO 8601 or "2020-03-04 12:34:56"; a time without a zone is UTC. None if unreadable."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def read_subscriber_csv(path: Path, *, consent_source: str, language: str = "") -> Iterator[Member]:
    """Members from another service's subscriber CSV (``language`` for rows that name none);
    ``ExportError`` when the file has no address column or no consent date column. Rows
    marked as unsubscribed there, or whose date cannot be read, are left out and counted
    (``MemberStream.left_out``)."""
    try:
        file = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ExportError(
            gettext("%(file)s cannot be read: %(reason)s")
            % {"file": path, "reason": error.strerror}
        ) from None
    try:
        sample = file.read(8192)
        file.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(file, dialect)
        header = [_column(name) for name in next(reader, [])]
    except UnicodeDecodeError:
        file.close()
        raise ExportError(
            gettext("%(file)s is not UTF-8 text; save the CSV as UTF-8 and try again.")
            % {"file": path}
        ) from None
    except csv.Error as error:
        file.close()
        raise ExportError(
            gettext("%(file)s is not a CSV file: %(reason)s") % {"file": path, "reason": error}
        ) from None

    def first(names: tuple[str, ...]) -> list[int]:
        return [header.index(name) for name in names if name in header]

    emails, dates = first(EMAIL_COLUMNS), first(CONSENT_COLUMNS)
    if not emails or not dates:
        file.close()
        missing = (
            gettext("address column (email or Email Address)")
            if not emails
            else gettext(
                "column with the date each person consented (%(columns)s): without it "
                "nobody can be subscribed"
            )
            % {"columns": ", ".join(CONSENT_COLUMNS)}
        )
        raise ExportError(
            gettext("%(file)s has no %(missing)s.") % {"file": path, "missing": missing}
        )
    left_out: Counter[str] = Counter()
    rows = _rows(
        file,
        reader,
        header,
        consent_source=consent_source,
        language=language,
        left_out=left_out,
    )
    return MemberStream(rows, left_out)


def _rows(
    file: IO[str],
    reader: Iterator[list[str]],
    header: list[str],
    *,
    consent_source: str,
    language: str,
    left_out: Counter[str],
) -> Iterator[Member]:
    def cell(row: list[str], names: tuple[str, ...]) -> str:
        for name in names:
            if name in header:
                index = header.index(name)
                value = row[index].strip() if index < len(row) else ""
                if value:
                    return value
        return ""

    with file:
        try:
            for row in reader:
                if not any(value.strip() for value in row):
                    continue
                where = gettext("line %(line)s") % {"line": getattr(reader, "line_num", 0)}
                if cell(row, LEFT_COLUMNS):
                    left_out[gettext("marked as unsubscribed or cleaned in the file")] += 1
                    continue
                if cell(row, DISABLED_COLUMNS).lower() in TRUE:
                    left_out[
                        gettext("mail to them was disabled there (bounced or marked as spam)")
                    ] += 1
                    continue
                if cell(row, SUBSCRIBED_COLUMNS).lower() in FALSE:
                    left_out[gettext("not receiving mail according to the file")] += 1
                    continue
                written = cell(row, CONSENT_COLUMNS)
                consented_at = _csv_date(written) if written else None
                if written and consented_at is None:
                    left_out[gettext("the consent date could not be read")] += 1
                    continue
                name = cell(row, NAME_COLUMNS) or " ".join(
                    part for part in (cell(row, ("first_name",)), cell(row, ("last_name",))) if part
                )
                yield Member(
                    email=cell(row, EMAIL_COLUMNS),
                    name=name,
                    language=cell(row, LANGUAGE_COLUMNS) or language,
                    consented_at=consented_at,
                    consent_source=consent_source,
                    origin=where,
                )
        except UnicodeDecodeError:
            raise ExportError(
                gettext("%(file)s is not UTF-8 text; save the CSV as UTF-8 and try again.")
                % {"file": file.name}
            ) from None
        except csv.Error as error:
            raise ExportError(
                gettext("%(file)s could not be read as CSV: %(reason)s")
                % {"file": file.name, "reason": error}
            ) from None
