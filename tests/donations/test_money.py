"""The money module: minor units per ISO 4217, amounts written and read as each language
does, only currencies in use today; and Stripe's own units, which are not always ISO's."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from samizdat.donations import money
from samizdat.donations.providers.stripe import units

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _in_english() -> Iterator[None]:
    """Messages in English, whatever language an earlier test left active in this thread."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("JPY", 0), ("KRW", 0), ("ISK", 0), ("BHD", 3), ("KWD", 3), ("RUB", 2), ("EUR", 2),
     ("USD", 2)],
)  # fmt: skip
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert money.digits(currency) == digits
    assert money.to_minor(Decimal(5), currency) == 5 * 10**digits
    assert money.to_major(5 * 10**digits, currency) == Decimal(5)


def test_amounts_convert_both_ways_exactly() -> None:
    assert money.to_minor(Decimal("7.5"), "USD") == 750
    assert money.to_minor(Decimal("1.25"), "KWD") == 1250
    assert money.to_minor(Decimal("500"), "JPY") == 500
    assert money.to_minor(Decimal("0.005"), "USD") == 1  # halves up, where one must round
    assert money.plain(1250, "USD") == "12.50"
    assert money.plain(500, "JPY") == "500"
    assert money.plain(1500, "BHD") == "1.500"
    assert money.fits(Decimal("7.50"), "USD") and not money.fits(Decimal("7.505"), "USD")
    assert money.fits(Decimal("1.250"), "BHD") and not money.fits(Decimal("0.5"), "JPY")


@pytest.mark.parametrize(
    ("amount", "currency", "language", "written"),
    [
        (2000, "CHF", "en", f"CHF{NBSP}20"),  # CLDR's spacing: letters apart from digits
        (2000, "CHF", "ru", f"20{NBSP}CHF"),
        (2000, "CHF", "de-ch", f"CHF{NBSP}20"),
        (2000, "RUB", "ru", f"20{NBSP}₽"),
        (2000, "RUB", "en", f"RUB{NBSP}20"),
        (2050, "RUB", "ru", f"20,50{NBSP}₽"),
        (500, "JPY", "en", "¥500"),
        (500, "JPY", "ru", f"500{NBSP}¥"),
        (1500, "BHD", "en", f"BHD{NBSP}1.500"),  # not whole: all three digits
        (5000, "BHD", "en", f"BHD{NBSP}5"),
        (1234, "KWD", "ru", f"1,234{NBSP}KWD"),
        (750, "EUR", "ru", f"7,50{NBSP}€"),
        (2500, "EUR", "en", "€25"),
        (123450, "USD", "en", "$1,234.50"),
        (10000000, "USD", "ru", f"100{NBSP}000{NBSP}$"),
        (2000, "USD", "xx", "$20"),  # a language Babel does not know: the default language's
    ],
)
def test_amounts_are_written_as_each_language_writes_them(
    amount: int, currency: str, language: str, written: str
) -> None:
    assert money.format(amount, currency, language) == written


@pytest.mark.parametrize(
    ("text", "currency", "language", "value"),
    [
        ("7.50", "USD", "en", "7.50"),
        ("7,50", "USD", "en", "7.50"),  # a decimal comma, whoever types it
        ("$ 1,000", "USD", "en", "1000"),
        ("1,000.50", "EUR", "en", "1000.50"),
        ("1 000,50", "EUR", "ru", "1000.50"),
        (f"1{NBSP}000", "RUB", "ru", "1000"),
        ("1.000,50", "EUR", "de", "1000.50"),
        ("1'000", "CHF", "de-ch", "1000"),
        ("CHF 20", "CHF", "en", "20"),
        ("20 ₽", "RUB", "ru", "20"),
        ("20 rub", "RUB", "ru", "20"),
        ("1.000", "JPY", "en", "1000"),  # yen have no decimals: three digits are thousands
        ("1.5", "BHD", "en", "1.5"),
        ("1,500", "BHD", "ru", "1.500"),  # a Russian decimal comma
        ("1,500", "BHD", "en", "1500"),  # English thousands
        ("-5", "USD", "en", "-5"),  # a number: the minimum refuses it
    ],
)
def test_what_readers_type_is_read_as_their_language_writes_numbers(
    text: str, currency: str, language: str, value: str
) -> None:
    assert money.parse(text, currency, language) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "currency", "language", "message"),
    [
        ("five", "USD", "en", "Enter the amount as a number, like 5 or 7.50."),
        ("1e9", "USD", "en", "Enter the amount as a number, like 5 or 7.50."),
        ("1.2.3", "USD", "en", "Enter the amount as a number, like 5 or 7.50."),
        ("1,2.3", "EUR", "ru", "Enter the amount as a number, like 5 or 7,50."),
        ("5 €", "BHD", "en", "Enter the amount as a number, like 5 or 7.500."),
        ("lots", "JPY", "en", "Enter the amount as a whole number, like 500."),
    ],
)
def test_what_is_not_an_amount_is_refused_with_how_to_write_one(
    text: str, currency: str, language: str, message: str
) -> None:
    with pytest.raises(money.InvalidAmount) as refused:
        money.parse(text, currency, language)
    assert str(refused.value) == message


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "BHD", "KWD", "RUB", "CHF", "UAH"])
def test_currencies_in_use_today_are_known(code: str) -> None:
    assert money.is_current(code)


@pytest.mark.parametrize("code", ["DEM", "HRK", "XAU", "XXX", "BTC", "ABC", "usd", ""])
def test_old_made_up_and_non_currency_codes_are_not(code: str) -> None:
    assert not money.is_current(code)


@pytest.mark.parametrize(
    ("amount", "currency", "at_stripe"),
    [
        (750, "USD", 750),
        (500, "JPY", 500),  # zero-decimal at Stripe too
        (1500, "BHD", 1500),  # three-decimal at Stripe too
        (500, "ISK", 50000),  # no decimals in ISO 4217, two at Stripe
        (500, "HUF", 50000),
        (15000, "IDR", 1500000),
    ],
)
def test_stripe_counts_in_its_own_units(amount: int, currency: str, at_stripe: int) -> None:
    assert units.to_stripe(amount, currency) == at_stripe
    assert units.from_stripe(at_stripe, currency) == amount
    assert units.refusal(amount, currency) == ""


def test_stripe_takes_three_decimal_currencies_in_steps_of_ten() -> None:
    assert units.refusal(1505, "KWD") == f"Card payments in KWD go in steps of KWD{NBSP}0.010."
    with pytest.raises(ValueError, match="cannot charge"):
        units.to_stripe(1505, "KWD")
    assert units.to_stripe(1510, "KWD") == 1510
