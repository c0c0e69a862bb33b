"""The donate form and the demo provider, end to end through the app's own pages."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client

from samizdat.donations import appeal, gateway
from samizdat.donations.models import AppealCurrency, Donation, ProviderEvent, RecurringGift

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db


def donate(client: Client, **fields: Any) -> ClientResponse:
    data = {"language": "en", "frequency": "once", "currency": "USD", "provider": "demo"}
    data.update(fields)
    return client.post("/donate/", data)


def pay_demo(client: Client, response: ClientResponse) -> ClientResponse:
    assert response.status_code == 303, response.content.decode()[:2000]
    checkout = client.get(response["Location"])
    assert 'class="demo-label"' in checkout.content.decode()
    return client.post(response["Location"])


def test_the_appeal_follows_articles_with_each_frequency_and_currency(
    client: Any, newsroom: dict[str, Any]
) -> None:
    html = client.get("/en/news/court-opens-trial/").content.decode()
    appeal_html = html[html.index('<aside class="appeal"') :]
    appeal_html = appeal_html[: appeal_html.index("</aside>")]
    for frequency in ("once", "monthly", "annual"):
        assert f'name="frequency" value="{frequency}"' in appeal_html
    # Annual amounts are their own set, not monthly × 12; the reader's currency comes first.
    assert 'data-frequency="annual" data-currency="USD"' in appeal_html
    annual = appeal_html[appeal_html.index('data-frequency="annual" data-currency="USD"') :]
    assert "$120" in annual[: annual.index("</div>")]
    assert '<option class="c-0" value="USD" selected>' in appeal_html
    assert 'name="custom_amount"' in appeal_html
    assert "Remind me later" in appeal_html
    # Monthly, middle amount preselected.
    assert re.search(r'value="monthly" checked', appeal_html)
    assert "Support us" in html  # the banner


def test_russian_readers_see_euros_first(client: Any, newsroom: dict[str, Any]) -> None:
    html = client.get("/ru/").content.decode()
    assert "Поддержите нас" in html


def test_continue_carries_the_choice_to_the_donate_page(client: Any, demo_provider: None) -> None:
    page = client.get(
        "/donate/", {"language": "en", "frequency": "annual", "currency": "EUR", "amount": "60"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="annual" checked' in html
    assert 'value="EUR" selected' in html
    assert 'value="60" checked' in html
    assert 'name="provider" value="demo"' in html
    # The masthead offers the same page in the other language.
    assert 'href="../donate/?language=ru" hreflang="ru"' in html


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"custom_amount": "1.99"}, "The smallest gift we can take is $2"),
        ({"custom_amount": "0"}, "The smallest gift we can take is"),
        ({"custom_amount": "-5"}, "The smallest gift we can take is"),
        ({"custom_amount": "five"}, "Enter the amount as a number"),
        ({"custom_amount": "2.001"}, "Enter the amount as a number"),
        ({"custom_amount": "1e9"}, "Enter the amount as a number"),
        ({"custom_amount": "999999999"}, "For a gift this large"),
        ({"amount": "5", "currency": "JPY"}, "We cannot take gifts in that currency"),
        ({"amount": "5", "frequency": "weekly"}, "Choose once, monthly or annual"),
        ({"amount": "5", "provider": "paypal"}, "Choose a way to pay"),
        ({"amount": "5", "email": "not an address"}, "Enter a valid email address"),
        ({"amount": "5", "name": "Eve\r\nBcc: x@example.org"}, "Line breaks are not allowed"),
        ({}, "Choose or enter an amount"),
    ],
)
def test_bad_gifts_are_refused_with_a_reason_and_nothing_recorded(
    client: Any, demo_provider: None, fields: dict[str, str], message: str
) -> None:
    response = donate(client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Donation.objects.count() == 0
    assert ProviderEvent.objects.count() == 0


def test_what_the_reader_typed_is_kept_on_error(client: Any, demo_provider: None) -> None:
    response = donate(client, custom_amount="1", email="reader@example.org", name="Vera")
    html = response.content.decode()
    assert 'value="reader@example.org"' in html
    assert 'value="Vera"' in html
    assert 'value="1"' in html


def test_the_minimum_follows_the_settings(client: Any, demo_provider: None) -> None:
    AppealCurrency.objects.filter(code="USD").update(minimum=5)
    appeal.forget()
    assert donate(client, custom_amount="4.50").status_code == 400
    assert donate(client, custom_amount="5").status_code == 303


def test_demo_one_off_gift_is_recorded_through_the_webhook_path(
    client: Any, demo_provider: None, django_capture_on_commit_callbacks: Any
) -> None:
    response = donate(
        client, custom_amount="7,50", email="vera@example.org", name="Vera", language="ru"
    )
    with django_capture_on_commit_callbacks(execute=True):
        thanks = pay_demo(client, response)
    assert thanks.status_code == 303
    page = client.get(thanks["Location"])
    assert "Спасибо" in page.content.decode()
    # A GET of the thank-you page leaves nothing on the donor's device that says they gave.
    assert not page.cookies
    assert "Скрыть обращение на этом устройстве" in page.content.decode()
    donation = Donation.objects.get()
    assert (donation.amount, donation.currency, donation.status) == (750, "USD", "paid")
    assert (donation.provider, donation.name, donation.language) == ("demo", "Vera", "ru")
    assert ProviderEvent.objects.filter(provider="demo").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["vera@example.org"]
    assert "7,50" in mail.outbox[0].body and donation.reference in mail.outbox[0].body
    assert "Спасибо" in mail.outbox[0].body


def test_anonymous_gifts_keep_no_name(client: Any, demo_provider: None) -> None:
    pay_demo(client, donate(client, amount="10", name="Vera", anonymous="on"))
    assert Donation.objects.get().name == ""


def test_demo_monthly_gift_starts_a_recurring_gift_the_donor_can_cancel(
    client: Any, demo_provider: None, django_capture_on_commit_callbacks: Any
) -> None:
    response = donate(client, frequency="monthly", amount="5", email="ivan@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        pay_demo(client, response)
    gift = RecurringGift.objects.get()
    assert (gift.amount, gift.frequency, gift.status) == (500, "monthly", "active")
    assert gift.payments.get().status == "paid"
    # "Manage my donation" asks only for the address, then mails a link.
    mail.outbox.clear()
    page = client.post("/donate/manage/", {"email": "ivan@example.org", "language": "en"})
    assert page.status_code == 200
    link = re.search(r"http://testserver(/donate/manage/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    gifts_page = client.get(link.group(1))
    assert "$5" in gifts_page.content.decode()
    to_provider = client.post(link.group(1), {"gift": gift.pk})
    assert to_provider.status_code == 303
    # Neither of the demo provider's links is taken for the other.
    checkout = donate(client, frequency="once", amount="5")["Location"]
    manage = to_provider["Location"]
    swapped = [
        manage.replace(
            manage.rstrip("/").rsplit("/", 1)[1], checkout.rstrip("/").rsplit("/", 1)[1]
        ),
        checkout.replace(
            checkout.rstrip("/").rsplit("/", 1)[1], manage.rstrip("/").rsplit("/", 1)[1]
        ),
    ]
    for url in swapped:
        for method in (client.get, client.post):
            answer = method(url)
            assert answer.status_code == 400, (method, url)
            assert "expired" in answer.content.decode()
    client.post(manage)  # the demo provider's "Cancel this gift"
    gift.refresh_from_db()
    assert gift.status == "cancelled" and gift.cancelled_at is not None


def test_an_address_mail_cannot_reach_is_refused_at_the_donate_form(
    client: Any, demo_provider: None
) -> None:
    refused = donate(client, custom_amount="5", email="üser@münchen.de", name="Uwe")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "letters other than a–z before the “@”" in html
    assert 'value="üser@münchen.de"' in html  # kept, to be corrected
    assert Donation.objects.count() == 0


def test_a_donors_internationalised_domain_is_kept_in_its_ascii_form(
    client: Any, demo_provider: None, django_capture_on_commit_callbacks: Any
) -> None:
    response = donate(client, custom_amount="5", email="Uwe@München.de")
    with django_capture_on_commit_callbacks(execute=True):
        pay_demo(client, response)
    assert Donation.objects.get().email == "uwe@xn--mnchen-3ya.de"
    [receipt] = mail.outbox
    assert receipt.to == ["uwe@xn--mnchen-3ya.de"]


def test_manage_refuses_an_address_mail_cannot_reach_with_a_reason(
    client: Any, demo_provider: None
) -> None:
    response = client.post("/donate/manage/", {"email": "пользователь@пример.рф", "language": "en"})
    assert response.status_code == 400
    assert "letters other than a–z before the “@”" in response.content.decode()
    assert mail.outbox == []


def test_manage_page_says_the_same_for_unknown_addresses(client: Any, demo_provider: None) -> None:
    known = client.post("/donate/manage/", {"email": "nobody@example.org", "language": "en"})
    assert known.status_code == 200
    assert "If nobody@example.org gives to us" in known.content.decode()
    assert mail.outbox == []


def test_an_expired_or_forged_manage_link_is_refused(client: Any) -> None:
    response = client.get("/donate/manage/not-a-token/")
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_bank_transfer_shows_details_and_a_reference(
    client: Any, bank_account: AppealCurrency
) -> None:
    response = donate(client, provider="bank", currency="EUR", amount="25", email="a@example.org")
    assert response.status_code == 303
    page = client.get(response["Location"]).content.decode()
    donation = Donation.objects.get()
    assert donation.status == "pending" and donation.provider == "bank"
    assert donation.reference in page
    assert "IBAN DE00 1234 5678 9012 3456 78" in page
    assert "€25" in page


def test_bank_transfer_is_offered_only_in_currencies_with_an_account(
    client: Any, bank_account: AppealCurrency
) -> None:
    response = donate(client, provider="bank", currency="USD", amount="25")
    assert response.status_code == 400
    assert "no bank account for that currency" in response.content.decode()
    recurring = donate(client, provider="bank", currency="EUR", frequency="monthly", amount="5")
    assert recurring.status_code == 400
    assert Donation.objects.count() == 0


def test_the_demo_provider_does_not_exist_without_debug(client: Any, settings: Any) -> None:
    from samizdat.donations.providers import demo

    settings.DEBUG, settings.DONATIONS_DEMO = False, True  # switched on, but not in debug mode
    response = donate(client, amount="5")
    assert response.status_code == 400
    body = demo.event_body("payment.succeeded", {
        "reference": "SZ-ABCDEFGH", "frequency": "once", "amount": 500, "currency": "USD",
        "language": "en", "email": "", "name": "", "payment_id": "demo_pay_1",
    })  # fmt: skip
    signed = {"HTTP_SAMIZDAT_DEMO_SIGNATURE": demo.sign(body)}
    webhook = client.post("/webhooks/demo/", body, content_type="application/json", **signed)
    assert webhook.status_code == 400
    assert "not enabled" in webhook.content.decode()
    assert Donation.objects.count() == 0
    # The same signed event is taken with debug on: the refusal above is the switch's doing.
    settings.DEBUG = True
    assert (
        client.post("/webhooks/demo/", body, content_type="application/json", **signed).status_code
        == 200
    )
    assert Donation.objects.get().amount == 500


def test_forged_demo_events_are_refused(client: Any, demo_provider: None) -> None:
    from samizdat.donations.providers import demo

    body = demo.event_body("payment.succeeded", {"amount": 500})
    timestamp = int(time.time())
    for header in (f"t={timestamp},v1=00", demo.sign(b"{}", timestamp), "t=9" * 400, ""):
        response = client.post(
            "/webhooks/demo/", body, content_type="application/json",
            HTTP_SAMIZDAT_DEMO_SIGNATURE=header,
        )  # fmt: skip
        assert response.status_code == 400, header
    assert ProviderEvent.objects.count() == 0


def test_the_donate_page_says_so_when_no_currency_is_set_up(
    client: Any, demo_provider: None
) -> None:
    AppealCurrency.objects.all().delete()
    appeal.forget()
    assert client.get("/donate/", {"language": "en"}).status_code == 200
    refused = donate(client, amount="5")
    assert refused.status_code == 400
    assert "We cannot take gifts in that currency" in refused.content.decode()


def test_remind_me_later_without_javascript_sets_the_cookie_and_returns_to_the_page(
    client: Any, newsroom: dict[str, Any]
) -> None:
    response = client.post(
        "/donate/later/", {"next": "/en/news/court-opens-trial/", "language": "en"}
    )
    assert response.status_code == 303
    assert response["Location"] == "/en/news/court-opens-trial/"
    cookie = response.cookies["samizdat_remind"]
    assert cookie.value == "1"
    assert cookie["max-age"] == 14 * 24 * 3600
    html = client.get("/en/news/court-opens-trial/").content.decode()
    assert 'class="appeal"' not in html and "support-banner" not in html
    # Once the browser has dropped the cookie, the appeal is back.
    del client.cookies["samizdat_remind"]
    assert 'class="appeal"' in client.get("/en/news/court-opens-trial/").content.decode()


def test_after_a_gift_the_cookie_is_the_same_as_for_remind_me_later(
    client: Any, newsroom: dict[str, Any]
) -> None:
    """A seized phone's cookies must not tell a donor from a reader who was busy: the thank-you
    page's "hide the appeal" posts to the same place, for the same value and lifetime."""
    later = client.post("/donate/later/", {"next": "/en/", "language": "en"})
    client.cookies.clear()
    thanks = client.get("/donate/thanks/", {"language": "en"})
    assert not thanks.cookies
    html = thanks.content.decode()
    assert 'action="http://testserver/donate/later/"' in html
    hidden = client.post("/donate/later/", {"next": "/en/", "language": "en"})
    assert hidden["Location"] == "/en/"
    ours, theirs = later.cookies["samizdat_remind"], hidden.cookies["samizdat_remind"]
    assert (ours.value, ours["max-age"]) == (theirs.value, theirs["max-age"])
    # Only a POST sets it.
    assert not client.get("/donate/later/", {"next": "/en/"}).cookies


def test_the_snooze_length_follows_the_settings(client: Any, db: Any) -> None:
    from samizdat.donations.models import DonationSettings

    settings_row = DonationSettings.load()
    settings_row.snooze_days = 3
    settings_row.save()
    response = client.post("/donate/later/", {"next": "/en/"})
    assert response.cookies["samizdat_remind"]["max-age"] == 3 * 24 * 3600


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x", ""])
def test_remind_me_later_only_returns_to_our_own_pages(client: Any, db: Any, target: str) -> None:
    response = client.post("/donate/later/", {"next": target, "language": "ru"})
    assert response["Location"] == "/ru/"


def test_plain_reading_sets_no_cookie(client: Any, newsroom: dict[str, Any]) -> None:
    response = client.get("/en/news/court-opens-trial/")
    assert not response.cookies
    # The page depends on the reader's own "remind me later" cookie: no shared cache mixes them.
    assert "Cookie" in response["Vary"]


def test_forms_may_lead_only_to_the_configured_payment_pages(
    client: Any, newsroom: dict[str, Any], settings: Any
) -> None:
    policy = client.get("/en/").headers["Content-Security-Policy"]
    # The app itself (SITE_URL), where copies of the page elsewhere post their forms.
    assert "form-action 'self' http://testserver;" in policy
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_x", "whsec_x"
    settings.BTCPAY_URL = "https://pay.example.org/btcpay"
    settings.BTCPAY_API_KEY, settings.BTCPAY_STORE_ID = "key", "store"
    settings.BTCPAY_WEBHOOK_SECRET = "secret"
    policy = client.get("/en/").headers["Content-Security-Policy"]
    assert (
        "form-action 'self' http://testserver https://checkout.stripe.com "
        "https://billing.stripe.com https://pay.example.org;" in policy
    )
    # What the providers themselves say: where the donate form may send readers.
    assert gateway.checkout_origins() == [
        "https://checkout.stripe.com", "https://billing.stripe.com", "https://pay.example.org",
    ]  # fmt: skip
    settings.BTCPAY_CHECKOUT_ORIGIN = "https://crypto.example.net/checkout"
    settings.STRIPE_WEBHOOK_SECRET = ""  # Stripe is not offered without it
    assert gateway.checkout_origins() == ["https://crypto.example.net"]


def test_every_newsletter_carries_the_appeal_in_its_language(db: Any, site_tree: Any) -> None:
    from samizdat.newsletter.mail import render
    from samizdat.newsletter.models import Edition

    letter = render(Edition(language="ru", subject="Неделя"))
    assert "Это письмо бесплатно" in letter.text
    assert "http://testserver/donate/ru/" in letter.text
    assert 'href="http://testserver/donate/ru/"' in letter.html


def test_demo_seeds_gifts_once_and_offers_a_bank_transfer(client: Any, demo_provider: None) -> None:
    from samizdat.donations.demo import seed_demo_gifts

    assert seed_demo_gifts() > 100
    assert seed_demo_gifts() == 0
    page = client.get("/donate/", {"language": "en"}).content.decode()
    assert 'name="provider" value="bank"' in page and 'name="provider" value="demo"' in page


def test_an_amount_from_another_set_is_kept_as_the_readers_own(
    client: Any, demo_provider: None
) -> None:
    html = client.get(
        "/donate/", {"language": "en", "frequency": "annual", "currency": "USD", "amount": "5"}
    ).content.decode()
    assert re.search(r'name="custom_amount"[^>]*value="5"', html)


def test_a_recurring_gift_needs_an_email_address_its_donor_can_manage_it_with(
    client: Any, demo_provider: None
) -> None:
    page = client.get(
        "/donate/", {"language": "en", "frequency": "monthly", "currency": "USD", "amount": "5"}
    ).content.decode()
    assert "A monthly or annual gift needs it: it is how you change or cancel the gift" in page
    for frequency in ("monthly", "annual"):
        refused = donate(client, frequency=frequency, amount="5", email="")
        assert refused.status_code == 400
        html = refused.content.decode()
        assert "Enter your email address for a monthly or annual gift" in html
        assert re.search(r'name="email"[^>]*aria-invalid="true"', html)
    assert Donation.objects.count() == 0 and RecurringGift.objects.count() == 0
    assert donate(client, frequency="once", amount="5", email="").status_code == 303
    assert donate(client, frequency="monthly", amount="5", email="i@example.org").status_code == 303


def test_the_minimum_is_stated_for_every_currency_and_the_chosen_one_first(
    client: Any, demo_provider: None
) -> None:
    AppealCurrency.objects.filter(code="GBP").update(minimum=3)
    appeal.forget()
    html = client.get(
        "/donate/", {"language": "en", "frequency": "once", "currency": "GBP", "amount": "10"}
    ).content.decode()
    stated = re.findall(
        r'<span class="minimum c-(\d)( chosen)?" data-currency="(\w+)">([^<]+)<', html
    )
    assert stated == [
        ("0", "", "USD", "The smallest gift is $2."),
        ("1", "", "EUR", "The smallest gift is €2."),
        ("2", " chosen", "GBP", "The smallest gift is £3."),
    ]
