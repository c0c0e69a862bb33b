"""The appeal's configuration as plain data: currencies, minimums, suggested amounts, words.

Read on every page, so it is cached and forgotten whenever the settings are saved.

The words come, per language of ``settings.LANGUAGES``, from what the newsroom wrote in that
language (``AppealText``); a field left empty, from the default wording translated by the
language's catalogue; where the catalogue has no translation, from the default language.
A new language therefore needs no code: its catalogue, or the newsroom, supplies the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from samizdat.core import build_memo
from samizdat.donations import money
from samizdat.donations.providers.base import Frequency

CACHE_KEY = "samizdat:donations:appeal:v2"
# A gift above this many times the currency's minimum is a typo more likely than a gift
# (with a minimum of $2: $100,000); readers are asked to write instead.
MAXIMUM_TIMES_MINIMUM = 50_000
# The language the default wordings below are written in (the catalogue's message ids); each
# language's catalogue translates them.
SOURCE_LANGUAGE = "en"
DEFAULT_TEXTS = {
    "banner": gettext_noop("Independent journalism, paid for by readers. Support us today."),
    "appeal_title": gettext_noop("Keep this newsroom free"),
    "appeal": gettext_noop(
        "We have no owner, no state money and no paywall. Every story you read here is paid "
        "for by readers who can afford to give a little. Even a small monthly gift keeps a "
        "reporter working."
    ),
    "newsletter_appeal": gettext_noop(
        "This letter is free because readers pay for it. If you can, support us."
    ),
    "thanks": gettext_noop(
        "Thank you. Your gift keeps our reporters working. A receipt is on its way if you gave "
        "us an email address."
    ),
}


@dataclass(frozen=True)
class Currency:
    code: str
    minimum: Decimal  # major units
    suggested: dict[str, list[Decimal]]  # frequency → amounts in major units
    default_for: tuple[str, ...]
    bank_details: str

    @property
    def digits(self) -> int:
        return money.digits(self.code)

    @property
    def maximum(self) -> Decimal:
        return self.minimum * MAXIMUM_TIMES_MINIMUM


@dataclass(frozen=True)
class Appeal:
    currencies: dict[str, Currency]
    texts: dict[str, dict[str, str]]  # language → field → text
    snooze_days: int

    def currency_for(self, language: str) -> Currency | None:
        """The currency readers in ``language`` see first (None: no currency set up)."""
        for currency in self.currencies.values():
            if language in currency.default_for:
                return currency
        return next(iter(self.currencies.values()), None)

    def text(self, field: str, language: str) -> str:
        """The appeal's ``field`` in ``language`` (the default language's if not ours).

        Fields: banner, appeal_title, appeal, newsletter_appeal, thanks.
        """
        found = self.texts.get(language) or self.texts.get(settings.LANGUAGE_CODE) or {}
        return found.get(field, "")


def load() -> Appeal:
    """The appeal's settings (cached; read once in a bundle build, whose every page shows
    its banner and every article its appeal)."""
    return build_memo.remembered(("appeal",), _load)


def _load() -> Appeal:
    appeal = cache.get(CACHE_KEY)
    if appeal is None:
        appeal = _build()
        cache.set(CACHE_KEY, appeal, 300)
    return appeal


def _build() -> Appeal:
    from samizdat.donations.models import DonationSettings, parse_amounts

    settings_row = DonationSettings.load()
    rows: list[Any] = list(settings_row.currencies.all())
    currencies = {}
    for row in rows:
        code = str(row.code).upper()
        currencies[code] = Currency(
            code=code,
            minimum=Decimal(str(row.minimum)).normalize(),
            suggested={f.value: parse_amounts(getattr(row, f.value)) for f in Frequency},
            default_for=tuple(str(row.default_for).replace(",", " ").split()),
            bank_details=str(row.bank_details),
        )
    written = {row.language: row for row in settings_row.texts.all()}
    return Appeal(
        currencies=currencies,
        texts=texts(written),
        snooze_days=settings_row.snooze_days,
    )


def texts(written: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Every field in every language of the settings.

    What the newsroom wrote, else the default wording in that language, else (its catalogue
    has no translation) the default language's text.
    """
    default_language = settings.LANGUAGE_CODE

    def own(language: str, field: str) -> str:
        row = written.get(language)
        text = str(getattr(row, field, "") or "").strip() if row is not None else ""
        if text:
            return text
        with translation.override(language):
            default = gettext(DEFAULT_TEXTS[field])
        if default != DEFAULT_TEXTS[field] or language.split("-")[0] == SOURCE_LANGUAGE:
            return default
        return ""  # the language's catalogue has no translation of it

    result: dict[str, dict[str, str]] = {}
    fallback = {field: own(default_language, field) for field in DEFAULT_TEXTS}
    for field, text in fallback.items():
        if not text:  # the default language's catalogue lacks it too: the source wording
            fallback[field] = DEFAULT_TEXTS[field]
    for language, _name in settings.LANGUAGES:
        result[language] = {
            field: own(language, field) or fallback[field] for field in DEFAULT_TEXTS
        }
    result.setdefault(default_language, fallback)
    return result


def forget() -> None:
    cache.delete(CACHE_KEY)
