"""The reader pages fit a phone: no sideways scrolling at 320 and 375 px in English and
Russian, and the boxes after a story line up with the story's column."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page
from wagtail.models import Locale

from samizdat.publishing.actions import ensure_site_tree
from tests import factories

pytestmark = pytest.mark.browser

WIDTHS = (320, 375)
LANGUAGES = ("en", "ru")
ARTICLE_PATH = "/{lang}/news/court-opens-trial/"
# The reader pages that are not stories: the forms and the pages around them.
READER_PAGES = (
    "/donate/?language={lang}",
    "/{lang}/newsletter/",
    "/donate/manage/?language={lang}",
    "/{lang}/mirrors/",
    "/{lang}/search/?q=court",
)
NOT_FOUND = "/{lang}/no-such-page/"
# The widest element that sticks out past the viewport's right edge, named by its tag and
# classes (or null when nothing does).
WIDEST_OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  let widest = null, right = limit;
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    // Text that does not fit sticks out of its box without widening it.
    const edge = Math.max(box.right, box.left + el.scrollWidth);
    if (box.width && edge > right + 0.5) {
      right = edge;
      widest = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' (right edge ' +
        Math.round(edge) + ' px)';
    }
  }
  return widest;
}"""


@pytest.fixture
def newsroom(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> str:
    """A story in English and Russian on the live server, which is the newsroom's site."""
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    settings.FORM_ORIGINS = [live_server.url]
    ensure_site_tree()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    factories.ArticlePageFactory(
        parent=news, title="Press cards withdrawn from three reporters", slug="press-cards"
    )
    article = factories.ArticlePageFactory(
        parent=news,
        title="Court opens trial of reporter",
        slug="court-opens-trial",
        lead_image=factories.ImageFactory(title="Court steps"),
    )
    russian = article.copy_for_translation(
        Locale.objects.get(language_code="ru"), copy_parents=True, alias=False
    )
    # Russian runs longer than English: long words are where a narrow page breaks.
    russian.title = "Высококвалифицированные правозащитники обжаловали приговор журналисту"
    russian.standfirst = "Международно-правовая экспертиза подтвердила нарушения."
    russian.save()
    russian.save_revision().publish()
    section = news.get_translation(Locale.objects.get(language_code="ru"))
    if not section.live:
        section.save_revision().publish()
    cache.clear()
    return str(live_server.url)


def overflow(page: Page) -> str | None:
    """What makes the page wider than the window, if anything does."""
    wider = page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth")
    if not wider:
        return None
    return str(page.evaluate(WIDEST_OVERFLOW) or "an element outside <body>")


def wide_pages(browser: Browser, site: str, paths: tuple[str, ...]) -> list[str]:
    problems = []
    for width in WIDTHS:
        with browser.new_context(viewport={"width": width, "height": 800}) as context:
            page = context.new_page()
            for lang in LANGUAGES:
                for path in paths:
                    url = site + path.format(lang=lang)
                    response = page.goto(url)
                    assert response is not None
                    assert response.status == (404 if path == NOT_FOUND else 200), url
                    widest = overflow(page)
                    if widest:
                        problems.append(f"{path.format(lang=lang)} at {width} px: {widest}")
    return problems


def test_reader_pages_need_no_sideways_scrolling_on_a_phone(
    browser: Browser, newsroom: str
) -> None:
    assert wide_pages(browser, newsroom, (*READER_PAGES, NOT_FOUND)) == []


def test_stories_need_no_sideways_scrolling_on_a_phone(browser: Browser, newsroom: str) -> None:
    assert wide_pages(browser, newsroom, (ARTICLE_PATH, "/{lang}/", "/{lang}/news/")) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_appeal_and_newsletter_boxes_line_up_with_the_story(
    browser: Browser, newsroom: str, width: int
) -> None:
    with browser.new_context(viewport={"width": width, "height": 900}) as context:
        page = context.new_page()
        page.goto(newsroom + ARTICLE_PATH.format(lang="en"))
        column = page.locator("article.article").bounding_box()
        assert column is not None
        boxes = {"appeal": page.locator("aside.appeal"), "signup": page.locator("form.signup")}
        for name, box in boxes.items():
            assert box.count() == 1, f"the {name} box follows the story"
            found = box.bounding_box()
            assert found is not None
            assert abs(found["x"] - column["x"]) <= 1, (name, found, column)
            assert abs(found["x"] + found["width"] - column["x"] - column["width"]) <= 1, (
                name,
                found,
                column,
            )
