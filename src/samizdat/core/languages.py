"""The newsroom's languages, as settings say (``SAMIZDAT_LANGUAGES``): no code names them."""

from __future__ import annotations

from babel.core import get_global
from django.conf import settings


def language_choices() -> list[tuple[str, str]]:
    """Choices for a model's language field. Passed as a callable, so migrations refer to it
    and a newsroom adding a language needs none."""
    return list(settings.LANGUAGES)


def codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def known(code: str | None) -> str:
    """``code`` if the newsroom publishes in it, else the default language."""
    return code if code in codes() else settings.LANGUAGE_CODE


def og_locale(code: str) -> str:
    """Open Graph's ``language_TERRITORY`` for a language: its own territory where the code
    has one (``pt-br`` → ``pt_BR``), else the CLDR's likely one (``uk`` → ``uk_UA``)."""
    language, _dash, territory = code.partition("-")
    if len(territory) == 2:
        return f"{language.lower()}_{territory.upper()}"
    likely = str(get_global("likely_subtags").get(code, code))
    parts = likely.split("_")
    territory = next((part for part in parts[1:] if len(part) == 2 and part.isupper()), "")
    return f"{parts[0]}_{territory}" if territory else parts[0]
