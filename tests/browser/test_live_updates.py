"""A live story in a real browser: with JavaScript the reader is told of new updates, without
it the page is complete and a reload shows them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, expect
from wagtail.rich_text import RichText

from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.browser.conftest import origin
from tests.browser.test_reading import record_foreign_requests

pytestmark = pytest.mark.browser


def update(text: str, hours_ago: float) -> tuple[str, Any]:
    time = timezone.now() - timedelta(hours=hours_ago)
    return ("update", {"time": time, "headline": "", "text": RichText(f"<p>{text}</p>")})


@pytest.fixture
def live_stories(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> dict[str, ArticlePage]:
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    english = factories.ArticlePageFactory(
        parent=factories.SectionPageFactory(parent=factories.home("en"), slug="news"),
        title="Tessel harbour strike",
        slug="strike",
        live_updates=[update("Gates closed at dawn.", 3), update("Ships wait at anchor.", 1)],
    )
    russian = factories.ArticlePageFactory(
        parent=factories.SectionPageFactory(parent=factories.home("ru"), slug="novosti"),
        title="Забастовка в порту",
        slug="zabastovka",
        live_updates=[update("Ворота закрыты с рассвета.", 2)],
    )
    cache.clear()
    return {"en": english, "ru": russian}


def add_update(story: ArticlePage, text: str) -> None:
    story = ArticlePage.objects.get(pk=story.pk)
    story.live_updates.append(update(text, 0))
    story.save_revision().publish()


def test_a_reader_is_told_of_new_updates_and_reloads(
    browser: Browser, live_server: Any, live_stories: dict[str, ArticlePage]
) -> None:
    base = live_server.url
    with browser.new_context() as context:
        page = context.new_page()
        foreign = record_foreign_requests(page, origin(base))
        page.clock.install()
        page.goto(base + "/en/news/strike/")
        updates = page.locator("li.live-update")
        expect(updates.first).to_contain_text("Ships wait at anchor.")
        add_update(live_stories["en"], "The night shift stays out.")
        add_update(live_stories["en"], "Police vans arrive.")
        page.clock.fast_forward(61_000)
        notice = page.locator(".live-new a")
        expect(notice).to_have_text("New updates: 2. Reload the page")
        notice.click()
        expect(updates.first).to_contain_text("Police vans arrive.")
        expect(updates).to_have_count(4)
        expect(page.locator(".live-new")).to_have_count(0)
    assert foreign == []


def test_without_javascript_the_russian_live_story_is_whole_and_a_reload_updates_it(
    browser: Browser, live_server: Any, live_stories: dict[str, ArticlePage]
) -> None:
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(live_server.url + "/ru/novosti/zabastovka/")
        expect(page.get_by_role("heading", name="Обновления в реальном времени")).to_be_visible()
        updates = page.locator("li.live-update")
        expect(updates).to_have_count(1)
        permalink = updates.first.locator("a.permalink")
        anchor = permalink.get_attribute("href")
        assert anchor is not None and anchor.startswith("#update-")
        permalink.click()
        expect(page).to_have_url(live_server.url + "/ru/novosti/zabastovka/" + anchor)
        add_update(live_stories["ru"], "Ночная смена не вышла.")
        page.reload()
        expect(updates.first).to_contain_text("Ночная смена не вышла.")
        expect(updates.nth(1)).to_have_attribute("id", anchor[1:])
