"""A staff member's first sign-in in a real chromium: made to set up a second factor, enrols a
passkey (Chromium's virtual authenticator, through the DevTools protocol) and an authenticator
app, then signs in again with each, and reaches no admin page with the password alone."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django_otp.oath import TOTP
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import Browser, Page, expect

from samizdat.publishing.actions import ensure_site_tree
from tests.browser.conftest import origin, record_requests

pytestmark = pytest.mark.browser

PASSWORD = "a long staff password"
ADMIN_PAGES = ["/admin/", "/admin/pages/", "/admin/account/", "/admin/2fa/"]


@pytest.fixture
def site(transactional_db: Any, live_server: Any, settings: Any) -> str:
    """The live server at http://localhost:…, the site's address (and so the passkeys'
    relying party): browsers offer passkeys on localhost, not on a bare IP address."""
    assert live_server.url.startswith("http://localhost:")
    settings.SITE_URL = live_server.url
    ensure_site_tree()
    return str(live_server.url)


def sign_in_with_password(page: Page, site: str) -> None:
    page.goto(f"{site}/admin/login/")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page, site: str) -> None:
    page.goto(f"{site}/admin/2fa/")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/admin/logout/";
            const token = document.querySelector("input[name=csrfmiddlewaretoken]");
            form.append(token.cloneNode());
            document.body.append(form);
            form.submit();
        }"""
    )
    expect(page).to_have_url(re.compile(r"/admin/login/"))


def app_code(key: str, steps_later: int = 0) -> str:
    totp = TOTP(b32decode(key + "=" * (-len(key) % 8)))
    totp.time = time.time() + steps_later * 30
    return f"{totp.token():06d}"


def test_staff_enrol_a_passkey_and_an_app_and_need_one_to_sign_in(
    browser: Browser, site: str
) -> None:
    user = User.objects.create_user("vera", "vera@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        devtools = context.new_cdp_session(page)
        devtools.send("WebAuthn.enable")
        devtools.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )

        # First sign-in: nothing of the admin until a second factor is set up.
        sign_in_with_password(page, site)
        expect(page).to_have_url(re.compile(r"/admin/2fa/add/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up your second factor")
        for path in ADMIN_PAGES:
            page.goto(site + path)
            expect(page).to_have_url(re.compile(r"/admin/2fa/add/\?next="))

        page.get_by_role("button", name="Add a passkey or security key").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        assert WebAuthnCredential.objects.filter(user=user).count() == 1
        page.get_by_role("link", name="I have saved them: continue").click()
        expect(page).to_have_url(re.compile(r"/admin/2fa/$"))  # the page last asked for

        # An authenticator app besides, from the account's own list of factors.
        page.get_by_role("link", name="Add an authenticator app").click()
        key = page.locator("#app-key").inner_text().replace(" ", "")
        page.get_by_label("Code from the app").fill(app_code(key))
        page.get_by_label("Name of this app or phone").fill("Work phone")
        page.get_by_role("button", name="Add the app").click()
        expect(page.locator(".messages")).to_contain_text("The app “Work phone” was added.")
        expect(page.get_by_role("main")).to_contain_text("Work phone")

        # Signing in again with the passkey…
        sign_out(page, site)
        sign_in_with_password(page, site)
        expect(page).to_have_url(re.compile(r"/admin/2fa/verify/"))
        page.get_by_role("button", name="Use my passkey").click()
        expect(page).to_have_url(f"{site}/admin/")
        expect(page.get_by_role("heading", name="Site summary")).to_be_visible()

        # …and with the app (its next code: the one just used cannot serve twice).
        sign_out(page, site)
        sign_in_with_password(page, site)
        page.get_by_label("Code").fill(app_code(key, steps_later=1))
        page.get_by_role("button", name="Confirm").click()
        expect(page).to_have_url(f"{site}/admin/")

        # The password alone reaches no admin page.
        sign_out(page, site)
        sign_in_with_password(page, site)
        for path in ADMIN_PAGES:
            page.goto(site + path)
            expect(page).to_have_url(re.compile(r"/admin/2fa/verify/\?next="))
            expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")

        assert {origin(request.url) for request in requests} == {site}
