"""The demo newsroom `samizdat demo` seeds: every app's demo content, through the hooks the
apps register, complete, seeded once, and dated in the past. Seeded once for the module."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from pytest_django import DjangoDbBlocker
from taggit.models import Tag
from wagtail.models import Page, Revision

from samizdat.core.management.commands.demo import (
    DEMO_PASSWORD,
    demo_logins,
    ensure_demo_users,
    seed_demo_content,
)
from samizdat.core.paths import language_roots, public_path
from samizdat.newsletter.models import Edition
from samizdat.publishing.models import ArticlePage, SectionPage
from tests.conftest import build_once

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_data_demo(
    module_transaction: bool, django_db_blocker: DjangoDbBlocker
) -> dict[str, int] | None:
    return build_once(module_transaction, django_db_blocker, seed_demo_content)


@pytest.fixture
def demo(site_tree: Any, module_data_demo: dict[str, int] | None) -> dict[str, int]:
    """What seeding the demo created (seeded once for the module)."""
    return module_data_demo if module_data_demo is not None else seed_demo_content()


def test_demo_newsroom_is_complete_and_seeding_twice_changes_nothing(
    client: Client, demo: dict[str, int]
) -> None:
    created = demo
    assert created["articles"] >= 40 and created["translations"] >= 6
    assert created["newsletter editions"] == 2 and created["demo gifts"] > 0
    english = ArticlePage.objects.live().filter(locale__language_code="en")
    russian = ArticlePage.objects.live().filter(locale__language_code="ru")
    assert english.count() >= 40 and russian.count() >= 6
    assert set(SectionPage.objects.filter(locale__language_code="en").values_list("slug", flat=True)) == {
        "news", "business", "opinion", "culture",
    }  # fmt: skip
    assert all(article.lead_image_id for article in english)
    quoted = [a for a in english if any(block.block_type == "quote" for block in a.body)]
    assert len(quoted) >= 20

    assert set(seed_demo_content().values()) == {0}, "every app's demo is seeded once"
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
    assert client.get("/admin/").status_code == 302  # the password alone opens nothing
    # `samizdat demo` prints each account's authenticator key beside its password.
    notes = {name: notes for name, _role, notes in demo_logins()}
    assert notes == {name: notes for name, _role, notes in demo_logins()}  # the same each time
    key = notes["reporter"][0].removeprefix("authenticator key ")
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    totp.time = time.time()
    client.post("/admin/2fa/verify/", {"code": f"{totp.token():06d}"})
    assert client.get("/admin/").status_code == 200


def test_demo_tags_read_as_names_and_live_at_their_slugs(
    client: Client, demo: dict[str, int]
) -> None:
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


def test_demo_dates_nothing_in_the_future(client: Client, demo: dict[str, int]) -> None:
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


def test_demo_renames_tags_an_earlier_demo_named_by_their_slugs(
    client: Client, demo: dict[str, int]
) -> None:
    Tag.objects.filter(slug="press-freedom").update(name="press-freedom")
    assert "<h1>press-freedom</h1>" in client.get("/en/tags/press-freedom/").content.decode()
    seed_demo_content()
    assert Tag.objects.get(slug="press-freedom").name == "press freedom"
    assert "<h1>press freedom</h1>" in client.get("/en/tags/press-freedom/").content.decode()


def test_demo_front_pages_are_chosen_and_its_stories_labelled(
    client: Client, demo: dict[str, int]
) -> None:
    from samizdat.publishing.models import HomePage

    for language in ("en", "ru"):
        home = HomePage.objects.get(locale__language_code=language)
        assert home.lead_story is not None and home.featured_stories.count() >= 2
        html = client.get(f"/{language}/").content.decode()
        assert f">{home.lead_story.title}</a></h2>" in html
    assert HomePage.objects.get(locale__language_code="en").lead_story.label == "exclusive"
    labels = set(ArticlePage.objects.exclude(label="").values_list("label", flat=True))
    assert labels == {"opinion", "analysis", "explainer", "exclusive"}
    assert not ArticlePage.objects.filter(url_path__contains="/opinion/", label="").exists()


def test_demo_has_a_photo_gallery_and_a_court_document_in_both_languages(
    client: Client, demo: dict[str, int]
) -> None:
    from samizdat.publishing.demo.galleries_documents import DOCUMENT, GALLERY

    for spec in (GALLERY, DOCUMENT):
        english = ArticlePage.objects.live().get(slug=spec["slug"])
        russian = ArticlePage.objects.live().get(slug=spec["ru"]["slug"])
        assert russian.translation_key == english.translation_key
    gallery = client.get("/en/culture/" + GALLERY["slug"] + "/").content.decode()
    assert gallery.count("<li><figure><img ") == 5 and "Mornings at the river market" in gallery
    ruling = client.get("/ru/news/" + DOCUMENT["ru"]["slug"] + "/").content.decode()
    assert "Постановление суда о закрытых заседаниях" in ruling and "PDF, " in ruling
    link = re.search(r'href="((?:\.\./)+media/documents/[^"]+\.pdf)"', ruling)
    assert link is not None
    pdf = client.get("/media/" + link[1].split("media/", 1)[1])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
