from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from samizdat.core.languages import og_locale


def site(request: HttpRequest) -> dict[str, Any]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "LANG": language,
        "DEFAULT_LANGUAGE": settings.LANGUAGE_CODE,
        "OG_LOCALE": og_locale(language),
    }
