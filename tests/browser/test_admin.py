"""The newsroom's own admin screens in a real browser, as staff use them: an editor sends an
edition from its send screen, a reporter starts a story and saves a draft."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from playwright.sync_api import Browser, Locator, Page, expect

from samizdat.newsletter import actions
from samizdat.newsletter.models import Edition, EditionItem, Subscriber
from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.models import ArticlePage, SectionPage
from tests import factories
from tests.browser.conftest import log_in_to_admin
from tests.newsletter.smtp import SmtpServer

pytestmark = pytest.mark.browser

PASSWORD = "a long staff password"
SUBJECT = "The Lantern weekly"


@pytest.fixture
def newsroom(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> SectionPage:
    """A published section with a story, on the live server (the serialized rollback puts the
    migrated database back after each test)."""
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    actions.ensure_newsletter_pages()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    factories.ArticlePageFactory(
        parent=news, title="Court opens trial of reporter", slug="court-opens-trial"
    )
    factories.AuthorPageFactory(
        parent=factories.author_index("en"), title="Anna Berg", slug="anna-berg"
    )
    cache.clear()
    return news


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server, with Django's SMTP backend (in the live server too) pointed at it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    try:
        yield server
    finally:
        server.stop()


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def log_in(page: Page, base: str, username: str) -> None:
    log_in_to_admin(page, base, username, PASSWORD)
    expect(page).to_have_url(f"{base}/admin/")


def assert_label_shows(button: Locator) -> None:
    """The button is an ordinary one-line button, its label inside it and its icon small."""
    geometry = button.evaluate(
        """element => {
            const rect = r => r && {x: r.x, y: r.y, width: r.width, height: r.height};
            const range = document.createRange();
            const texts = [...element.childNodes].filter(
                node => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
            range.setStart(texts[0], 0);
            const last = texts[texts.length - 1];
            range.setEnd(last, last.length);
            const icon = element.querySelector("svg");
            return {
                box: rect(element.getBoundingClientRect()),
                label: rect(range.getBoundingClientRect()),
                icon: icon && rect(icon.getBoundingClientRect()),
                iconClass: icon && icon.getAttribute("class"),
            };
        }"""
    )
    box, label, icon = geometry["box"], geometry["label"], geometry["icon"]
    expect(button).to_be_visible()
    assert label["width"] > 20, geometry
    assert box["x"] <= label["x"] and label["x"] + label["width"] <= box["x"] + box["width"]
    assert box["y"] <= label["y"] and label["y"] + label["height"] <= box["y"] + box["height"]
    assert box["height"] <= 48, geometry  # one line of text, not a 150 px box
    assert box["width"] <= label["width"] + 80, geometry  # the label and an icon, no more
    if icon is not None:
        assert icon["width"] <= 20 and icon["height"] <= 20, geometry
        assert icon["x"] + icon["width"] <= label["x"] + 1, geometry  # beside, not over, the label
        assert "w-w-4" in geometry["iconClass"] and "w-h-4" in geometry["iconClass"]


def test_editor_edits_and_sends_an_edition_from_its_send_screen(
    browser: Browser, live_server: Any, newsroom: SectionPage, smtp_server: SmtpServer
) -> None:
    staff("editor", "Editors")
    for number in range(2):
        Subscriber.objects.create(
            email=f"reader{number}@example.org", language="en", status=Subscriber.Status.ACTIVE
        )
    edition = Edition.objects.create(language="en", subject=SUBJECT, intro="The week.")
    article = ArticlePage.objects.get(slug="court-opens-trial")
    EditionItem.objects.create(edition=edition, article=article, sort_order=0)
    send_screen = f"{live_server.url}/admin/snippets/newsletter/edition/send/{edition.pk}/"

    with browser.new_context(viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        log_in(page, live_server.url, "editor")
        page.goto(send_screen)
        actions_box = page.locator("#edition-actions")
        edit = actions_box.get_by_role("link", name="Edit the edition")
        send_now = actions_box.get_by_role("link", name="Send now…")
        for button in (edit, send_now):
            assert_label_shows(button)

        edit.click()
        expect(page).to_have_url(
            f"{live_server.url}/admin/snippets/newsletter/edition/edit/{edition.pk}/"
        )
        expect(page.get_by_label("Subject")).to_have_value(SUBJECT)

        page.goto(send_screen)
        page.locator("#edition-actions").get_by_role("link", name="Send now…").click()
        confirm = page.locator("#confirm-send")
        expect(confirm).to_contain_text(f"Send “{SUBJECT}” now to 2 subscribers in English?")
        yes = confirm.get_by_role("button", name="Yes, send now")
        assert_label_shows(yes)
        yes.click()
        expect(page.locator(".messages")).to_contain_text(
            "Sending started: 2 letters are on their way."
        )
        assert smtp_server.handler.wait_until(2)
        page.get_by_role("link", name="Refresh").click()
        expect(page.locator("#edition-status [data-status]")).to_have_text("Sent")

    assert sorted(smtp_server.per_recipient()) == ["reader0@example.org", "reader1@example.org"]
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_reporter_types_a_headline_and_the_slug_follows(
    browser: Browser, live_server: Any, newsroom: SectionPage
) -> None:
    staff("reporter", "Reporters")
    with browser.new_context(viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        log_in(page, live_server.url, "reporter")
        page.goto(f"{live_server.url}/admin/pages/add/publishing/articlepage/{newsroom.pk}/")
        page.get_by_role("textbox", name="Headline").fill("Harbour workers vote to strike")
        page.get_by_role("textbox", name="Standfirst").fill("Dockers in Tessel walk out on Monday.")

        page.get_by_role("tab", name="Promote").click()
        expect(page.get_by_role("textbox", name="Slug")).to_have_value(
            "harbour-workers-vote-to-strike"
        )

        page.get_by_role("tab", name="Content").click()
        authors = page.locator("#panel-child-content-authors-section")
        authors.get_by_role("button", name="Choose a page (Author)").click()
        page.get_by_role("dialog").get_by_role("link", name="Anna Berg").click()
        expect(authors).to_contain_text("Anna Berg")
        page.get_by_role("button", name="Save draft").click()
        expect(page.locator(".messages")).to_contain_text(
            "Page 'Harbour workers vote to strike' created."
        )

    article = ArticlePage.objects.get(slug="harbour-workers-vote-to-strike")
    assert article.title == "Harbour workers vote to strike"
    assert not article.live
    assert article.get_parent().pk == newsroom.pk
