"""The donate form: one plain form, used first after articles (frequency, amount, currency)
and then on the donate page (how to pay, name, email)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from samizdat.core.addresses import InvalidAddress, normalise_email
from samizdat.core.languages import language_choices
from samizdat.donations import money
from samizdat.donations.providers.base import Frequency

RECURRING = (Frequency.MONTHLY.value, Frequency.ANNUAL.value)

NO_LINE_BREAKS = re.compile(r"[\r\n\x00]")


class DonateForm(forms.Form):
    language = forms.ChoiceField(choices=language_choices, required=False)
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
        data["currency"] = (data.get("currency") or "").strip().upper()
        language = data.get("language") or settings.LANGUAGE_CODE
        text = (data.get("custom_amount") or "").strip() or (data.get("amount") or "").strip()
        if not text:
            self.add_error("custom_amount", _("Choose or enter an amount."))
        else:
            try:
                data["value"] = money.parse(text, data["currency"], language)
            except money.InvalidAmount as error:
                self.add_error("custom_amount", str(error))
        email = (data.get("email") or "").strip()
        if email:
            try:
                data["email"] = normalise_email(email)
            except InvalidAddress as error:
                if error.code != "invalid":  # an address, but one we cannot write to: say why
                    self.add_error("email", str(error))
                elif "email" not in self.errors:
                    self.add_error("email", _("Enter a valid email address, or leave it empty."))
        elif data.get("provider") and data.get("frequency") in RECURRING:
            # The address is how a donor later changes or cancels the gift: without it the
            # gift could never be stopped but by writing to us.
            self.add_error(
                "email",
                _(
                    "Enter your email address for a monthly or annual gift: it is how you "
                    "change or cancel it later."
                ),
            )
        if data.get("anonymous"):
            data["name"] = ""
        data["name"] = (data.get("name") or "").strip()
        return data
