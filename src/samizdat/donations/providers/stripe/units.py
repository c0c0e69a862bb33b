"""Amounts as Stripe counts them, which is not always ISO 4217's minor unit.

Stripe's rules (https://docs.stripe.com/currencies): zero-decimal currencies (JPY, KRW…) are
counted in whole units; three-decimal ones (BHD, JOD, KWD, OMR, TND) in thousandths whose last
digit must be 0; every other currency in hundredths, even where ISO 4217 has no decimals
(ISK, HUF, IDR…), and ISK only in whole krónur (multiples of 100).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from samizdat.donations import money

ZERO_DECIMAL = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
        "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
# Stripe's amount must be a multiple of this, in its own units.
STEP = {"ISK": 100, **dict.fromkeys(THREE_DECIMAL, 10)}


def exponent(currency: str) -> int:
    """The decimal places Stripe's API counts ``currency`` in."""
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 2


def _shift(currency: str) -> int:
    return exponent(currency) - money.digits(currency)


def step(currency: str) -> int:
    """The smallest amount Stripe takes in ``currency``, in our minor units (at least 1)."""
    return max(1, int(Decimal(STEP.get(currency, 1)).scaleb(-_shift(currency))))


def refusal(amount: int, currency: str) -> str:
    """Why Stripe cannot charge ``amount`` (minor units) of ``currency``; "" if it can."""
    if amount % step(currency):
        return _("Card payments in %(currency)s go in steps of %(step)s.") % {
            "currency": currency,
            "step": money.format(step(currency), currency, _language()),
        }
    return ""


def to_stripe(amount: int, currency: str) -> int:
    """Our minor units → Stripe's ``unit_amount``; ValueError if Stripe cannot take it."""
    if refusal(amount, currency):
        raise ValueError(f"Stripe cannot charge {amount} minor units of {currency}")
    shift = _shift(currency)
    return amount * 10**shift if shift >= 0 else amount // 10**-shift


def from_stripe(amount: int, currency: str) -> int:
    """Stripe's amount → our minor units (halves rounded up if Stripe counts finer)."""
    shift = _shift(currency)
    if shift <= 0:
        return amount * 10**-shift
    return int(Decimal(amount).scaleb(-shift).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _language() -> str:
    from django.conf import settings
    from django.utils import translation

    return translation.get_language() or settings.LANGUAGE_CODE
