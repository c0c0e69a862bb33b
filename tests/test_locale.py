"""Every interface catalogue: complete, placeholder-safe, and compilable."""

from __future__ import annotations

import gettext
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from samizdat.cli import LOCALE_DIR, compile_catalogues

CATALOGUE_LANGUAGES = sorted(
    path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/django.po")
)
# Russian and Ukrainian count alike: 1, 21, 101 minute; 2, 22 minutes; 5, 11, 112 minutes.
EAST_SLAVIC_PLURAL = (
    "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
)
PLURALS = {"ru": EAST_SLAVIC_PLURAL, "uk": EAST_SLAVIC_PLURAL}
# What a reader must see: a named or positional placeholder, or an HTML tag, kept exactly.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|</?[a-z][^>]*>")

# Spot checks per language: plain messages, and the three forms of the reading time.
EXPECTED = {
    "ru": {"Read more": "Читайте также", "Skip to content": "Перейти к содержанию"},
    "uk": {"Read more": "Читайте також", "Skip to content": "Перейти до вмісту"},
}
READING_TIME = {
    "ru": ("минута чтения", "минуты чтения", "минут чтения"),
    "uk": ("хвилина читання", "хвилини читання", "хвилин читання"),
}


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def _catalog(language: str) -> Catalog:
    with _po_path(language).open("rb") as po_file:
        return read_po(po_file, locale=language)


def _messages(language: str) -> list[Message]:
    return [message for message in _catalog(language) if message.id]


def _ids(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _strings(message: Message) -> tuple[str, ...]:
    assert message.string is not None, message.id
    return (message.string,) if isinstance(message.string, str) else tuple(message.string)


def test_every_catalogue_is_checked() -> None:
    assert {"ru", "uk"} <= set(CATALOGUE_LANGUAGES)
    # A new catalogue needs its plural rule written down here before its checks can run.
    assert set(CATALOGUE_LANGUAGES) <= set(PLURALS)
    assert set(EXPECTED) == set(READING_TIME) == set(CATALOGUE_LANGUAGES)


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_header_declares_language_utf8_and_plural_forms(language: str) -> None:
    catalog = _catalog(language)
    headers = dict(catalog.mime_headers)
    assert len(_messages(language)) > 0
    assert str(catalog.locale) == language
    assert headers["Language"] == language
    assert catalog.charset.lower() == "utf-8"
    assert '"Project-Id-Version: samizdat\\n"' in _po_path(language).read_text(encoding="utf-8")
    assert catalog.num_plurals == 3
    assert catalog.plural_expr == PLURALS[language]
    assert headers["Plural-Forms"] == f"nplurals=3; plural={PLURALS[language]};"


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    catalog = _catalog(language)
    untranslated = [
        _ids(message)[0]
        for message in _messages(language)
        if not all(string.strip() for string in _strings(message))
        or (message.pluralizable and len(_strings(message)) != catalog.num_plurals)
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_no_message_is_fuzzy(language: str) -> None:
    assert [_ids(message)[0] for message in _messages(language) if message.fuzzy] == []
    assert not _catalog(language).fuzzy


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    broken = []
    for message in _messages(language):
        # The plural msgid when there is one: every Russian or Ukrainian form shows the number.
        expected = Counter(PLACEHOLDER.findall(_ids(message)[-1]))
        for string in _strings(message):
            # A lost one shows readers a gap; an invented one is a KeyError, a 500.
            if Counter(PLACEHOLDER.findall(string)) != expected:
                broken.append((_ids(message)[0], string))
    assert broken == []


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A copy of the catalogues without their .mo files, compiled as ``samizdat`` does at start."""
    locale_dir = tmp_path_factory.mktemp("compiled") / "locale"
    shutil.copytree(LOCALE_DIR, locale_dir, ignore=shutil.ignore_patterns("*.mo"))
    return locale_dir, compile_catalogues(locale_dir)


def _translations(compiled: tuple[Path, list[Path]], language: str) -> gettext.GNUTranslations:
    locale_dir, _built = compiled
    with (locale_dir / language / "LC_MESSAGES" / "django.mo").open("rb") as mo_file:
        return gettext.GNUTranslations(mo_file)


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_catalogue_compiles(compiled: tuple[Path, list[Path]], language: str) -> None:
    locale_dir, built = compiled
    assert locale_dir / language / "LC_MESSAGES" / "django.mo" in built


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_compiled_catalogue_translates(compiled: tuple[Path, list[Path]], language: str) -> None:
    translations = _translations(compiled, language)
    for english, translated in EXPECTED[language].items():
        assert translations.gettext(english) == translated


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
@pytest.mark.parametrize("count", [1, 2, 5, 11, 21, 22, 25, 101, 112])
def test_compiled_catalogue_counts_minutes(
    compiled: tuple[Path, list[Path]], language: str, count: int
) -> None:
    one, few, many = READING_TIME[language]
    expected_form = {1: one, 21: one, 101: one, 2: few, 22: few}.get(count, many)
    reading_time = _translations(compiled, language).ngettext(
        "%(minutes)s minute read", "%(minutes)s minute read", count
    ) % {"minutes": count}
    assert reading_time == f"{count} {expected_form}"
