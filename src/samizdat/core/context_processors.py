from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from samizdat.core import appearance
from samizdat.core.languages import og_locale


def site(request: HttpRequest) -> dict[str, Any]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        # Settings → Appearance may name the newsroom differently from its setup.
        "SITE_NAME": appearance.load().name,
        "SITE_URL": settings.SITE_URL,
        "LANG": language,
        "DEFAULT_LANGUAGE": settings.LANGUAGE_CODE,
        "OG_LOCALE": og_locale(language),
    }
