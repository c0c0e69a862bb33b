"""The appeal on reader pages: the "Support us" banner and the block after articles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from samizdat.core import build_memo
from samizdat.donations import appeal as appeal_config
from samizdat.donations import gateway, money, payment_links
from samizdat.donations.providers.base import Frequency, Provider

register = template.Library()
DEFAULT_FREQUENCY = Frequency.MONTHLY.value


def _language(context: Any) -> str:
    return str(context.get("LANG") or settings.LANGUAGE_CODE)


def _snoozed(context: Any) -> bool:
    from samizdat.donations.views import appeal_snoozed

    return appeal_snoozed(context.get("request"))


def _amount_text(value: Decimal, currency: str) -> str:
    """An amount as the form sends it: ``5``, ``7.50``, ``1.250`` (the currency's digits)."""
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.quantize(Decimal(1).scaleb(-money.digits(currency))):f}"


def donate_form_context(language: str, form: Any = None, location: str = "page") -> dict[str, Any]:
    """Everything the donate form needs: one set of suggested amounts per frequency and
    currency (CSS shows the set that matches the reader's choice), with the reader's earlier
    choice, or the defaults, selected."""
    config = appeal_config.load()
    data = form.data if form is not None and form.is_bound else {}
    frequency = data.get("frequency") if data.get("frequency") in Frequency.values else None
    frequency = frequency or DEFAULT_FREQUENCY
    default_currency = config.currency_for(language)
    currency_code = str(data.get("currency", "")).upper()
    if currency_code not in config.currencies:
        currency_code = default_currency.code if default_currency else ""
    chosen = str(data.get("amount", ""))
    custom = str(data.get("custom_amount", ""))
    chosen_set = config.currencies.get(currency_code)
    if (
        chosen
        and not custom
        and chosen_set
        and chosen
        not in {_amount_text(a, chosen_set.code) for a in chosen_set.suggested[frequency]}
    ):
        # Without JavaScript a reader may switch frequency or currency and keep an amount
        # from another set: show it as their own amount rather than lose it.
        custom = chosen
    sets = []
    for index, currency in enumerate(config.currencies.values()):
        for freq in Frequency:
            amounts = currency.suggested[freq.value]
            visible = freq.value == frequency and currency.code == currency_code
            middle = amounts[len(amounts) // 2] if amounts else None
            options = []
            for value in amounts:
                text = _amount_text(value, currency.code)
                checked = visible and not custom and (chosen == text if chosen else value == middle)
                options.append(
                    {
                        "value": text,
                        "label": money.format_major(value, currency.code, language),
                        "checked": checked,
                    }
                )
            sets.append(
                {
                    "frequency": freq.value,
                    "currency": currency.code,
                    "index": index,
                    "options": options,
                }
            )
    currencies = [
        {
            "code": c.code,
            "index": i,
            "minimum": money.format_major(c.minimum, c.code, language),
            "chosen": c.code == currency_code,
        }
        for i, c in enumerate(config.currencies.values())
    ]
    return {
        "LANG": language,
        "location": location,
        "frequencies": Frequency.choices,
        "frequency": frequency,
        "currency": currency_code,
        "currencies": currencies,
        "sets": sets,
        "custom_amount": custom,
        "form": form,
        "payment_links": payment_links.links_for(language),
    }


def banner_context(context: Any) -> dict[str, Any]:
    """What the "Support us" banner under the masthead shows (region ``banner``)."""
    language = _language(context)
    config = appeal_config.load()
    return {
        "request": context.get("request"),
        "LANG": language,
        "show": bool(config.currencies) and not _snoozed(context),
        "text": config.text("banner", language),
        "snooze_days": config.snooze_days,
        "next": context["request"].path if context.get("request") else "",
    }


def donate_form_html(language: str, location: str) -> SafeString:
    """The donate form with the defaults selected, as the appeal after articles shows it:
    the same for every article of a language, so a bundle build renders it once."""

    def render() -> SafeString:
        html = render_to_string(
            "donations/includes/donate_form.html",
            donate_form_context(language, location=location),
        )
        return mark_safe(html)  # noqa: S308 - a rendered template

    key = ("donate_form", translation.get_language(), language, location)
    return build_memo.remembered(key, render)


def appeal_context(context: Any, location: str) -> dict[str, Any]:
    """What the appeal after an article shows (region ``after_article``)."""
    language = _language(context)
    config = appeal_config.load()
    if not config.currencies or _snoozed(context):
        return {"show": False}
    return {
        "LANG": language,
        "location": location,
        "donate_form": donate_form_html(language, location),
        "request": context.get("request"),
        "show": True,
        "title": config.text("appeal_title", language),
        "text": config.text("appeal", language),
        "snooze_days": config.snooze_days,
        "next": context["request"].path if context.get("request") else "",
    }


def provider_choices(providers: dict[str, Provider]) -> list[dict[str, Any]]:
    """How to pay, as the donate form offers it.

    Each provider's name, label and what the reader should know about it: its own note, and
    the gifts it takes if not all.
    """
    return [
        {
            "name": name,
            "label": provider.label,
            "notes": [str(n) for n in (provider.note, gateway.frequency_note(provider)) if n],
            "recurring": any(f != Frequency.ONCE for f in provider.frequencies),
        }
        for name, provider in providers.items()
    ]


@register.inclusion_tag("donations/includes/donate_form.html", takes_context=True)
def donate_form(context: Any, form: Any = None, full: bool = False) -> dict[str, Any]:
    language = _language(context)
    return {
        **donate_form_context(language, form=form, location="page" if full else "appeal"),
        "request": context.get("request"),
        "full": full,
        "providers": provider_choices(context.get("providers", {})),
    }
