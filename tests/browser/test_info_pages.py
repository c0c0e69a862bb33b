"""A source looks for how to reach the newsroom safely, in a real browser, without JavaScript
and on a small phone: from the footer to the page, every contact readable and nothing loaded
from elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, ViewportSize, expect
from wagtail.models import Locale
from wagtail.rich_text import RichText

from samizdat.publishing.actions import ensure_site_tree
from samizdat.publishing.demo.demo_key import demo_public_key
from samizdat.publishing.demo.outlet_pages import demo_onion
from samizdat.publishing.models import InfoPage, SecureContactSettings
from samizdat.publishing.openpgp import read_public_key
from tests import factories
from tests.browser.conftest import origin
from tests.browser.test_reading import record_foreign_requests

pytestmark = pytest.mark.browser


@pytest.fixture
def secure_page(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> str:
    """The page in English and Russian, in the footer; the contacts in Settings. Returns the
    key's fingerprint as readers see it."""
    settings.SITE_URL = live_server.url
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    key = demo_public_key()
    SecureContactSettings.objects.update_or_create(
        defaults={
            "signal": "+44 7700 900417",
            "securedrop_address": demo_onion(),
            "tips_email": "tips@lantern.example",
            "pgp_public_key": key,
        }
    )
    home = factories.home("en")
    page = InfoPage(
        title="How to reach us securely",
        slug="secure",
        locale_id=home.locale_id,
        show_in_footer=True,
        body=[("paragraph", RichText("<p>Use Tor Browser.</p>")), ("secure_contact", None)],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    russian = page.copy_for_translation(
        Locale.objects.get(language_code="ru"), copy_parents=True, alias=False
    )
    russian.title = "Как связаться с нами безопасно"
    russian.save_revision().publish()
    cache.clear()
    return read_public_key(key).grouped_fingerprint()


@pytest.mark.parametrize("width", [320, 375])
def test_a_source_finds_the_contacts_from_the_footer_without_javascript(
    browser: Browser, live_server: Any, secure_page: str, width: int
) -> None:
    base = live_server.url
    viewport: ViewportSize = {"width": width, "height": 740}
    with browser.new_context(java_script_enabled=False, viewport=viewport) as context:
        page = context.new_page()
        foreign = record_foreign_requests(page, origin(base))
        page.goto(base + "/en/")
        page.locator("nav.footer-pages").get_by_role(
            "link", name="How to reach us securely"
        ).click()
        expect(page).to_have_url(base + "/en/secure/")
        contacts = page.locator("section.secure-contact")
        expect(contacts.locator("code.secure-signal")).to_have_text("+44 7700 900417")
        expect(contacts.locator("code.secure-fingerprint")).to_have_text(secure_page)
        expect(contacts.locator("pre.pgp-key")).to_contain_text("BEGIN PGP PUBLIC KEY BLOCK")
        for path in ("/en/secure/", "/ru/secure/"):
            page.goto(base + path)
            page.wait_for_load_state("load")
            width_used = page.evaluate("() => document.documentElement.scrollWidth")
            assert width_used <= width, (path, width_used)
        expect(page.locator("h1")).to_have_text("Как связаться с нами безопасно")
        expect(page.locator("section.secure-contact dt").first).to_have_text("Signal")
    assert foreign == []
