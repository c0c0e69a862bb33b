"""The signup form readers post from any page (and from static copies of the site)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from samizdat.newsletter.actions import InvalidAddress, normalise_email

FORM_LOCATIONS = ["article", "home", "newsletter", "section"]


class AffirmativeCheckbox(forms.CheckboxInput):
    """Ticked only by what a ticked box sends (ours sends "yes"; a box without a value "on"):
    "off", "0", "no" or anything else is not consent, though Django would take it as True."""

    YES = frozenset({"yes", "on", "true", "1"})

    def value_from_datadict(self, data: Any, files: Any, name: str) -> bool:
        return str(data.get(name, "")).strip().lower() in self.YES


def consent_wording(language: str) -> str:
    """The sentence next to the checkbox, as plain text in ``language``: what consent records."""
    from django.utils import translation

    with translation.override(language):
        return gettext(
            "Send me the weekly newsletter. I agree to the privacy policy and can "
            "unsubscribe with one click in any letter."
        )


def mail_consent_wording(language: str) -> str:
    """The invitation to subscribe by mail, as plain text in ``language``: what a signup by
    mail agreed to (pages show it beside the address, the confirmation letter repeats it)."""
    from django.utils import translation

    with translation.override(language):
        return gettext(
            "No access to our site? Write “subscribe” to %(address)s to get the weekly "
            "newsletter: we will ask you to confirm by replying. The privacy policy applies, "
            "and you can unsubscribe in any letter."
        ) % {"address": settings.NEWSLETTER_SUBSCRIBE_ADDRESS}


class SignupForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254)
    language = forms.ChoiceField(
        label=pgettext_lazy("newsletter", "Letters in"),
        choices=settings.LANGUAGES,
        error_messages={
            "required": _("Choose the language of the letters."),
            "invalid_choice": _("Choose the language of the letters."),
        },
    )
    consent = forms.BooleanField(
        widget=AffirmativeCheckbox,
        error_messages={"required": _("Tick the box to agree to the privacy policy.")},
    )
    form = forms.ChoiceField(choices=[(name, name) for name in FORM_LOCATIONS], required=False)
    # A field people never see; bots that fill every field give themselves away.
    website = forms.CharField(required=False, max_length=200)
    altcha = forms.CharField(required=False, max_length=4000)

    def clean_email(self) -> str:
        try:
            return normalise_email(self.cleaned_data["email"])
        except InvalidAddress as error:
            if error.code != "invalid":  # an address, but one we cannot write to: say why
                raise forms.ValidationError(str(error), code=error.code) from error
            raise forms.ValidationError(
                gettext(
                    "This does not look like an email address we can write to. Check it for "
                    "typing mistakes, like name@example.org."
                ),
                code="invalid",
            ) from error

    def clean_form(self) -> str:
        return self.cleaned_data.get("form") or "newsletter"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("language", "form", "website"):
            value = self.data.get(name, "")
            if isinstance(value, str) and any(c in value for c in "\r\n"):
                raise forms.ValidationError(_("The form was sent with broken fields."))
        return data
