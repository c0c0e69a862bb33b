from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from taggit.models import Tag

from samizdat.core.management.commands.demo import DEMO_PASSWORD, ensure_demo_users
from samizdat.publishing.demo import seed_demo
from samizdat.publishing.models import ArticlePage, SectionPage
from samizdat.publishing.paths import language_roots, public_path
from samizdat.publishing.seed import seed_articles

pytestmark = pytest.mark.django_db


def test_demo_newsroom_is_complete_and_seeding_twice_changes_nothing(
    client: Client, site_tree: Any
) -> None:
    created = seed_demo()
    assert created["articles"] >= 40 and created["translations"] >= 6
    english = ArticlePage.objects.live().filter(locale__language_code="en")
    russian = ArticlePage.objects.live().filter(locale__language_code="ru")
    assert english.count() >= 40 and russian.count() >= 6
    assert set(SectionPage.objects.filter(locale__language_code="en").values_list("slug", flat=True)) == {
        "news", "business", "opinion", "culture",
    }  # fmt: skip
    assert all(article.lead_image_id for article in english)
    quoted = [a for a in english if any(block.block_type == "quote" for block in a.body)]
    assert len(quoted) >= 20

    assert seed_demo() == {"sections": 0, "authors": 0, "articles": 0, "translations": 0}
    assert ArticlePage.objects.count() == english.count() + russian.count()

    translated = russian.first()
    assert translated is not None
    path = public_path(translated.url_path, language_roots())
    assert path is not None and path.startswith("/ru/")
    assert translated.title in client.get(path).content.decode()


def test_demo_users_can_log_in_with_their_roles(client: Client, site_tree: Any) -> None:
    logins = ensure_demo_users()
    assert [name for name, _role in logins] == ["admin", "editor", "reporter"]
    assert ensure_demo_users() == logins and User.objects.count() == 3
    assert client.login(username="reporter", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_synthetic_archive_is_ordinary_published_content(client: Client, site_tree: Any) -> None:
    assert seed_articles(60, batch_size=25, index_in_background=False) == 60
    articles = ArticlePage.objects.live()
    assert articles.count() == 60
    assert articles.filter(tagged_items__isnull=False).distinct().count() == 60
    assert articles.filter(article_authors__isnull=False).distinct().count() == 60
    years = {article.first_published_at.year for article in articles}
    assert len(years) >= 3

    newest = articles.order_by("-first_published_at").first()
    assert newest is not None
    path = public_path(newest.url_path, language_roots())
    assert path is not None and newest.title in client.get(path).content.decode()
    section_path = path.rsplit("/", 2)[0] + "/"
    assert newest.title in client.get(section_path).content.decode()
    assert newest in list(ArticlePage.objects.live().search(newest.title, operator="and"))


def test_demo_tags_read_as_names_and_live_at_their_slugs(client: Client, site_tree: Any) -> None:
    seed_demo()
    tag = Tag.objects.get(slug="press-freedom")
    assert tag.name == "press freedom"
    assert not Tag.objects.filter(name__contains="-").exists()

    page = client.get("/en/tags/press-freedom/").content.decode()
    assert "<h1>press freedom</h1>" in page
    assert "<title>#press freedom · " in page
    article = ArticlePage.objects.live().filter(tags=tag, locale__language_code="en").first()
    assert article is not None
    path = public_path(article.url_path, language_roots())
    assert path is not None
    story = client.get(path).content.decode()
    assert 'rel="tag">press freedom</a>' in story
    assert '<meta property="article:tag" content="press freedom">' in story
    feed = client.get("/en/tags/press-freedom/feed/rss/").content.decode()
    assert "<category>press freedom</category>" in feed and "press-freedom</category>" not in feed


def test_synthetic_archive_names_its_tags(site_tree: Any) -> None:
    seed_articles(5, batch_size=5, index_in_background=False)
    assert Tag.objects.get(slug="press-freedom").name == "press freedom"
    assert not Tag.objects.filter(name__contains="-").exists()
