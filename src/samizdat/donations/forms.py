"""The donate form: one plain form, used first after articles (frequency, amount, currency)
and then on the donate page (how to pay, name, email)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email

from samizdat.donations.providers.base import Frequency

DECORATION = re.compile(r"[\s$€£₽¤]")  # spaces and currency signs readers type
NUMBER = re.compile(r"-?[\d.,]+")
NO_LINE_BREAKS = re.compile(r"[\r\n\x00]")


def parse_amount(text: str) -> Decimal:
    """What a reader types: ``5``, ``7.50``, ``7,50``, ``$ 1,000`` → Decimal."""
    cleaned = DECORATION.sub("", text)
    if not NUMBER.fullmatch(cleaned):
        raise ValidationError(_("Enter the amount as a number, like 5 or 7.50."))
    if "," in cleaned and "." not in cleaned and len(cleaned.rsplit(",", 1)[1]) <= 2:
        cleaned = cleaned.replace(",", ".")  # decimal comma
    cleaned = cleaned.replace(",", "")
    if not cleaned or len(cleaned) > 12:
        raise ValidationError(_("Enter the amount as a number, like 5 or 7.50."))
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(_("Enter the amount as a number, like 5 or 7.50.")) from None
    if not value.is_finite():
        raise ValidationError(_("Enter the amount as a number, like 5 or 7.50."))
    return value


class DonateForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False)
    frequency = forms.ChoiceField(
        choices=Frequency.choices,
        error_messages={"required": _("Choose once, monthly or annual."),
                        "invalid_choice": _("Choose once, monthly or annual.")},
    )  # fmt: skip
    currency = forms.CharField(max_length=3)
    amount = forms.CharField(max_length=20, required=False)
    custom_amount = forms.CharField(max_length=20, required=False)
    provider = forms.CharField(max_length=20, required=False)
    email = forms.CharField(max_length=254, required=False)
    name = forms.CharField(max_length=200, required=False)
    anonymous = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("name", "email", "custom_amount", "amount"):
            if NO_LINE_BREAKS.search(data.get(field) or ""):
                self.add_error(field, _("Line breaks are not allowed here."))
        text = (data.get("custom_amount") or "").strip() or (data.get("amount") or "").strip()
        if not text:
            self.add_error("custom_amount", _("Choose or enter an amount."))
        else:
            try:
                data["value"] = parse_amount(text)
            except ValidationError as error:
                self.add_error("custom_amount", error)
        data["currency"] = (data.get("currency") or "").strip().upper()
        email = (data.get("email") or "").strip()
        if email:
            try:
                data["email"] = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                self.add_error("email", _("Enter a valid email address, or leave it empty."))
        if data.get("anonymous"):
            data["name"] = ""
        data["name"] = (data.get("name") or "").strip()
        return data
