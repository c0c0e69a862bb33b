"""A WordPress site in two languages (Polylang) arrives as translations of each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from samizdat.importer import media
from samizdat.importer.actions import import_export
from samizdat.publishing.models import ArticlePage
from tests.importer.test_wordpress import HEAD, POLYLANG_TERMS, export, item, polylang

pytestmark = pytest.mark.django_db


def test_a_story_and_its_translation_link_to_each_other(
    tmp_path: Path, site_tree: Any, client: Client
) -> None:
    wxr = export(
        tmp_path,
        item(20, title="Выборы", extra=polylang("ru", "pll_61a2")),
        item(21, title="Elections", extra=polylang("en", "pll_61a2")),
        item(22, title="Только по-русски", extra=polylang("ru")),
        head=HEAD + POLYLANG_TERMS,
    )
    resolver = media.Resolver(source="wordpress:news.example.org", download=False)

    report = import_export(wxr, resolver=resolver)

    russian, english, alone = (ArticlePage.objects.get(title=title) for title in
                               ("Выборы", "Elections", "Только по-русски"))  # fmt: skip
    assert (russian.locale.language_code, english.locale.language_code) == ("ru", "en")
    assert english.translation_key == russian.translation_key
    assert alone.translation_key != russian.translation_key
    html = client.get(english.url).content.decode()
    assert f'hreflang="ru" href="http://testserver{russian.url}"' in html
    assert report.total("failed") == 0
