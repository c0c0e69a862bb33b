"""Searching the archive: found on publish, per language, robust to odd queries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from wagtail.rich_text import RichText
from wagtail.search.models import IndexEntry

from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.publishing.helpers import card_titles, page_html, parse_html

pytestmark = pytest.mark.django_db


def search(client: Client, language: str, query: str) -> str:
    return page_html(client, f"/{language}/search/?{urlencode({'q': query})}")


def body(text: str) -> list[tuple[str, Any]]:
    return [("paragraph", RichText(f"<p>{text}</p>"))]


def test_publishing_indexes_the_article_at_once(client: Client, newsroom: dict[str, Any]) -> None:
    article = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Opera season",
        slug="opera",
        body=body("The baritone sang despite the blackout."),
    )
    # The immediate task backend indexes synchronously: no worker, no explicit update_index.
    assert IndexEntry.objects.filter(object_id=str(article.pk)).exists()
    html = search(client, "en", "baritone")
    assert "1 result for “baritone”" in html
    assert card_titles(parse_html(html)) == ["Opera season"]


def test_republishing_updates_the_index(client: Client, newsroom: dict[str, Any]) -> None:
    lead = ArticlePage.objects.get(pk=newsroom["lead"].pk)
    assert "0 results" in search(client, "en", "saxophonist")
    lead.body = body("A saxophonist testified for the defence.")
    lead.save_revision().publish()
    assert card_titles(parse_html(search(client, "en", "saxophonist"))) == [
        "Court opens trial of reporter"
    ]


def test_absent_word_finds_nothing(client: Client, newsroom: dict[str, Any]) -> None:
    html = search(client, "en", "zeppelin")
    assert "0 results for “zeppelin”" in html
    assert card_titles(parse_html(html)) == []


def test_empty_query_shows_only_the_form(client: Client, newsroom: dict[str, Any]) -> None:
    for path in ["/en/search/", "/en/search/?q=", "/en/search/?q=%20%20"]:
        html = page_html(client, path)
        assert 'id="search-page-q"' in html
        assert "result-count" not in html
        assert card_titles(parse_html(html)) == []


def test_overlong_query_is_cut_to_200_characters(client: Client, newsroom: dict[str, Any]) -> None:
    query = "bold " + "x" * 400
    html = search(client, "en", query)
    field = next(
        node for node in parse_html(html).iter("input") if node.get("id") == "search-page-q"
    )
    assert field.get("value") == query[:200]
    assert "x" * 201 not in html


def test_russian_search_finds_only_russian_articles(
    client: Client, newsroom: dict[str, Any]
) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    factories.ArticlePageFactory(
        parent=section,
        title="Суд над журналистом",
        slug="sud",
        body=body("Court hearing in Moscow: репортёр остаётся под арестом."),
    )
    english = card_titles(parse_html(search(client, "en", "court")))
    assert english == ["Court opens trial of reporter"]
    russian = card_titles(parse_html(search(client, "ru", "court")))
    assert russian == ["Суд над журналистом"]
    assert card_titles(parse_html(search(client, "ru", "bold"))) == []
