"""Reader pages cost a small, fixed number of queries however many authors, tags or stories."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django.fixtures import DjangoAssertNumQueries as AssertMaxQueries

from tests import factories
from tests.publishing.helpers import get_ok, path_of

pytestmark = pytest.mark.django_db

ARTICLE_LIMIT = 10
LISTING_LIMIT = 12


def queries(client: Client, path: str, assert_max: AssertMaxQueries, limit: int) -> int:
    """Queries for a warm request of ``path`` (renditions and navigation already cached)."""
    get_ok(client, path)
    with assert_max(limit) as captured:
        get_ok(client, path)
    return len(captured)


def test_article_queries_do_not_grow_with_authors(
    client: Client, newsroom: dict[str, Any], django_assert_max_num_queries: AssertMaxQueries
) -> None:
    index = factories.author_index("en")
    many = [factories.AuthorPageFactory(parent=index) for _ in range(5)]
    one = factories.ArticlePageFactory(
        parent=newsroom["news"], authors=many[:1], lead_image=newsroom["image"]
    )
    five = factories.ArticlePageFactory(
        parent=newsroom["news"], authors=many, lead_image=newsroom["image"]
    )
    counts = [
        queries(client, path_of(page), django_assert_max_num_queries, ARTICLE_LIMIT)
        for page in (one, five)
    ]
    assert counts[0] == counts[1], counts


def test_article_queries_do_not_grow_with_tags(
    client: Client, newsroom: dict[str, Any], django_assert_max_num_queries: AssertMaxQueries
) -> None:
    tags = [f"topic-{n}" for n in range(8)]
    one = factories.ArticlePageFactory(
        parent=newsroom["news"], tags=tags[:1], lead_image=newsroom["image"]
    )
    eight = factories.ArticlePageFactory(
        parent=newsroom["news"], tags=tags, lead_image=newsroom["image"]
    )
    counts = [
        queries(client, path_of(page), django_assert_max_num_queries, ARTICLE_LIMIT)
        for page in (one, eight)
    ]
    assert counts[0] == counts[1], counts


def test_article_queries_do_not_grow_with_the_archive(
    client: Client, newsroom: dict[str, Any], django_assert_max_num_queries: AssertMaxQueries
) -> None:
    path = path_of(newsroom["lead"])

    def add_stories(number: int) -> None:
        for n in range(number):
            section = newsroom["news"] if n % 2 else newsroom["culture"]
            factories.ArticlePageFactory(parent=section, tags=["courts"] if n % 3 else [])

    add_stories(3)
    small = queries(client, path, django_assert_max_num_queries, ARTICLE_LIMIT)
    add_stories(27)
    large = queries(client, path, django_assert_max_num_queries, ARTICLE_LIMIT)
    assert small == large


@pytest.mark.parametrize("path", ["/en/", "/en/news/"])
def test_listing_queries_are_bounded(
    client: Client,
    newsroom: dict[str, Any],
    django_assert_max_num_queries: AssertMaxQueries,
    path: str,
) -> None:
    for n in range(8):
        section = newsroom["news"] if n % 2 else newsroom["culture"]
        factories.ArticlePageFactory(parent=section, lead_image=newsroom["image"], tags=["courts"])
    queries(client, path, django_assert_max_num_queries, LISTING_LIMIT)


def test_front_page_queries_do_not_grow_with_chosen_stories(
    client: Client, newsroom: dict[str, Any], django_assert_max_num_queries: AssertMaxQueries
) -> None:
    from samizdat.publishing.models import HomePageFeaturedStory

    stories = [
        factories.ArticlePageFactory(
            parent=newsroom["news"] if n % 2 else newsroom["culture"],
            lead_image=newsroom["image"],
            authors=[newsroom["anna"], newsroom["pavel"]],
        )
        for n in range(12)
    ]
    none_chosen = queries(client, "/en/", django_assert_max_num_queries, LISTING_LIMIT)
    home = newsroom["home"]
    home.lead_story = stories[3]
    home.featured_stories = [
        HomePageFeaturedStory(story=story, sort_order=n) for n, story in enumerate(stories[4:9])
    ]
    home.save_revision().publish()
    chosen = queries(client, "/en/", django_assert_max_num_queries, LISTING_LIMIT)
    assert chosen == none_chosen
