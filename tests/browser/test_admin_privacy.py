"""The admin in a real chromium, as staff go through it: no screen asks another site for
anything (no gravatar.com: it would learn a digest of each person's address), and none breaks
the admin's Content-Security-Policy, so the policy can stay strict."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Browser, ConsoleMessage, expect

from samizdat.newsletter import actions
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.actions import ensure_site_tree
from tests import factories
from tests.browser.conftest import log_in_to_admin, origin, record_requests

pytestmark = pytest.mark.browser

PASSWORD = "a long staff password"

# Every CSP violation, as the page itself reports it (chromium also says "Refused to …" on
# the console, which is collected too).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", event => {
    console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`
        + ` at ${event.sourceFile}:${event.lineNumber} (${event.sample})`);
});
"""


@pytest.fixture
def admin_site(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> dict[str, Any]:
    """A newsroom with a story, a photo and an edition, and a superuser with an address (the
    one gravatar would be asked about)."""
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    actions.ensure_newsletter_pages()
    home = factories.home("en")
    news = factories.SectionPageFactory(parent=home, title="News", slug="news")
    image = factories.ImageFactory(title="Court steps")
    article = factories.ArticlePageFactory(
        parent=news, title="Court opens trial of reporter", slug="court-opens-trial",
        lead_image=image, tags=["courts"],
    )  # fmt: skip
    edition = Edition.objects.create(language="en", subject="The weekly", intro="The week.")
    EditionItem.objects.create(edition=edition, article=article, sort_order=0)
    User.objects.create_superuser("chief", "chief@example.org", PASSWORD)
    cache.clear()
    return {"home": home, "news": news, "article": article, "image": image, "edition": edition}


def screens(site: dict[str, Any]) -> list[str]:
    """The admin's main screens, as the menu leads to them."""
    return [
        reverse("wagtailadmin_home"),
        reverse("wagtailadmin_explore", args=[site["home"].pk]),
        reverse("wagtailadmin_explore", args=[site["news"].pk]),
        reverse("wagtailadmin_pages:edit", args=[site["article"].pk]),
        reverse("wagtailadmin_pages:add", args=["publishing", "articlepage", site["news"].pk]),
        reverse("wagtailadmin_pages:history", args=[site["article"].pk]),
        reverse("wagtailimages:index"),
        reverse("wagtailimages:edit", args=[site["image"].pk]),
        reverse("wagtaildocs:index"),
        reverse("wagtailsnippets:index"),
        reverse("wagtailsnippets_newsletter_edition:edit", args=[site["edition"].pk]),
        reverse("wagtailsettings:edit", args=["donations", "donationsettings"]),
        reverse("wagtailsettings:edit", args=["newsletter", "newslettersettings"]),
        reverse("wagtailusers_users:index"),
        reverse("wagtailadmin_reports:site_history"),
        reverse("wagtailadmin_reports:aging_pages"),
        reverse("wagtailadmin_account"),
    ]


def test_admin_screens_ask_no_other_site_and_keep_to_their_policy(
    browser: Browser, live_server: Any, admin_site: dict[str, Any]
) -> None:
    base = live_server.url
    violations: list[str] = []
    errors: list[str] = []
    with browser.new_context(viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        requests = record_requests(page)

        def console(message: ConsoleMessage) -> None:
            text = message.text
            if "Content Security Policy" in text or text.startswith(("Refused", "CSP violation")):
                violations.append(f"{page.url}: {text}")

        page.on("console", console)
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))

        # The sign-in screen, which anyone can open, runs no inline script at all.
        response = page.goto(f"{base}/admin/login/")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe" not in policy
        log_in_to_admin(page, base, "chief", PASSWORD)  # and the second-factor page
        expect(page).to_have_url(f"{base}/admin/")
        expect(page.locator("#recent-sign-ins-section")).to_contain_text("Signed in")

        for path in screens(admin_site):
            response = page.goto(base + path)
            assert response is not None and response.status == 200, path
            policy = response.headers["content-security-policy"]
            assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy, path
            assert "unsafe-eval" not in policy
            page.wait_for_load_state("networkidle")

        # The editor's live preview (a frame of the admin's own)…
        page.goto(base + reverse("wagtailadmin_pages:edit", args=[admin_site["article"].pk]))
        page.get_by_role("button", name="Toggle preview").click()
        expect(page.locator("iframe#w-preview-iframe")).to_be_visible()
        page.wait_for_load_state("networkidle")
        # …and a chooser in its modal, on a new story.
        page.goto(
            base
            + reverse(
                "wagtailadmin_pages:add", args=["publishing", "articlepage", admin_site["news"].pk]
            )
        )
        authors = page.locator("#panel-child-content-authors-section")
        authors.get_by_role("button", name="Choose a page (Author)").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.wait_for_load_state("networkidle")

    elsewhere = [
        request.url
        for request in requests
        if not request.url.startswith(("data:", "blob:")) and origin(request.url) != base
    ]
    assert elsewhere == []
    assert violations == []
    assert errors == []
