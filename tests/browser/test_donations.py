"""A reader meets the appeal in a real browser: "Remind me later" with and without JavaScript,
on the live site and on a static copy, and a gift through the donate form and the demo
provider."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from samizdat.donations import appeal
from samizdat.donations.models import AppealCurrency, Donation
from samizdat.publishing.actions import ensure_site_tree
from tests import factories
from tests.browser.conftest import file_server, origin, record_requests, save_copy

pytestmark = pytest.mark.browser

ARTICLE_PATH = "/en/news/court-opens-trial/"
OTHER_PATH = "/en/news/press-cards-withdrawn/"
BANNER = ".support-banner"
APPEAL = "aside.appeal"
COOKIE = "samizdat_remind"
# Notes how the banner and the appeal look the moment the parser adds them to the page.
WATCH_APPEAL = """
window.appealAsParsed = [];
new MutationObserver(function (records) {
  records.forEach(function (record) {
    record.addedNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.matches(".support-banner, .appeal")) {
        window.appealAsParsed.push(getComputedStyle(node).display);
      }
    });
  });
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def site(
    transactional_db: Any, django_db_serialized_rollback: Any, live_server: Any, settings: Any
) -> str:
    """Two published stories on the live server, the newsroom's site; GBP's annual amounts
    differ from the other currencies' so a wrong set cannot pass for the right one."""
    settings.SITE_URL = live_server.url
    settings.FORM_ORIGINS = [live_server.url]
    settings.APP_ORIGINS = [live_server.url]
    ensure_site_tree()
    news = factories.SectionPageFactory(parent=factories.home("en"), title="News", slug="news")
    factories.ArticlePageFactory(
        parent=news, title="Court opens trial of reporter", slug="court-opens-trial"
    )
    factories.ArticlePageFactory(
        parent=news,
        title="Press cards withdrawn from three reporters",
        slug="press-cards-withdrawn",
    )
    AppealCurrency.objects.filter(code="GBP").update(annual="30, 75, 150")
    appeal.forget()
    cache.clear()
    return str(live_server.url)


@pytest.fixture
def demo_provider(settings: Any) -> None:
    """The demo provider, as `make demo` runs it (it only exists with DEBUG on)."""
    settings.DEBUG = True
    settings.DONATIONS_DEMO = True


def remind_cookie(context: BrowserContext) -> tuple[str, int]:
    """The "remind me later" cookie's value and its lifetime in whole days from now."""
    (cookie,) = [c for c in context.cookies() if c.get("name") == COOKIE]
    days = round((cookie.get("expires", 0) - time.time()) / 86400)
    return cookie.get("value", ""), days


def assert_appeal_hidden_at_first_paint(page: Page, url: str) -> None:
    """Hidden already when the document is parsed, not only after the page has loaded."""
    page.goto(url, wait_until="domcontentloaded")
    assert not page.locator(BANNER).is_visible()
    assert not page.locator(APPEAL).is_visible()
    page.wait_for_load_state("load")
    expect(page.locator(BANNER)).to_be_hidden()
    expect(page.locator(APPEAL)).to_be_hidden()


def visible_amounts(form: Locator) -> tuple[str, str, list[str]]:
    """The one set of suggested amounts the reader sees: frequency, currency, labels."""
    shown = form.locator(".amount-set:visible")
    expect(shown).to_have_count(1)
    labels = [text.strip() for text in shown.locator("label").all_inner_texts()]
    return (
        shown.get_attribute("data-frequency") or "",
        shown.get_attribute("data-currency") or "",
        labels,
    )


def chosen_amount(form: Locator) -> str:
    """The one suggested amount selected; it must be one the reader can see."""
    checked = form.locator("input[name=amount]:checked")
    expect(checked).to_have_count(1)
    expect(checked).to_be_visible()
    return checked.get_attribute("value") or ""


def test_remind_me_later_with_javascript_hides_the_appeal_at_once_and_for_good(
    browser: Browser, site: str
) -> None:
    with browser.new_context() as context:
        page = context.new_page()
        page.goto(site + ARTICLE_PATH)
        banner, after_article = page.locator(BANNER), page.locator(APPEAL)
        expect(banner).to_be_visible()
        expect(banner.get_by_role("link", name="Support us")).to_be_visible()
        expect(after_article).to_be_visible()
        # The appeal follows the article.
        assert page.locator(f"article.article ~ {APPEAL}").count() == 1

        page.evaluate("() => { window.stillTheSamePage = true; }")
        requests = record_requests(page)
        banner.get_by_role("button", name="Remind me later").click()
        # Both go at once, by the script, without loading a page.
        assert page.evaluate(
            "() => [document.querySelector('.support-banner'), document.querySelector('.appeal')]"
            ".every(element => element.offsetParent === null)"
        )
        expect(banner).to_be_hidden()
        expect(after_article).to_be_hidden()
        assert page.evaluate("() => window.stillTheSamePage === true")
        assert requests == []
        assert page.url == site + ARTICLE_PATH

        # One value and one lifetime whatever the reason: nothing in it says "gave".
        assert remind_cookie(context) == ("1", 14)

        assert_appeal_hidden_at_first_paint(page, site + ARTICLE_PATH)
        assert_appeal_hidden_at_first_paint(page, site + OTHER_PATH)
        # The server reads the script's cookie: it no longer sends the appeal at all.
        expect(page.locator(BANNER)).to_have_count(0)
        expect(page.locator(APPEAL)).to_have_count(0)
        expect(page.locator("h1")).to_have_text("Press cards withdrawn from three reporters")


def test_remind_me_later_without_javascript_posts_and_comes_back(
    browser: Browser, site: str
) -> None:
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(site + ARTICLE_PATH)
        expect(page.locator(BANNER)).to_be_visible()
        requests = record_requests(page)
        with page.expect_navigation():
            page.locator(APPEAL).get_by_role("button", name="Remind me later").click()
        assert page.url == site + ARTICLE_PATH
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        posts = [r for r in requests if r.method == "POST"]
        assert [r.url for r in posts] == [site + "/donate/later/"]
        expect(page.locator(BANNER)).to_have_count(0)
        expect(page.locator(APPEAL)).to_have_count(0)
        # One value and one lifetime whatever the reason: nothing in it says "gave".
        assert remind_cookie(context) == ("1", 14)

        page.goto(site + OTHER_PATH)
        expect(page.locator("h1")).to_have_text("Press cards withdrawn from three reporters")
        expect(page.locator(BANNER)).to_have_count(0)
        expect(page.locator(APPEAL)).to_have_count(0)


@pytest.fixture
def static_copy(site: str, tmp_path: Path) -> Iterator[str]:
    """The story and the assets it links, saved as files and served by a plain file server
    under /mirror/ on another port: the address of the copied story."""
    links = save_copy(site, ARTICLE_PATH, tmp_path / "mirror")
    assert len(links) >= 3, links
    assert not any(urlsplit(link).netloc for link in links), "links are relative"
    with file_server(tmp_path) as base:
        yield f"{base}/mirror{ARTICLE_PATH}"


def test_remind_me_later_on_a_static_copy(browser: Browser, site: str, static_copy: str) -> None:
    with browser.new_context() as context:
        page = context.new_page()
        requests = record_requests(page)
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        page.goto(static_copy)
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        expect(page.locator(BANNER)).to_be_visible()
        expect(page.locator(APPEAL)).to_be_visible()
        loaded = {urlsplit(r.url).path for r in requests}
        for name in ("site.css", "appeal.js", "forms.js"):
            assert f"/mirror/static/samizdat/{name}" in loaded, loaded

        page.locator(APPEAL).get_by_role("button", name="Remind me later").click()
        expect(page.locator(BANNER)).to_be_hidden()
        expect(page.locator(APPEAL)).to_be_hidden()
        assert page.url == static_copy
        # One value and one lifetime whatever the reason: nothing in it says "gave".
        assert remind_cookie(context) == ("1", 14)

        # The copy still holds the appeal: only the script in <head> keeps it from showing,
        # from the moment it is parsed.
        page.add_init_script(WATCH_APPEAL)
        page.reload(wait_until="domcontentloaded")
        assert page.evaluate("() => window.appealAsParsed") == ["none", "none"]
        expect(page.locator(APPEAL)).to_have_count(1)
        assert not page.locator(BANNER).is_visible()
        assert not page.locator(APPEAL).is_visible()
        page.wait_for_load_state("load")
        expect(page.locator(APPEAL)).to_be_hidden()

    # Besides the copy itself, only the app was asked something: whether it answers, so that
    # the copy's forms post where they can.
    elsewhere = {r.url for r in requests if origin(r.url) != origin(static_copy)}
    assert elsewhere == {site + "/newsletter/ping/"}
    assert failed == []


def test_a_gift_without_javascript_through_the_demo_provider(
    browser: Browser, site: str, demo_provider: None
) -> None:
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(site + ARTICLE_PATH)
        form = page.locator(APPEAL).locator("form.donate-form")
        assert visible_amounts(form) == ("monthly", "USD", ["$2", "$5", "$10"])
        form.get_by_label("Annual").check()
        assert visible_amounts(form) == ("annual", "USD", ["$24", "$60", "$120"])
        form.get_by_label("Currency").select_option("GBP")
        assert visible_amounts(form) == ("annual", "GBP", ["£30", "£75", "£150"])
        form.locator(".amount-set:visible").get_by_label("£75").check()
        form.get_by_role("button", name="Continue").click()

        expect(page.locator("h1")).to_have_text("Support independent journalism")
        assert urlsplit(page.url).path == "/donate/"
        form = page.locator("form.donate-form")
        expect(form.get_by_label("Annual")).to_be_checked()
        expect(form.get_by_label("Currency")).to_have_value("GBP")
        assert visible_amounts(form) == ("annual", "GBP", ["£30", "£75", "£150"])
        assert chosen_amount(form) == "75"

        form.get_by_label("Demo payment").check()
        form.get_by_role("button", name="Donate").click()
        # An annual gift needs an address: it is how the donor would ever stop it.
        expect(page.locator("form.donate-form .form-error")).to_contain_text(
            "Enter your email address for a monthly or annual gift"
        )
        form = page.locator("form.donate-form")
        expect(form.get_by_label("Currency")).to_have_value("GBP")
        form.get_by_label("Email for the receipt").fill("reader@example.org")
        form.get_by_role("button", name="Donate").click()
        expect(page.locator(".demo-label")).to_contain_text("Demo — no money moves.")
        expect(page.locator("h1")).to_contain_text("£75")
        page.get_by_role("button", name="Pay (demo)").click()
        expect(page.locator("h1")).to_have_text("Thank you")
        assert urlsplit(page.url).path == "/donate/thanks/"

        donation = Donation.objects.get()
        assert (donation.amount, donation.currency, donation.frequency, donation.status) == (
            7500,
            "GBP",
            "annual",
            "paid",
        )
        assert donation.provider == "demo"
        # Coming back from the payment leaves no cookie; the donor may hide the appeal, which
        # leaves the same cookie as "remind me later".
        assert [c for c in context.cookies() if c.get("name") == COOKIE] == []
        page.get_by_role("button", name="Hide the appeal on this device").click()
        expect(page.locator("h1")).not_to_have_text("Thank you")
        assert remind_cookie(context) == ("1", 14)

        page.goto(site + ARTICLE_PATH)
        expect(page.locator("h1")).to_have_text("Court opens trial of reporter")
        expect(page.locator(BANNER)).to_have_count(0)
        expect(page.locator(APPEAL)).to_have_count(0)


def test_with_javascript_one_visible_amount_stays_chosen(
    browser: Browser, site: str, demo_provider: None
) -> None:
    with browser.new_context() as context:
        page = context.new_page()
        page.goto(site + ARTICLE_PATH)
        form = page.locator(APPEAL).locator("form.donate-form")
        assert chosen_amount(form) == "5"

        form.get_by_label("Annual").check()
        assert visible_amounts(form)[:2] == ("annual", "USD")
        assert chosen_amount(form) == "60"
        form.get_by_label("Currency").select_option("GBP")
        assert visible_amounts(form)[:2] == ("annual", "GBP")
        assert chosen_amount(form) == "75"
        form.get_by_label("Once").check()
        assert visible_amounts(form)[:2] == ("once", "GBP")
        assert chosen_amount(form) == "25"
        form.locator(".amount-set:visible").get_by_label("£50").check()
        form.get_by_label("Monthly").check()
        assert chosen_amount(form) == "5"

        custom = form.get_by_label("Other amount")
        custom.fill("12.50")
        form.get_by_label("Annual").check()
        expect(custom).to_have_value("12.50")
        form.get_by_role("button", name="Continue").click()

        expect(page.locator("h1")).to_have_text("Support independent journalism")
        form = page.locator("form.donate-form")
        expect(form.get_by_label("Other amount")).to_have_value("12.50")
        expect(form.get_by_label("Annual")).to_be_checked()
        expect(form.get_by_label("Currency")).to_have_value("GBP")
        expect(form.locator("input[name=amount]:checked")).to_have_count(0)


LABEL_IN_SIGHT = """
element => {
  element.scrollIntoView({block: "center", behavior: "instant"});
  const text = [...element.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
  const range = document.createRange();
  range.selectNodeContents(text);
  const box = range.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {width: box.width, height: box.height, onTop: hit === element || element.contains(hit),
          hit: hit && hit.outerHTML.slice(0, 120)};
}
"""


def assert_label_in_sight(button: Locator, label: str) -> None:
    """The button reads ``label``, its icon is icon-sized and nothing covers the words."""
    expect(button).to_be_visible()
    expect(button).to_have_text(label)
    icon = button.locator("svg").bounding_box()
    assert icon is not None and icon["width"] <= 24 and icon["height"] <= 24, icon
    seen = button.evaluate(LABEL_IN_SIGHT)
    assert seen["width"] > 40 and seen["height"] > 8 and seen["onTop"], seen


def test_staff_mark_a_bank_transfer_received_and_can_read_the_buttons(
    browser: Browser, site: str
) -> None:
    from django.contrib.auth.models import User

    User.objects.create_superuser("treasurer", "treasurer@example.org", "a long passphrase")
    donation = Donation.objects.create(
        provider="bank", provider_payment_id="SZ-BANK2026", reference="SZ-BANK2026",
        frequency="once", amount=2500, currency="EUR", status="pending", language="en",
        email="vera@example.org",
    )  # fmt: skip
    with browser.new_context() as context:
        page = context.new_page()
        page.goto(site + "/admin/login/")
        page.locator("input[name=username]").fill("treasurer")
        page.locator("input[name=password]").fill("a long passphrase")
        page.locator("form button[type=submit]").click()
        expect(page.locator("body")).to_contain_text("Dashboard")

        page.goto(site + f"/admin/donations/gifts/inspect/{donation.pk}/")
        mark = page.locator("#mark-received")
        assert_label_in_sight(mark, "Mark received…")
        mark.click()

        expect(page.locator("#transfer")).to_contain_text("€25")
        confirm = page.get_by_role("button", name="Yes, the money arrived")
        assert_label_in_sight(confirm, "Yes, the money arrived")
        confirm.click()

        expect(page.get_by_text("SZ-BANK2026 is marked received: €25.")).to_be_visible()
        assert urlsplit(page.url).path == f"/admin/donations/gifts/inspect/{donation.pk}/"
        expect(page.locator("#mark-received")).to_have_count(0)
    donation.refresh_from_db()
    assert donation.status == "paid" and donation.paid_at is not None


def test_without_javascript_the_minimum_follows_the_chosen_currency(
    browser: Browser, site: str
) -> None:
    AppealCurrency.objects.filter(code="GBP").update(
        code="JPY", minimum=300, once="500, 1000", monthly="300, 500", annual="3000, 6000"
    )
    appeal.forget()
    with browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(site + ARTICLE_PATH)
        form = page.locator(APPEAL).locator("form.donate-form")
        minimum = form.locator(".donate-minimum .minimum:visible")
        expect(minimum).to_have_count(1)
        expect(minimum).to_have_text("The smallest gift is $2.")
        form.get_by_label("Currency").select_option("JPY")
        expect(minimum).to_have_text("The smallest gift is ¥300.")
        form.get_by_label("Currency").select_option("EUR")
        expect(minimum).to_have_text("The smallest gift is €2.")
