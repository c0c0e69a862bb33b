""" "Read more" under an article: earlier stories, shared tags first, then the same section,
newest first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.publishing.helpers import card_titles, draft_article, page_html, parse_html, path_of

pytestmark = pytest.mark.django_db

READ_MORE = ".//aside[@class='read-more']"


@pytest.fixture
def stories(newsroom: dict[str, Any]) -> dict[str, Any]:
    """Around the lead story (News; #courts, #press-freedom): stories related to it or not."""
    now = timezone.now()
    news, culture = newsroom["news"], newsroom["culture"]

    def story(parent: Any, title: str, hours_ago: float, tags: tuple[str, ...] = ()) -> Any:
        return factories.ArticlePageFactory(
            parent=parent,
            title=title,
            tags=list(tags),
            published_at=now - timedelta(hours=hours_ago),
        )

    ru_news = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    return {
        **newsroom,
        "both_tags": story(culture, "Both tags, oldest", 120, ("courts", "press-freedom")),
        "one_tag_new": story(culture, "One tag, newer", 24, ("courts",)),
        "one_tag_old": story(culture, "One tag, older", 72, ("press-freedom",)),
        "section_new": story(news, "Same section, newer", 2),
        "section_old": story(news, "Same section, older", 96),
        "unrelated": story(culture, "Unrelated but newest", 1, ("theatre",)),
        "russian": story(ru_news, "Русская статья", 0.5, ("courts", "press-freedom")),
        "draft": draft_article(news, title="Unpublished scoop", tags=("courts", "press-freedom")),
    }


def read_more(client: Client, path: str) -> list[str]:
    root = parse_html(page_html(client, path))
    return [] if root.find(READ_MORE) is None else card_titles(root, READ_MORE)


def test_shared_tags_come_first_then_the_section(client: Client, stories: dict[str, Any]) -> None:
    assert read_more(client, "/en/news/court-opens-trial/") == [
        "Both tags, oldest",
        "One tag, newer",
        "One tag, older",
        "Same section, newer",
    ]


def test_untagged_story_is_followed_by_its_section_newest_first(
    client: Client, stories: dict[str, Any]
) -> None:
    assert read_more(client, path_of(stories["section_new"])) == [
        "Same section, older",
        "One tag, newer",
        "One tag, older",
        "Both tags, oldest",
    ]


def test_read_more_offers_only_earlier_stories(client: Client, stories: dict[str, Any]) -> None:
    # A later story never changes an earlier page (the static bundle relies on it).
    before = page_html(client, path_of(stories["section_old"]))
    assert read_more(client, path_of(stories["section_old"])) == ["Both tags, oldest"]
    factories.ArticlePageFactory(parent=stories["news"], title="Later", tags=["courts"])
    assert page_html(client, path_of(stories["section_old"])) == before


def test_read_more_never_offers_the_story_itself_drafts_or_other_languages(
    client: Client, stories: dict[str, Any]
) -> None:
    html = page_html(client, "/en/news/court-opens-trial/")
    titles = card_titles(parse_html(html), READ_MORE)
    assert "Court opens trial of reporter" not in titles
    assert "Unpublished scoop" not in html
    assert "Русская статья" not in html
    assert read_more(client, path_of(stories["russian"])) == []


def test_read_more_shows_at_most_four(client: Client, stories: dict[str, Any]) -> None:
    assert len(read_more(client, path_of(stories["unrelated"]))) == 4
