"""A reader's path through the site in a real browser: front page, section, story, translation."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, Request, expect
from wagtail.models import Locale

from samizdat.publishing.actions import ensure_site_tree
from tests import factories
from tests.browser.conftest import origin

pytestmark = pytest.mark.browser

HEADLINE = "Court opens trial of reporter"
HEADLINE_RU = "Суд начал процесс над репортёром"
STANDFIRST_RU = "Журналисту грозит до десяти лет заключения."
OTHER_HEADLINE = "Press cards withdrawn from three reporters"
ARTICLE_PATH = "/en/news/court-opens-trial/"


@pytest.fixture
def story(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> None:
    """A published English section with two tagged, illustrated stories; one is in Russian too.
    The live server is the newsroom's site (where its reader forms post).

    The serialized rollback puts the migrated database back after each test: a plain flush
    would run the post_migrate hook on an empty tree.
    """
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    # The earlier story: under "Read more" of the later one.
    factories.ArticlePageFactory(
        parent=news,
        title=OTHER_HEADLINE,
        slug="press-cards-withdrawn",
        lead_image=factories.ImageFactory(title="Press cards"),
        tags=["courts"],
    )
    article = factories.ArticlePageFactory(
        parent=news,
        title=HEADLINE,
        slug="court-opens-trial",
        lead_image=factories.ImageFactory(title="Court steps"),
        tags=["courts"],
    )
    russian = Locale.objects.get(language_code="ru")
    translation = article.copy_for_translation(russian, copy_parents=True, alias=False)
    translation.title = HEADLINE_RU
    translation.standfirst = STANDFIRST_RU
    translation.save()
    translation.save_revision().publish()
    news_ru = news.get_translation(russian)
    if not news_ru.live:
        news_ru.save_revision().publish()
    cache.clear()


def record_foreign_requests(page: Page, allowed_origin: str) -> list[str]:
    """Start listening; the returned list fills with every request that leaves the site."""
    foreign: list[str] = []

    def check(request: Request) -> None:
        if not request.url.startswith("data:") and origin(request.url) != allowed_origin:
            foreign.append(request.url)

    page.on("request", check)
    return foreign


def broken_images(page: Page) -> list[str]:
    return page.evaluate(
        "() => Array.from(document.images)"
        ".filter(img => !(img.complete && img.naturalWidth > 0))"
        ".map(img => img.currentSrc || img.src)"
    )


def test_reader_goes_from_front_page_to_a_story_and_its_translation(
    browser: Browser, live_server: Any, story: None
) -> None:
    base = live_server.url
    with browser.new_context() as context:
        page = context.new_page()
        foreign = record_foreign_requests(page, origin(base))

        page.goto(base + "/en/")
        page.locator("nav.sections").get_by_role("link", name="News", exact=True).click()
        expect(page).to_have_url(base + "/en/news/")
        page.locator("main").get_by_role("link", name=HEADLINE, exact=True).click()
        expect(page).to_have_url(base + ARTICLE_PATH)
        expect(page.locator("h1")).to_have_text(HEADLINE)

        page.wait_for_load_state("load")
        assert page.locator("img").count() >= 1
        assert broken_images(page) == []
        rule_counts = page.evaluate(
            "() => Array.from(document.styleSheets).map(sheet => sheet.cssRules.length)"
        )
        assert rule_counts and all(rule_counts), rule_counts
        font = page.evaluate("() => getComputedStyle(document.body).fontFamily")
        assert "Charter" in font, font

        page.locator("nav.languages").get_by_role("link", name="Русский", exact=True).click()
        expect(page).to_have_url(base + "/ru/news/court-opens-trial/")
        expect(page.locator("html")).to_have_attribute("lang", "ru")
        expect(page.locator("h1")).to_have_text(HEADLINE_RU)

    assert foreign == []


def test_story_is_complete_without_javascript(
    browser: Browser, live_server: Any, story: None
) -> None:
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(live_server.url + ARTICLE_PATH)
        expect(page.locator("h1")).to_have_text(HEADLINE)
        lead = page.locator("figure.lead-image img")
        expect(lead).to_be_visible()
        assert lead.evaluate("img => img.complete && img.naturalWidth > 0")
        read_more = page.locator("aside.read-more")
        expect(read_more.get_by_role("heading", name="Read more")).to_be_visible()
        expect(read_more.get_by_role("link", name=OTHER_HEADLINE, exact=True)).to_be_visible()


def test_story_fits_a_320_pixel_screen(browser: Browser, live_server: Any, story: None) -> None:
    with browser.new_context(viewport={"width": 320, "height": 640}) as context:
        page = context.new_page()
        for path in ("/en/", "/en/news/", ARTICLE_PATH, "/ru/news/court-opens-trial/"):
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 320 + 1, (path, width)


def test_fresh_stories_read_hours_ago_with_javascript_and_their_date_without(
    browser: Browser, live_server: Any, story: None
) -> None:
    from datetime import datetime, timedelta

    from django.utils import timezone
    from django.utils.formats import date_format

    from samizdat.publishing.models import ArticlePage

    published = timezone.now() - timedelta(hours=3, minutes=5)
    ArticlePage.objects.update(first_published_at=published)
    exact = date_format(timezone.localtime(published), "DATE_FORMAT")
    for language, ago in (("en", "3 hours ago"), ("ru", "3 часа назад")):
        with browser.new_context() as context:
            page = context.new_page()
            page.goto(f"{live_server.url}/{language}/")
            time = page.locator("#lead-title ~ .meta time")
            expect(time).to_have_text(ago)
            shown = datetime.fromisoformat(time.get_attribute("datetime") or "")
            assert shown == published.replace(microsecond=0)
        with browser.new_context(java_script_enabled=False) as context:
            page = context.new_page()
            page.goto(f"{live_server.url}/en/")
            expect(page.locator("#lead-title ~ .meta time")).to_have_text(exact)
