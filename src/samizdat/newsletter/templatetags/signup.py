from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from samizdat.core.paths import link
from samizdat.newsletter.forms import SignupForm
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
    }
