"""Odd addresses and hostile input get a clear answer, never a 500 or a leak."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import PageViewRestriction

from samizdat.publishing.blocks import LinkCardBlock
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/en/news/page/99999999999999999999/",
        "/en/news/page/01/",
        "/en/news/page/1/",
        "/en/news/page/0/",
        "/en/tags/courts/page/1/",
        "/en/authors/anna-berg/page/1/",
        "/en/tags/no-such-tag/",
    ],
)
def test_impossible_listing_pages_are_not_found(
    client: Client, newsroom: dict[str, Any], path: str
) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ['"', 'a"b', "it's \"x", "court\x00", "\x1f"])
def test_search_survives_query_syntax(client: Client, newsroom: dict[str, Any], query: str) -> None:
    response = client.get("/en/search/", {"q": query})
    assert response.status_code == 200


def test_tags_in_cyrillic_have_their_pages(client: Client, newsroom: dict[str, Any]) -> None:
    factories.ArticlePageFactory(parent=newsroom["news"], title="Суд в Калваре", tags=["суды"])
    article_html = client.get("/en/news/court-opens-trial/").content.decode()
    assert article_html
    response = client.get("/en/tags/суды/")
    assert response.status_code == 200
    assert "Суд в Калваре" in response.content.decode()


def test_restricted_stories_stay_out_of_feeds_and_listings(
    client: Client, newsroom: dict[str, Any]
) -> None:
    secret = factories.ArticlePageFactory(
        parent=newsroom["news"], title="Sources list", slug="sources"
    )
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="x")
    cache.clear()
    protected = client.get("/en/news/sources/").content.decode()
    assert 'type="password"' in protected and "bold</b> fact" not in protected
    for path in ("/en/feed/rss/", "/en/news/feed/atom/", "/en/news/", "/en/"):
        assert "Sources list" not in client.get(path).content.decode(), path
    assert "Sources list" not in client.get("/en/news/court-opens-trial/").content.decode()


def test_link_cards_only_ever_link_to_the_web() -> None:
    block = LinkCardBlock()
    safe = block.render_basic(
        {"url": "https://user@example.org/a", "title": "Report", "description": ""}
    )
    assert 'href="https://user@example.org/a"' in safe and ">example.org</small>" in safe
    assert block.render_basic({"url": "javascript:alert(1)", "title": "x", "description": ""}) == ""


def test_a_stale_cache_never_unlocks_a_private_page(
    client: Client, newsroom: dict[str, Any]
) -> None:
    from samizdat.publishing.models import RESTRICTIONS_CACHE_KEY

    PageViewRestriction.objects.create(
        page=newsroom["lead"], restriction_type="password", password="x"
    )
    cache.set(RESTRICTIONS_CACHE_KEY, False)  # another worker's out-of-date belief
    html = client.get("/en/news/court-opens-trial/").content.decode()
    assert 'type="password"' in html and "bold</b> fact" not in html
