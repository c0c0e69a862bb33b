"""An article and its Russian translation: hreflang links, the language switcher, Russian UI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from django.test import Client

from samizdat.cli import compile_catalogues
from tests import factories
from tests.publishing.helpers import (
    SITE,
    page_html,
    parse_html,
    resolve,
    set_published_at,
    translate,
)

pytestmark = pytest.mark.django_db

ENGLISH = "/en/news/court-opens-trial/"
RUSSIAN = "/ru/news/court-opens-trial/"
NOVEMBER = datetime(2025, 11, 7, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def _catalogues() -> None:
    compile_catalogues()


@pytest.fixture
def bilingual(newsroom: dict[str, Any]) -> dict[str, Any]:
    """The lead story and one more, both translated into Russian; one story left in English."""
    second = factories.ArticlePageFactory(
        parent=newsroom["news"], title="Editor detained", slug="editor-detained", tags=["courts"]
    )
    lonely = factories.ArticlePageFactory(
        parent=newsroom["culture"], title="Only in English", slug="lonely"
    )
    ru_lead = translate(
        newsroom["lead"], title="Суд над журналистом", standfirst="Начался процесс."
    )
    set_published_at(ru_lead, NOVEMBER)
    ru_second = translate(second, title="Редактор задержан", standfirst="Задержан редактор.")
    set_published_at(ru_second, NOVEMBER - timedelta(days=1))  # earlier: under «Читайте также»
    return {**newsroom, "second": second, "lonely": lonely, "ru_lead": ru_lead, "ru_second": ru_second}  # fmt: skip


def alternates(root: Element) -> dict[str, str]:
    head = root.find("head")
    assert head is not None
    return {
        link.get("hreflang", ""): link.get("href", "")
        for link in head.iter("link")
        if link.get("rel") == "alternate" and link.get("hreflang")
    }


def switcher(root: Element) -> dict[str, str]:
    """The language switcher in the masthead: language code → href."""
    nav = next(node for node in root.iter("nav") if node.get("class") == "languages")
    return {link.get("hreflang", ""): link.get("href", "") for link in nav.iter("a")}


def test_english_article_announces_its_russian_translation(
    client: Client, bilingual: dict[str, Any]
) -> None:
    assert alternates(parse_html(page_html(client, ENGLISH))) == {
        "en": f"{SITE}{ENGLISH}",
        "ru": f"{SITE}{RUSSIAN}",
        "x-default": f"{SITE}{ENGLISH}",
    }


def test_russian_article_announces_its_english_original(
    client: Client, bilingual: dict[str, Any]
) -> None:
    root = parse_html(page_html(client, RUSSIAN))
    assert alternates(root) == {
        "en": f"{SITE}{ENGLISH}",
        "ru": f"{SITE}{RUSSIAN}",
        "x-default": f"{SITE}{ENGLISH}",
    }


def test_russian_article_speaks_russian(client: Client, bilingual: dict[str, Any]) -> None:
    html = page_html(client, RUSSIAN)
    root = parse_html(html)
    assert root.get("lang") == "ru"
    assert "<h1>Суд над журналистом</h1>" in html
    assert "Перейти к содержанию" in html
    assert "Skip to content" not in html
    assert "Читайте также" in html and "Read more" not in html
    assert "Редактор задержан" in html  # the other Russian story, under «Читайте также»
    assert "Editor detained" not in html


def test_language_switcher_leads_to_the_translation(
    client: Client, bilingual: dict[str, Any]
) -> None:
    links = switcher(parse_html(page_html(client, RUSSIAN)))
    assert not links["en"].startswith(("http", "/"))
    assert resolve(RUSSIAN, links["en"]) == ENGLISH
    assert resolve(RUSSIAN, links["ru"]) == RUSSIAN
    links = switcher(parse_html(page_html(client, ENGLISH)))
    assert resolve(ENGLISH, links["ru"]) == RUSSIAN


def test_language_switcher_falls_back_to_the_home_page(
    client: Client, bilingual: dict[str, Any]
) -> None:
    links = switcher(parse_html(page_html(client, "/en/culture/lonely/")))
    assert resolve("/en/culture/lonely/", links["ru"]) == "/ru/"
    assert page_html(client, "/ru/")  # and that page exists


def test_dates_on_russian_pages_are_russian(client: Client, bilingual: dict[str, Any]) -> None:
    html = page_html(client, RUSSIAN)
    assert "7 ноября 2025" in html
    assert "November" not in html and "Nov." not in html
    assert "7 ноября 2025" in page_html(client, "/ru/news/")


def test_a_bundle_build_renders_the_same_translations(bilingual: dict[str, Any]) -> None:
    """A build reads every page's translations, authors and tags at once: its articles are
    those the app serves."""
    from samizdat.core import build_memo
    from samizdat.mirrors import render

    paths = [ENGLISH, RUSSIAN, "/ru/news/editor-detained/", "/en/culture/lonely/"]
    renderer = render.Renderer()
    outside = [render.body_of(renderer.get(path)) for path in paths]
    with build_memo.building():
        inside = [render.body_of(renderer.get(path)) for path in paths]
    assert inside == outside
    alternate = b'<link rel="alternate" hreflang="ru"'
    assert alternate in outside[0] and alternate in outside[1] and alternate not in outside[3]
