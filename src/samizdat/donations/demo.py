"""Demo gifts, so the donations dashboard of `make demo` has something to show.

The gifts are recorded as through the provider that moves no money (the demo provider), and
one pending gift as through a provider whose payments staff confirm (a bank transfer), so
staff can try "Mark received…"."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from samizdat.donations import appeal, money
from samizdat.donations.actions import new_reference
from samizdat.donations.models import AppealCurrency, Donation, RecurringGift
from samizdat.donations.providers import registry
from samizdat.donations.providers.base import Frequency

DEMO_BANK = "The Lantern Media (demo account, not a real one)\nIBAN DE00 0000 0000 0000 0000 00"


@transaction.atomic
def seed_demo_gifts(days: int = 120) -> int:
    """A few months of one-off and recurring gifts in three currencies; once only."""
    providers = registry.registered().values()
    demo = next(
        (p for p in providers if not p.moves_money and set(Frequency.values) <= set(p.frequencies)),
        None,
    )
    if demo is None or Donation.objects.exists():
        return 0
    pledged = next((p for p in providers if p.confirmed_by_staff and p.records_pledge), None)
    if pledged is not None and pledged.needs_bank_details:
        AppealCurrency.objects.filter(code="EUR", bank_details="").update(bank_details=DEMO_BANK)
        appeal.forget()
    rng = random.Random(7)  # the same demo every time
    languages = [code for code, _name in settings.LANGUAGES]
    now = timezone.now()
    currencies = ["USD", "EUR", "GBP"]
    created = 0
    for number in range(40):
        currency = rng.choice(currencies)
        frequency = "annual" if number % 5 == 0 else "monthly"
        amount = money.to_minor(
            Decimal(rng.choice([24, 60, 120] if frequency == "annual" else [2, 5, 10])), currency
        )
        started = now - datetime.timedelta(days=rng.randint(0, days), hours=rng.randint(0, 23))
        cancelled = started + datetime.timedelta(days=rng.randint(20, 90))
        gift = RecurringGift.objects.create(
            provider=demo.name,
            provider_gift_id=f"demo_sub_seed_{number}",
            reference=new_reference(),
            frequency=frequency,
            amount=amount,
            currency=currency,
            status="cancelled" if cancelled < now and number % 4 == 0 else "active",
            email=f"reader{number}@example.org",
            language=rng.choice(languages),
            started_at=started,
            cancelled_at=cancelled if cancelled < now and number % 4 == 0 else None,
        )
        step = 365 if frequency == "annual" else 30
        paid = started
        while paid < (gift.cancelled_at or now):
            failed = rng.random() < 0.05
            Donation.objects.create(
                provider=demo.name,
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
        amount = money.to_minor(Decimal(rng.choice([5, 10, 25, 50, 100])), currency)
        Donation.objects.create(
            provider=demo.name,
            provider_payment_id=f"demo_pay_seed_once_{number}",
            reference=new_reference(),
            frequency="once",
            amount=amount,
            currency=currency,
            status="refunded" if number == 3 else "paid",
            amount_refunded=amount if number == 3 else 0,
            email="" if number % 3 else f"once{number}@example.org",
            name="" if number % 2 else rng.choice(["Vera", "Ilya", "Sam", "Nadia"]),
            language=rng.choice(languages),
            created_at=when,
            paid_at=when,
            receipt_sent_at=when,
        )
        created += 1
    if pledged is None:
        return created
    Donation.objects.create(
        provider=pledged.name,
        provider_payment_id="SZ-DEMOBANK",
        reference="SZ-DEMOBANK",
        frequency="once",
        amount=money.to_minor(Decimal(100), "EUR"),
        currency="EUR",
        status="pending",
        language=languages[-1],
    )
    return created + 1
