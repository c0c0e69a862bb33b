"""Demo gifts, so the donations dashboard of `make demo` has something to show."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from samizdat.donations import appeal
from samizdat.donations.actions import new_reference
from samizdat.donations.models import AppealCurrency, Donation, RecurringGift

DEMO_BANK = "The Lantern Media (demo account, not a real one)\nIBAN DE00 0000 0000 0000 0000 00"


@transaction.atomic
def seed_demo_gifts(days: int = 120) -> int:
    """A few months of one-off and recurring gifts in three currencies; once only."""
    if Donation.objects.exists():
        return 0
    AppealCurrency.objects.filter(code="EUR", bank_details="").update(bank_details=DEMO_BANK)
    appeal.forget()
    rng = random.Random(7)  # the same demo every time
    now = timezone.now()
    currencies = ["USD", "EUR", "GBP"]
    created = 0
    for number in range(40):
        currency = rng.choice(currencies)
        frequency = "annual" if number % 5 == 0 else "monthly"
        amount = rng.choice([24, 60, 120] if frequency == "annual" else [2, 5, 10]) * 100
        started = now - datetime.timedelta(days=rng.randint(0, days), hours=rng.randint(0, 23))
        cancelled = started + datetime.timedelta(days=rng.randint(20, 90))
        gift = RecurringGift.objects.create(
            provider="demo",
            provider_gift_id=f"demo_sub_seed_{number}",
            reference=new_reference(),
            frequency=frequency,
            amount=amount,
            currency=currency,
            status="cancelled" if cancelled < now and number % 4 == 0 else "active",
            email=f"reader{number}@example.org",
            language=rng.choice(["en", "ru"]),
            started_at=started,
            cancelled_at=cancelled if cancelled < now and number % 4 == 0 else None,
        )
        step = 365 if frequency == "annual" else 30
        paid = started
        while paid < (gift.cancelled_at or now):
            failed = rng.random() < 0.05
            Donation.objects.create(
                provider="demo",
                provider_payment_id=f"demo_pay_seed_{number}_{created}",
                reference=gift.reference,
                gift=gift,
                frequency=frequency,
                amount=amount,
                currency=currency,
                status="failed" if failed else "paid",
                email=gift.email,
                language=gift.language,
                created_at=paid,
                paid_at=None if failed else paid,
                receipt_sent_at=None if failed else paid,
            )
            created += 1
            paid += datetime.timedelta(days=step)
    for number in range(80):
        when = now - datetime.timedelta(days=rng.randint(0, days), hours=rng.randint(0, 23))
        currency = rng.choice(currencies)
        amount = rng.choice([5, 10, 25, 50, 100]) * 100
        Donation.objects.create(
            provider="demo",
            provider_payment_id=f"demo_pay_seed_once_{number}",
            reference=new_reference(),
            frequency="once",
            amount=amount,
            currency=currency,
            status="refunded" if number == 3 else "paid",
            amount_refunded=amount if number == 3 else 0,
            email="" if number % 3 else f"once{number}@example.org",
            name="" if number % 2 else rng.choice(["Vera", "Ilya", "Sam", "Nadia"]),
            language=rng.choice(["en", "ru"]),
            created_at=when,
            paid_at=when,
            receipt_sent_at=when,
        )
        created += 1
    Donation.objects.create(
        provider="bank",
        provider_payment_id="SZ-DEMOBANK",
        reference="SZ-DEMOBANK",
        frequency="once",
        amount=10000,
        currency="EUR",
        status="pending",
        language="ru",
    )
    return created + 1
