from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.utils import timezone
from taggit.models import Tag
from wagtail.models import Page, Revision

from samizdat.core.management.commands.demo import DEMO_PASSWORD, ensure_demo_users
from samizdat.core.paths import language_roots, public_path
from samizdat.newsletter.demo import seed_demo_editions
from samizdat.newsletter.models import Edition
from samizdat.publishing.demo import seed_demo
from samizdat.publishing.models import ArticlePage, SectionPage
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


def test_demo_dates_nothing_in_the_future(client: Client, site_tree: Any) -> None:
    seed_demo()
    seed_demo_editions()
    now = timezone.now()
    pages = Page.objects.filter(depth__gt=1)
    assert pages.filter(first_published_at__isnull=False).count() >= 48
    for field in ("first_published_at", "last_published_at", "latest_revision_created_at"):
        assert not pages.filter(**{f"{field}__gt": now}).exists(), field
    assert not Revision.objects.filter(created_at__gt=now).exists()
    articles = ArticlePage.objects.live()
    # Corrections and translations come after the first publication, but never in the future.
    assert articles.filter(last_published_at__gt=F("first_published_at")).exists()
    assert all(
        article.latest_revision_created_at == article.last_published_at for article in articles
    )

    # The newest story's "Updated" on its page and the front page's lead are in the past.
    newest = articles.filter(locale__language_code="en").order_by("-first_published_at").first()
    assert newest is not None
    path = public_path(newest.url_path, language_roots())
    assert path is not None
    html = client.get(path).content.decode()
    for stamp in re.findall(r'<time datetime="([^"]+)"', html):
        assert datetime.fromisoformat(stamp) <= now, stamp

    # The demo editions: written now, to go out at the next weekly slot.
    editions = Edition.objects.all()
    assert editions.count() == 2
    assert not editions.filter(created_at__gt=now).exists()
    assert not editions.filter(send_at__lte=now).exists()
