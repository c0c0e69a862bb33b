"""The appeal's configuration as plain data: currencies, minimums, suggested amounts, words.

Read on every page, so it is cached and forgotten whenever the settings are saved.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.numbers import format_currency, get_currency_precision
from django.core.cache import cache

from samizdat.donations.providers.base import Frequency

CACHE_KEY = "samizdat:donations:appeal:v1"
MAXIMUM = Decimal("100000")  # per gift, in major units: a typo guard, not a policy


@dataclass(frozen=True)
class Currency:
    code: str
    minimum: Decimal
    suggested: dict[str, list[Decimal]]  # frequency → amounts in major units
    default_for: tuple[str, ...]
    bank_details: str

    @property
    def exponent(self) -> int:
        return int(get_currency_precision(self.code))


@dataclass(frozen=True)
class Appeal:
    currencies: dict[str, Currency]
    texts: dict[str, dict[str, str]]  # language → field → text
    snooze_days: int
    snooze_after_gift_days: int

    def currency_for(self, language: str) -> Currency | None:
        """The currency readers in ``language`` see first (None: no currency set up)."""
        for currency in self.currencies.values():
            if language in currency.default_for:
                return currency
        return next(iter(self.currencies.values()), None)

    def text(self, field: str, language: str) -> str:
        return self.texts.get(language, self.texts["en"]).get(field, "")


def to_minor(amount: Decimal, currency: str) -> int:
    exponent = int(get_currency_precision(currency))
    return int((amount * (10**exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(amount: int, currency: str) -> Decimal:
    exponent = int(get_currency_precision(currency))
    return Decimal(amount) / (10**exponent)


@functools.lru_cache(maxsize=4096)
def money(amount: int, currency: str, language: str) -> str:
    """``500, "EUR", "ru"`` → ``5,00 €``; whole amounts lose their decimals."""
    major = to_major(amount, currency)
    pattern = None if major != major.to_integral_value() else "¤#,##0"
    if language == "ru" and pattern:
        pattern = "#,##0 ¤"
    return format_currency(
        major, currency, format=pattern, locale=language, currency_digits=pattern is None
    )


def load() -> Appeal:
    appeal = cache.get(CACHE_KEY)
    if appeal is None:
        appeal = _build()
        cache.set(CACHE_KEY, appeal, 300)
    return appeal


def _build() -> Appeal:
    from samizdat.donations.models import DonationSettings, parse_amounts

    settings = DonationSettings.load()
    rows: list[Any] = list(settings.currencies.all())
    currencies = {}
    for row in rows:
        code = str(row.code).upper()
        currencies[code] = Currency(
            code=code,
            minimum=Decimal(str(row.minimum)),
            suggested={f.value: parse_amounts(getattr(row, f.value)) for f in Frequency},
            default_for=tuple(str(row.default_for).replace(",", " ").split()),
            bank_details=str(row.bank_details),
        )
    fields = ("banner", "appeal_title", "appeal", "newsletter_appeal", "thanks")
    texts = {
        language: {field: settings.text(field, language) for field in fields}
        for language in ("en", "ru")
    }
    return Appeal(
        currencies=currencies,
        texts=texts,
        snooze_days=settings.snooze_days,
        snooze_after_gift_days=settings.snooze_after_gift_days,
    )


def forget() -> None:
    cache.delete(CACHE_KEY)


def forget_on_change(**kwargs: Any) -> None:
    forget()
