"""What search engines and link previews read: JSON-LD, Open Graph and the canonical link."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.publishing.helpers import SITE, page_html, parse_html

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
ARTICLE = "/en/news/court-opens-trial/"


def json_ld(html: str) -> dict[str, Any]:
    blocks = JSON_LD.findall(html)
    assert len(blocks) == 1, blocks
    return json.loads(blocks[0])


def meta(html: str) -> dict[str, str]:
    head = parse_html(html).find("head")
    assert head is not None
    return {
        node.get("property") or node.get("name") or "": node.get("content", "")
        for node in head.iter("meta")
        if node.get("property") or node.get("name")
    }


def test_article_json_ld_describes_a_news_article(client: Client, newsroom: dict[str, Any]) -> None:
    data = json_ld(page_html(client, ARTICLE))
    lead = newsroom["lead"]
    lead.refresh_from_db()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Court opens trial of reporter"
    assert data["inLanguage"] == "en"
    assert data["url"] == data["mainEntityOfPage"] == f"{SITE}{ARTICLE}"
    assert datetime.fromisoformat(data["datePublished"]) == lead.first_published_at
    assert datetime.fromisoformat(data["dateModified"]) == lead.last_published_at
    assert data["author"] == [
        {"@type": "Person", "name": "Anna Berg", "url": f"{SITE}/en/authors/anna-berg/"},
        {"@type": "Person", "name": "Pavel Drozd", "url": f"{SITE}/en/authors/pavel-drozd/"},
    ]
    [image] = data["image"]
    assert image.startswith(f"{SITE}/media/images/") and image.endswith(".webp")
    assert data["keywords"] == ["courts", "press-freedom"]


def test_russian_article_json_ld_is_in_russian(client: Client, site_tree: Any) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Новости", slug="novosti"
    )
    factories.ArticlePageFactory(parent=section, title="Суд над журналистом", slug="sud")
    data = json_ld(page_html(client, "/ru/novosti/sud/"))
    assert data["inLanguage"] == "ru"
    assert data["headline"] == "Суд над журналистом"
    assert data["url"] == f"{SITE}/ru/novosti/sud/"


def test_article_has_open_graph_tags_and_canonical_link(
    client: Client, newsroom: dict[str, Any]
) -> None:
    html = page_html(client, ARTICLE)
    tags = meta(html)
    assert tags["og:type"] == "article"
    assert tags["og:title"] == "Court opens trial of reporter"
    assert tags["og:url"] == f"{SITE}{ARTICLE}"
    assert tags["og:image"].startswith(f"{SITE}/media/images/")
    assert tags["og:image"].endswith(".webp")
    assert tags["og:description"].startswith("The standfirst of story")
    head = parse_html(html).find("head")
    assert head is not None
    canonical = [link.get("href") for link in head.iter("link") if link.get("rel") == "canonical"]
    assert canonical == [f"{SITE}{ARTICLE}"]


def test_json_ld_cannot_be_broken_out_of_by_a_headline(
    client: Client, newsroom: dict[str, Any]
) -> None:
    title = "</script><b>x & <!-- y"
    factories.ArticlePageFactory(parent=newsroom["news"], title=title, slug="escape")
    factories.ArticlePageFactory(parent=newsroom["news"], title="Plain words", slug="plain")
    html = page_html(client, "/en/news/escape/")
    plain = page_html(client, "/en/news/plain/")
    # Every "</script>" on the page closes a script the template opened (the JSON-LD block
    # and the site's scripts), as many as on a page with a plain headline: it adds none.
    assert html.count("</script>") == html.count("<script") == plain.count("<script")
    assert html.count('<script type="application/ld+json">') == 1
    assert "<b>x" not in html
    assert json_ld(html)["headline"] == title
    assert meta(html)["og:title"] == title


@pytest.mark.parametrize(
    ("label", "schema_type", "kicker"),
    [
        ("", "NewsArticle", None),
        ("opinion", "OpinionNewsArticle", "Opinion"),
        ("analysis", "AnalysisNewsArticle", "Analysis"),
        ("explainer", "BackgroundNewsArticle", "Explainer"),
        ("live", "LiveBlogPosting", "Live"),
        ("exclusive", "NewsArticle", "Exclusive"),
    ],
)
def test_a_story_label_is_its_kicker_and_its_schema_org_type(
    client: Client, newsroom: dict[str, Any], label: str, schema_type: str, kicker: str | None
) -> None:
    lead = newsroom["lead"]
    lead.label = label
    lead.save_revision().publish()
    html = page_html(client, ARTICLE)
    assert json_ld(html)["@type"] == schema_type
    shown = re.search(r'<p class="kicker">(.*?)</p>', html)
    assert shown is not None
    if kicker is None:
        assert "label" not in shown.group(1)
    else:
        assert shown.group(1).endswith(f' · <span class="label label-{label}">{kicker}</span>')


def test_a_russian_story_label_reads_in_russian(client: Client, site_tree: Any) -> None:
    section = factories.SectionPageFactory(
        parent=factories.home("ru"), title="Мнения", slug="mneniya"
    )
    factories.ArticlePageFactory(parent=section, title="Колонка", slug="kolonka", label="opinion")
    html = page_html(client, "/ru/mneniya/kolonka/")
    assert '<span class="label label-opinion">Мнение</span>' in html
    assert json_ld(html)["@type"] == "OpinionNewsArticle"
    listing = page_html(client, "/ru/mneniya/")
    assert '<p class="card-label"><span class="label label-opinion">Мнение</span></p>' in listing
