"""The Russian interface catalogue: complete, placeholder-safe, and compilable."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from samizdat.cli import LOCALE_DIR, compile_catalogues

RU_PO = LOCALE_DIR / "ru" / "LC_MESSAGES" / "django.po"
RU_PLURAL = "(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)"
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog() -> Catalog:
    with RU_PO.open("rb") as po_file:
        return read_po(po_file, locale="ru")


def _messages() -> list[Message]:
    return [message for message in _catalog() if message.id]


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def test_header_declares_russian_utf8_and_three_plural_forms() -> None:
    catalog = _catalog()
    headers = dict(catalog.mime_headers)
    assert len(_messages()) > 0
    assert str(catalog.locale) == "ru"
    assert catalog.charset.lower() == "utf-8"
    assert '"Project-Id-Version: samizdat\\n"' in RU_PO.read_text(encoding="utf-8")
    assert catalog.num_plurals == 3
    assert catalog.plural_expr == RU_PLURAL
    assert headers["Plural-Forms"] == f"nplurals=3; plural={RU_PLURAL};"


def test_every_message_is_translated() -> None:
    catalog = _catalog()
    untranslated = [
        _ids(message)[0]
        for message in _messages()
        if not all(string.strip() for string in _strings(message))
        or (message.pluralizable and len(_strings(message)) != catalog.num_plurals)
    ]
    assert untranslated == []


def test_no_message_is_fuzzy() -> None:
    assert [_ids(message)[0] for message in _messages() if message.fuzzy] == []
    assert not _catalog().fuzzy


def test_placeholders_survive_translation() -> None:
    broken = []
    for message in _messages():
        expected = set()
        for msgid in _ids(message):
            expected |= set(NAMED_PLACEHOLDER.findall(msgid))
        for string in _strings(message):
            if not expected <= set(NAMED_PLACEHOLDER.findall(string)):
                broken.append((_ids(message)[0], string))
    assert broken == []


@pytest.mark.parametrize("count", [1, 2, 5, 11, 21, 22, 25, 101, 112])
def test_compiled_catalogue_translates(tmp_path: Path, count: int) -> None:
    locale_dir = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale_dir, ignore=shutil.ignore_patterns("*.mo"))

    built = compile_catalogues(locale_dir)

    mo_path = locale_dir / "ru" / "LC_MESSAGES" / "django.mo"
    assert mo_path in built
    with mo_path.open("rb") as mo_file:
        translations = gettext.GNUTranslations(mo_file)
    assert translations.gettext("Read more") == "Читайте также"
    assert translations.gettext("Skip to content") == "Перейти к содержанию"
    expected_form = {1: "минута", 21: "минута", 101: "минута", 2: "минуты", 22: "минуты"}.get(
        count, "минут"
    )
    reading_time = translations.ngettext(
        "%(minutes)s minute read", "%(minutes)s minute read", count
    ) % {"minutes": count}
    assert reading_time == f"{count} {expected_form} чтения"
