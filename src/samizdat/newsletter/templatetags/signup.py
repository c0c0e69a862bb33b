from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from samizdat.core.paths import link
from samizdat.newsletter.forms import SignupForm, mail_consent_wording
from samizdat.publishing.models import privacy_policy

register = template.Library()


@register.inclusion_tag("newsletter/includes/signup_form.html", takes_context=True)
def signup_form(context: Any, location: str, form: SignupForm | None = None) -> dict[str, Any]:
    """The newsletter signup box; ``location`` is recorded with the consent."""
    language = context.get("LANG") or settings.LANGUAGE_CODE
    policy = privacy_policy(language)
    return {
        "request": context.get("request"),
        "LANG": language,
        "location": location,
        "policy_href": link(context, policy["path"]) if policy else "",
        "form": form,
        "languages": settings.LANGUAGES,
        "onion_url": settings.ONION_URL,
        "mail_invitation": mail_invitation(language),
    }


def mail_invitation(language: str) -> SafeString | str:
    """The invitation to subscribe by mail (the wording a signup by mail records), with the
    address as a ``mailto:`` link asking in ``language``; empty where none is set."""
    address = settings.NEWSLETTER_SUBSCRIBE_ADDRESS
    if not address:
        return ""
    mailto = format_html(
        '<a href="mailto:{}?subject=subscribe%20{}">{}</a>', address, language, address
    )
    return mark_safe(escape(mail_consent_wording(language)).replace(escape(address), mailto, 1))  # noqa: S308
