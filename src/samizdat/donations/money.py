"""Money, once: currencies, minor units, and amounts as readers write and read them.

Amounts are stored as integers in the currency's minor unit, as many digits as ISO 4217 gives it
(Babel's CLDR data: 0 for JPY, 2 for EUR, 3 for BHD and KWD). Only currencies some country uses
today are taken (not DEM, not HRK, not XAU). Amounts are written as each language writes them
(``$20``, ``CHF 20``, ``20 CHF``, ``20 ₽``): whole amounts without decimals, others with the
currency's digits. Providers that count in other units (Stripe's special cases) convert in
their own package.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_group_symbol,
    get_territory_currencies,
)
from django.conf import settings
from django.utils.translation import gettext as _

NBSP = "\u00a0"
# Separators readers type inside a number, besides the locale's own: spaces of every width and
# the apostrophes Swiss readers group thousands with.
SPACES = re.compile(r"[\s\u00a0\u202f\u2009'’]")
MINUS = "-−"
NUMBER = re.compile(r"\d[\d.,]*|[.,]\d+")


class InvalidAmount(ValueError):
    """What a reader typed is not an amount; the message says how to write one."""


@functools.cache
def current_currencies() -> frozenset[str]:
    """The ISO 4217 codes some territory uses as legal tender today."""
    found: set[str] = set()
    for territory in get_global("territory_currencies"):
        found.update(get_territory_currencies(territory))
    return frozenset(found)


def is_current(code: str) -> bool:
    return code in current_currencies()


def digits(currency: str) -> int:
    """How many digits follow the decimal point: 0 for JPY, 2 for EUR, 3 for KWD."""
    return int(get_currency_precision(currency))


def fits(amount: Decimal, currency: str) -> bool:
    """Whether ``amount`` (major units) is a whole number of the currency's minor units."""
    return amount.is_finite() and amount == amount.quantize(Decimal(1).scaleb(-digits(currency)))


def to_minor(amount: Decimal, currency: str) -> int:
    """Major units → minor units (``Decimal("7.5"), "USD"`` → ``750``), halves rounded up."""
    return int(amount.scaleb(digits(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units → major units, with the currency's digits (``750, "USD"`` → ``7.50``)."""
    return Decimal(amount).scaleb(-digits(currency))


def plain(amount: int, currency: str) -> str:
    """``1250, "USD"`` → ``"12.50"``; ``500, "JPY"`` → ``"500"``: spreadsheets and APIs."""
    return f"{to_major(amount, currency):f}"


def locale_for(language: str) -> Locale:
    """Babel's locale for a language code (``"pt-br"`` → pt_BR).

    For a code Babel does not know, the default language's, then English.
    """
    for code in (language, settings.LANGUAGE_CODE, "en"):
        try:
            return Locale.parse(code.replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    raise AssertionError("Babel knows English")  # pragma: no cover


@functools.lru_cache(maxsize=4096)
def format(amount: int, currency: str, language: str) -> str:
    """Minor units as readers of ``language`` write the amount.

    ``2000, "CHF", "en"`` → ``CHF 20``, in Russian ``20 CHF``; ``750, "EUR", "ru"`` →
    ``7,50 €``.
    """
    return format_major(to_major(amount, currency), currency, language)


def format_major(amount: Decimal, currency: str, language: str) -> str:
    """Like ``format``, for an amount in major units."""
    locale = locale_for(language)
    whole = amount == amount.to_integral_value()
    pattern = locale.currency_formats["standard"]
    if whole:
        pattern = copy.copy(pattern)
        pattern.frac_prec = (0, 0)
        amount = amount.to_integral_value()
    text = format_currency(
        amount, currency, format=pattern, locale=locale, currency_digits=not whole
    )
    return _spaced(text, get_currency_symbol(currency, locale))


def _spaced(text: str, symbol: str) -> str:
    """CLDR's currency spacing, which Babel leaves out.

    A symbol made of letters (``CHF``, ``RUB``) is kept apart from the digits by a no-break
    space; ``$`` and ``€`` are not.
    """

    def apart(char: str) -> bool:
        return unicodedata.category(char)[0] not in "SZ"

    start = text.find(symbol)
    if start == -1 or not symbol:
        return text
    end = start + len(symbol)
    if end < len(text) and text[end].isdigit() and apart(symbol[-1]):
        return text[:end] + NBSP + text[end:]
    if start > 0 and text[start - 1].isdigit() and apart(symbol[0]):
        return text[:start] + NBSP + text[start:]
    return text


def symbol(currency: str, language: str) -> str:
    return str(get_currency_symbol(currency, locale_for(language)))


def example(currency: str, language: str) -> str:
    """How to write an amount, for error messages: "5 or 7.50", "500", "5 or 7.500"."""
    locale = locale_for(language)
    places = digits(currency)
    if places == 0:
        return str(format_decimal(500, locale=locale))
    fraction = format_decimal(Decimal("7.5"), format="0." + "0" * places, locale=locale)
    return _("%(whole)s or %(fraction)s") % {"whole": 5, "fraction": fraction}


def parse(text: str, currency: str, language: str) -> Decimal:
    """What a reader typed, read as readers of ``language`` write numbers.

    ``7.50``, ``7,50``, ``1,000`` (English) or ``1 000`` and ``1.000,50`` (German), with or
    without the currency's sign or code. InvalidAmount (saying how to write it) otherwise.
    """
    cleaned = text.strip()
    if currency:  # its code and signs, as the reader's language and English write them
        marks = {currency, symbol(currency, language), symbol(currency, "en")}
        for mark in sorted(marks, key=len, reverse=True):
            cleaned = re.sub(re.escape(mark), "", cleaned, flags=re.IGNORECASE)
    cleaned = SPACES.sub("", cleaned)
    negative = cleaned[:1] in set(MINUS) and len(cleaned) > 1
    if negative:
        cleaned = cleaned[1:]
    if not NUMBER.fullmatch(cleaned) or len(cleaned) > 16:
        raise InvalidAmount(how_to_write(currency, language))
    number = _separators(cleaned, currency, language)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise InvalidAmount(how_to_write(currency, language)) from None
    return -value if negative else value


def _separators(text: str, currency: str, language: str) -> str:
    """The number with ``.`` as its decimal point and no grouping."""
    locale = locale_for(language)
    marks = [c for c in text if c in ".,"]
    if not marks:
        return text
    if len(set(marks)) == 2:  # both: the last one is the decimal point
        point = marks[-1]
        if marks.count(point) > 1:
            raise InvalidAmount(how_to_write(currency, language))
        group = "," if point == "." else "."
        return _ungrouped(text[: text.rindex(point)], group, currency, language) + (
            "." + text[text.rindex(point) + 1 :]
        )
    mark = marks[0]
    if len(marks) > 1:  # the same mark several times: it groups thousands
        return _ungrouped(text, mark, currency, language)
    after = len(text) - text.index(mark) - 1
    # One mark with three digits after it: English "1,000", German "1.000" group thousands;
    # so does any mark in a currency without decimals. Otherwise it is a decimal point.
    groups = mark == get_group_symbol(locale) or (bool(currency) and digits(currency) == 0)
    if after == 3 and groups:
        return text.replace(mark, "")
    return text.replace(mark, ".")  # "7,50" is seven and a half in English too


def _ungrouped(text: str, mark: str, currency: str, language: str) -> str:
    """``1,000,000`` → ``1000000``; groups after the first must have three digits."""
    first, *groups = text.split(mark)
    if not first or any(len(group) != 3 for group in groups):
        raise InvalidAmount(how_to_write(currency, language))
    return first + "".join(groups)


def how_to_write(currency: str, language: str) -> str:
    """How to write an amount in `currency`, for a reader who did not."""
    if currency and is_current(currency) and digits(currency) == 0:
        return _("Enter the amount as a whole number, like %(example)s.") % {
            "example": example(currency, language)
        }
    return _("Enter the amount as a number, like %(example)s.") % {
        "example": example(currency if currency and is_current(currency) else "USD", language)
    }
