"""Listing pages: a section's newest stories, then archive pages numbered from the oldest; a
tag's stories, an author's stories."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests import factories
from tests.publishing.helpers import card_titles, draft_article, page_html, parse_html, resolve

pytestmark = pytest.mark.django_db

LEAD = "Court opens trial of reporter"


@pytest.fixture
def shelf(newsroom: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Seven News stories (the lead, then "News 1"… "News 6", each an hour older), three a page."""
    settings.ARTICLES_PER_PAGE = 3
    now = timezone.now()
    for hours in range(1, 7):
        factories.ArticlePageFactory(
            parent=newsroom["news"],
            title=f"News {hours}",
            published_at=now - timedelta(hours=hours),
            authors=[newsroom["anna"]] if hours % 2 else [newsroom["pavel"]],
            tags=["courts"] if hours <= 2 else [],
        )
    factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Theatre reopens",
        authors=[newsroom["anna"]],
        tags=["courts"],
    )
    draft_article(newsroom["news"], title="Unpublished scoop", tags=("courts",))
    return newsroom


def pagination(root: Element) -> dict[str, str]:
    """The pagination links of a listing: rel (prev/next) → href."""
    nav = next((node for node in root.iter("nav") if node.get("class") == "pagination"), None)
    return (
        {} if nav is None else {link.get("rel", ""): link.get("href", "") for link in nav.iter("a")}
    )


def test_section_shows_the_newest_stories_first(client: Client, shelf: dict[str, Any]) -> None:
    # Seven stories, three a page: one full archive page, the other four on the section.
    root = parse_html(page_html(client, "/en/news/"))
    assert card_titles(root) == [LEAD, "News 1", "News 2", "News 3"]
    nav = root.find(".//nav[@class='pagination']")
    assert nav is not None
    assert "Page" not in "".join(nav.itertext())


def test_archive_pages_count_from_the_oldest_story(client: Client, shelf: dict[str, Any]) -> None:
    assert card_titles(parse_html(page_html(client, "/en/news/page/1/"))) == [
        "News 4",
        "News 5",
        "News 6",
    ]
    assert "Page 1</span>" in page_html(client, "/en/news/page/1/")


def test_a_new_story_leaves_the_archive_pages_alone(client: Client, shelf: dict[str, Any]) -> None:
    before = page_html(client, "/en/news/page/1/")
    factories.ArticlePageFactory(parent=shelf["news"], title="Breaking")
    assert page_html(client, "/en/news/page/1/") == before
    assert card_titles(parse_html(page_html(client, "/en/news/")))[0] == "Breaking"
    # The ninth story fills a second archive page, and the first one now leads to it.
    factories.ArticlePageFactory(parent=shelf["news"], title="Later still")
    assert card_titles(parse_html(page_html(client, "/en/news/page/2/"))) == [
        "News 1",
        "News 2",
        "News 3",
    ]
    newer = pagination(parse_html(page_html(client, "/en/news/page/1/")))["prev"]
    assert resolve("/en/news/page/1/", newer) == "/en/news/page/2/"


def test_section_page_numbers_outside_the_range_are_not_found(
    client: Client, shelf: dict[str, Any]
) -> None:
    assert client.get("/en/news/page/2/").status_code == 404
    assert client.get("/en/news/page/0/").status_code == 404
    assert client.get("/en/news/page/01/").status_code == 404
    huge = "9" * 4301  # more digits than Python turns into a number
    for listing in ("/en/news/", "/en/tags/courts/", "/en/authors/anna-berg/"):
        assert client.get(f"{listing}page/{huge}/").status_code == 404, listing
        assert client.get(f"{listing}page/0/").status_code == 404, listing


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/en/news/", {"next": "/en/news/page/1/"}),
        ("/en/news/page/1/", {"prev": "/en/news/"}),
    ],
)
def test_pagination_links_are_relative_and_resolve(
    client: Client, shelf: dict[str, Any], path: str, expected: dict[str, str]
) -> None:
    links = pagination(parse_html(page_html(client, path)))
    assert not any(href.startswith(("/", "http")) for href in links.values()), links
    assert {rel: resolve(path, href) for rel, href in links.items()} == expected


def test_tag_page_lists_only_tagged_stories(client: Client, shelf: dict[str, Any]) -> None:
    root = parse_html(page_html(client, "/en/tags/courts/"))
    assert card_titles(root) == ["Theatre reopens", LEAD, "News 1", "News 2"]
    assert card_titles(parse_html(page_html(client, "/en/tags/press-freedom/"))) == [LEAD]


def test_author_page_lists_only_their_stories(client: Client, shelf: dict[str, Any]) -> None:
    root = parse_html(page_html(client, "/en/authors/pavel-drozd/"))
    assert card_titles(root) == [LEAD, "News 2", "News 4", "News 6"]
    anna = card_titles(parse_html(page_html(client, "/en/authors/anna-berg/")))
    assert anna == ["Theatre reopens", LEAD, "News 1", "News 3", "News 5"]


@pytest.mark.parametrize(
    ("language", "name", "slug"),
    [("en", "Harbour Strikes", "harbour-strikes"), ("ru", "Свобода слова", "свобода-слова")],
)
def test_a_tag_reads_as_its_name_wherever_it_shows(
    client: Client, site_tree: Any, language: str, name: str, slug: str
) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home(language), title="Desk", slug="desk"
    )
    factories.ArticlePageFactory(parent=section, title="Tagged", slug="tagged", tags=[name])
    story = page_html(client, f"/{language}/desk/tagged/")
    assert f'rel="tag">{name}</a>' in story
    assert f'<meta property="article:tag" content="{name}">' in story
    tag_page = page_html(client, f"/{language}/tags/{slug}/")
    assert f"<h1>{name}</h1>" in tag_page and f"<title>#{name} · " in tag_page
    assert f"<p>{slug}" not in tag_page and f">{slug}<" not in tag_page
    feed = page_html(client, f"/{language}/tags/{slug}/feed/rss/")
    assert f"<category>{name}</category>" in feed and f"#{name}</title>" in feed
