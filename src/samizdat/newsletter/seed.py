"""Synthetic confirmed subscribers for benchmarks (``samizdat seed --subscribers N``).

On PostgreSQL the rows go in with ``COPY`` (a million in a few minutes, most of it spent
encrypting the addresses), then ``ANALYZE``; elsewhere with ``bulk_create``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from samizdat.newsletter.models import Consent, Subscriber, email_hash

BATCH = 5000


def seed_subscribers(count: int, *, domain: str = "example.net") -> int:
    """Add ``count`` confirmed subscribers (addresses on a reserved domain), languages mixed
    like a bilingual newsroom's list: four in five English."""
    now = timezone.now()
    start = Subscriber.objects.count()
    languages = [code for code, _name in settings.LANGUAGES]
    if connection.vendor == "postgresql":
        return _copy_subscribers(count, start, languages, domain, now)
    added = 0
    while added < count:
        size = min(BATCH, count - added)
        rows = []
        for offset in range(size):
            number = start + added + offset
            email = f"reader{number}@{domain}"
            language = languages[1] if number % 5 == 4 and len(languages) > 1 else languages[0]
            rows.append(
                Subscriber(
                    email=email,
                    email_hash=email_hash(email),
                    language=language,
                    status=Subscriber.Status.ACTIVE,
                    source="seed",
                    created_at=now,
                    confirmed_at=now,
                )
            )
        with transaction.atomic():
            created = Subscriber.objects.bulk_create(rows, batch_size=1000)
            if not all(s.pk for s in created):
                created = list(
                    Subscriber.objects.filter(email__in=[s.email for s in rows]).only(
                        "pk", "language"
                    )
                )
            Consent.objects.bulk_create(
                [
                    Consent(
                        subscriber_id=s.pk,
                        policy_version=1,
                        wording="Synthetic subscriber for load tests.",
                        form="seed",
                        language=s.language,
                        created_at=now,
                    )
                    for s in created
                ],
                batch_size=1000,
            )
        added += size
    return added


COPY_BATCH = 50_000


def _copy_subscribers(
    count: int, start: int, languages: list[str], domain: str, now: datetime
) -> int:
    """``seed_subscribers`` with PostgreSQL's COPY, a transaction per ``COPY_BATCH`` rows;
    the consents are made from the subscribers by one INSERT … SELECT per batch."""
    encrypted = Subscriber._meta.get_field("email")
    subscribers, consents = Subscriber._meta.db_table, Consent._meta.db_table
    added = 0
    while added < count:
        size = min(COPY_BATCH, count - added)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {subscribers}")  # noqa: S608
            (before,) = cursor.fetchone()
            columns = "email, email_hash, language, status, source, created_at, confirmed_at"
            with cursor.cursor.copy(f"COPY {subscribers} ({columns}) FROM STDIN") as copy:
                for offset in range(size):
                    number = start + added + offset
                    email = f"reader{number}@{domain}"
                    language = (
                        languages[1] if number % 5 == 4 and len(languages) > 1 else languages[0]
                    )
                    copy.write_row(
                        (
                            encrypted.get_prep_value(email),
                            email_hash(email),
                            language,
                            Subscriber.Status.ACTIVE.value,
                            "seed",
                            now,
                            now,
                        )
                    )
            cursor.execute(
                f"INSERT INTO {consents} "  # noqa: S608 (table names only)
                "(subscriber_id, policy_version, wording, form, language, created_at) "
                "SELECT id, 1, %s, 'seed', language, %s FROM "
                f"{subscribers} WHERE id > %s AND source = 'seed'",
                ["Synthetic subscriber for load tests.", now, before],
            )
        added += size
    with connection.cursor() as cursor:
        # The planner's statistics for the new rows now, not when autovacuum next looks (or
        # never, where it is off): without them it reads a slice of the audience through the
        # (language, status) index, the whole list for a few hundred letters.
        cursor.execute(f"ANALYZE {subscribers}, {consents}")
    return added
