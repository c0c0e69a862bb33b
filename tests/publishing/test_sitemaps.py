"""sitemap.xml, its sections, the news sitemap and robots.txt, as a search engine reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.utils import timezone

from samizdat.publishing.sitemaps import ArticleSitemap
from tests import factories
from tests.publishing.helpers import SITE, draft_article, get_ok

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@pytest.fixture
def archive(newsroom: dict[str, Any]) -> dict[str, Any]:
    """The newsroom plus stories from 47 and 49 hours ago, a Russian story and a draft."""
    now = timezone.now()
    recent = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Festival opens",
        slug="festival-opens",
        published_at=now - timedelta(hours=47),
    )
    old = factories.ArticlePageFactory(
        parent=newsroom["culture"],
        title="Festival ends",
        slug="festival-ends",
        published_at=now - timedelta(hours=49),
    )
    ru_news = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    russian = factories.ArticlePageFactory(parent=ru_news, title="Суд & пресса", slug="sud")
    draft = draft_article(newsroom["news"], title="Unpublished scoop", slug="scoop")
    return {**newsroom, "recent": recent, "old": old, "russian": russian, "draft": draft}


def fetch_xml(client: Client, path: str) -> ElementTree.Element:
    response = get_ok(client, path)
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content)


def locations(root: ElementTree.Element, element: str = "sm:url") -> list[str]:
    return [node.findtext("sm:loc", namespaces=NS) or "" for node in root.findall(element, NS)]


def test_sitemap_index_lists_both_sections(client: Client, archive: dict[str, Any]) -> None:
    root = fetch_xml(client, "/sitemap.xml")
    assert root.tag == f"{{{NS['sm']}}}sitemapindex"
    assert locations(root, "sm:sitemap") == [
        f"{SITE}/sitemap-pages.xml",
        f"{SITE}/sitemap-articles.xml",
    ]
    for location in locations(root, "sm:sitemap"):
        assert get_ok(client, location.removeprefix(SITE)).status_code == 200


def test_article_sitemap_lists_every_live_article(client: Client, archive: dict[str, Any]) -> None:
    root = fetch_xml(client, "/sitemap-articles.xml")
    assert sorted(locations(root)) == [
        f"{SITE}/en/culture/festival-ends/",
        f"{SITE}/en/culture/festival-opens/",
        f"{SITE}/en/news/court-opens-trial/",
        f"{SITE}/ru/novosti/sud/",
    ]
    old = next(
        url
        for url in root.findall("sm:url", NS)
        if "festival-ends" in url.findtext("sm:loc", "", NS)
    )
    assert (
        old.findtext("sm:lastmod", namespaces=NS)
        == archive["old"].last_published_at.date().isoformat()
    )
    for url in root.findall("sm:url", NS):
        datetime.fromisoformat(url.findtext("sm:lastmod", "", NS))


def test_page_sitemap_lists_listing_pages_not_articles(
    client: Client, archive: dict[str, Any]
) -> None:
    found = locations(fetch_xml(client, "/sitemap-pages.xml"))
    for path in [
        "/en/",
        "/en/news/",
        "/en/culture/",
        "/en/authors/anna-berg/",
        "/ru/",
        "/ru/novosti/",
    ]:
        assert f"{SITE}{path}" in found
    assert not any("court-opens-trial" in location for location in found)


def test_news_sitemap_holds_only_the_last_48_hours(client: Client, archive: dict[str, Any]) -> None:
    root = fetch_xml(client, "/news-sitemap.xml")
    assert sorted(locations(root)) == [
        f"{SITE}/en/culture/festival-opens/",
        f"{SITE}/en/news/court-opens-trial/",
        f"{SITE}/ru/novosti/sud/",
    ]
    by_location = {url.findtext("sm:loc", "", NS): url for url in root.findall("sm:url", NS)}
    lead = by_location[f"{SITE}/en/news/court-opens-trial/"]
    assert lead.findtext("news:news/news:title", namespaces=NS) == "Court opens trial of reporter"
    assert lead.findtext("news:news/news:publication/news:language", namespaces=NS) == "en"
    published = datetime.fromisoformat(lead.findtext("news:news/news:publication_date", "", NS))
    archive["lead"].refresh_from_db()
    assert published == archive["lead"].first_published_at
    russian = by_location[f"{SITE}/ru/novosti/sud/"]
    assert russian.findtext("news:news/news:title", namespaces=NS) == "Суд & пресса"
    assert russian.findtext("news:news/news:publication/news:language", namespaces=NS) == "ru"


def test_robots_txt_names_sitemaps_and_keeps_out_of_admin(client: Client, site_tree: Any) -> None:
    response = get_ok(client, "/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert f"Sitemap: {SITE}/news-sitemap.xml" in lines


def test_large_sitemaps_page_by_path_oldest_first(
    client: Client, archive: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Numbered pages are files in the static bundle, and a new story changes only the last one.
    monkeypatch.setattr(ArticleSitemap, "limit", 3)
    root = fetch_xml(client, "/sitemap.xml")
    assert locations(root, "sm:sitemap")[-2:] == [
        f"{SITE}/sitemap-articles.xml",
        f"{SITE}/sitemap-articles-2.xml",
    ]
    first = get_ok(client, "/sitemap-articles.xml").content
    assert locations(fetch_xml(client, "/sitemap-articles-2.xml")) == [f"{SITE}/ru/novosti/sud/"]
    factories.ArticlePageFactory(parent=archive["news"], title="Newest", slug="newest")
    assert get_ok(client, "/sitemap-articles.xml").content == first
    assert locations(fetch_xml(client, "/sitemap-articles-2.xml"))[-1].endswith("/newest/")
    for missing in ("/sitemap-articles-1.xml", "/sitemap-articles-3.xml", "/sitemap-other.xml"):
        assert client.get(missing).status_code == 404
