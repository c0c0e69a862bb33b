"""Synthetic confirmed subscribers for benchmarks (``samizdat seed --subscribers N``)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from samizdat.newsletter.models import Consent, Subscriber, email_hash

BATCH = 5000


def seed_subscribers(count: int, *, domain: str = "example.net") -> int:
    """Add ``count`` confirmed subscribers (addresses on a reserved domain), languages mixed
    like a bilingual newsroom's list: four in five English."""
    now = timezone.now()
    start = Subscriber.objects.count()
    languages = [code for code, _name in settings.LANGUAGES]
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
