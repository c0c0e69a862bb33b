"""A reader signs up for the newsletter in a real browser, confirms by mail, gets a letter
and leaves with its unsubscribe link; with JavaScript, the form proves its work first."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from samizdat.newsletter import actions
from samizdat.newsletter.models import Delivery, Edition, EditionItem, Subscriber
from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.browser.conftest import origin, record_requests

pytestmark = pytest.mark.browser

ARTICLE_PATH = "/en/news/court-opens-trial/"
READER = "reader@example.org"


@pytest.fixture
def newsletter(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> ArticlePage:
    """A published story, the newsletter pages, and the live server as the newsroom's site.

    The serialized rollback puts the migrated database back after each test.
    """
    settings.SITE_URL = live_server.url
    settings.FORM_ORIGINS = [live_server.url]
    settings.APP_ORIGINS = [live_server.url]
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    settings.NEWSLETTER_POW_MAX_NUMBER = 3000
    ensure_site_tree()
    actions.ensure_newsletter_pages()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    article = factories.ArticlePageFactory(
        parent=news, title="Court opens trial of reporter", slug="court-opens-trial"
    )
    cache.clear()
    return article


def sign_up(page: Page, email: str) -> None:
    form = page.locator("form.signup")
    form.get_by_label("Email address").fill(email)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Subscribe").click()


def send(article: ArticlePage, subject: str) -> Edition:
    """An editor's edition with one story, sent now (locmem backend, this thread)."""
    edition = Edition.objects.create(language="en", subject=subject, intro="The week.")
    EditionItem.objects.create(edition=edition, article=article, sort_order=0)
    actions.send_edition(edition_id=edition.pk)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    return edition


def test_sign_up_confirm_read_and_unsubscribe_without_javascript(
    browser: Browser, live_server: Any, newsletter: ArticlePage
) -> None:
    base = live_server.url
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(base + ARTICLE_PATH)
        sign_up(page, READER)
        expect(page.locator("h1")).to_have_text("Check your inbox")
        assert Subscriber.objects.get().status == Subscriber.Status.PENDING

        (confirmation,) = mail.outbox
        assert confirmation.to == [READER]
        link = re.search(r"https?://\S+/newsletter/confirm/\?token=[\w-]+", str(confirmation.body))
        assert link, confirmation.body
        page.goto(link.group(0))
        expect(page.locator("h1")).to_have_text("Confirm your subscription")
        assert Subscriber.objects.get().status == Subscriber.Status.PENDING
        page.get_by_role("button", name="Yes, send me the newsletter").click()
        expect(page.locator("h1")).to_have_text("You are subscribed")
        assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE

        other = Subscriber.objects.create(
            email="other@example.org", language="en", status=Subscriber.Status.ACTIVE
        )
        mail.outbox.clear()
        first = send(newsletter, "The week in courts")
        letter = next(m for m in mail.outbox if m.to == [READER])
        assert letter.subject == "The week in courts"
        unsubscribe = re.search(
            r"https?://\S+/newsletter/unsubscribe/\?token=[\w:-]+", str(letter.body)
        )
        assert unsubscribe, letter.body
        assert f"<{unsubscribe.group(0)}>" in letter.extra_headers["List-Unsubscribe"]

        page.goto(unsubscribe.group(0))
        expect(page.locator("h1")).to_have_text("Unsubscribe from the newsletter?")
        assert Subscriber.objects.get(email=READER).status == Subscriber.Status.ACTIVE
        page.get_by_role("button", name="Unsubscribe").click()
        expect(page.locator("h1")).to_have_text("You are unsubscribed")
        assert Subscriber.objects.get(email=READER).status == Subscriber.Status.UNSUBSCRIBED

        # The letter's web version is in the archive.
        page.goto(f"{base}/en/newsletter/")
        page.get_by_role("link", name="The week in courts").click()
        expect(page).to_have_url(f"{base}/en/newsletter/{first.pk}/")
        expect(page.locator("h1")).to_have_text("The week in courts")

    mail.outbox.clear()
    second = send(newsletter, "The next week")
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert not Delivery.objects.filter(edition=second, subscriber__email=READER).exists()
    assert {origin(request.url) for request in requests} == {base}


def test_with_javascript_the_form_solves_the_puzzle_first(
    browser: Browser, live_server: Any, newsletter: ArticlePage, settings: Any
) -> None:
    # Without a solved puzzle nobody may sign up: only the script's proof of work passes.
    settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW = 0
    base = live_server.url
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        page.goto(base + ARTICLE_PATH)
        sign_up(page, READER)
        expect(page.locator("h1")).to_have_text("Check your inbox", timeout=10_000)

    assert Subscriber.objects.get().email == READER
    assert len(mail.outbox) == 1
    assert {origin(request.url) for request in requests} == {base}
    assert any(request.url == f"{base}/newsletter/challenge/" for request in requests)
    (signup,) = [r for r in requests if r.method == "POST" and r.url.endswith("/subscribe/")]
    fields = parse_qs(signup.post_data or "")
    assert fields["email"] == [READER]
    assert fields["altcha"][0], "the script filled in the solved puzzle"
