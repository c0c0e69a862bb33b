"""Stripe Payment Links, the way to give where the app cannot be reached: made for every
suggested amount on a local Stripe stand-in (real HTTP, the real ``stripe`` library), shown
on reader pages, and recorded when a reader pays through one."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from samizdat.donations import appeal
from samizdat.donations.models import AppealCurrency, Donation, PaymentLink, RecurringGift
from tests.donations.stripe_server import (
    API_KEY,
    BASIL,
    LEGACY,
    FakeStripe,
    event,
)
from tests.donations.test_stripe import delivered, metadata

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^SZ-[2-9A-HJ-NP-Z]{8}$")
MARKER = {"samizdat": "payment_link"}


def make_links() -> str:
    out = StringIO()
    call_command("donations", "payment-links", stdout=out)
    return out.getvalue()


def link_for(currency: str, frequency: str, amount: int) -> PaymentLink:
    return PaymentLink.objects.get(currency=currency, frequency=frequency, amount=amount)


def suggest(code: str, **amounts: str) -> None:
    AppealCurrency.objects.filter(code=code).update(**amounts)
    appeal.forget()


# Making the links


def test_every_suggested_amount_gets_a_link_marked_as_a_gift(stripe_api: FakeStripe) -> None:
    output = make_links()
    # The default appeal: USD, EUR, GBP × once, monthly, annual × three amounts each.
    assert PaymentLink.objects.filter(active=True).count() == 27
    assert "27 created, 0 reactivated, 0 unchanged, 0 deactivated." in output
    assert len(stripe_api.calls("/v1/products")) == 27
    assert len(stripe_api.calls("/v1/prices")) == 27
    assert len(stripe_api.calls("/v1/payment_links")) == 27

    monthly = link_for("EUR", "monthly", 500)
    assert monthly.url.startswith("https://buy.stripe.com/")
    assert monthly.language == "ru"  # EUR is the Russian readers' currency
    params = stripe_api.payment_links[monthly.link_id]["params"]
    expected = {**MARKER, "frequency": "monthly", "currency": "EUR", "language": "ru"}
    assert params["metadata"] == expected
    assert params["subscription_data"]["metadata"] == expected
    assert "payment_intent_data" not in params
    assert params["after_completion"] == {
        "type": "redirect",
        "redirect": {"url": "http://testserver/donate/thanks/?language=ru"},
    }
    price = stripe_api.prices[params["line_items"][0]["price"]]
    assert (price["unit_amount"], price["currency"], price["type"]) == (500, "eur", "recurring")
    assert price["recurring"]["interval"] == "month"
    assert stripe_api.products[price["product"]]["name"] == "Ежемесячное пожертвование The Lantern"

    once = stripe_api.payment_links[link_for("USD", "once", 2500).link_id]["params"]
    assert once["submit_type"] == "donate"
    assert once["payment_intent_data"]["metadata"]["frequency"] == "once"
    assert "subscription_data" not in once
    assert once["after_completion"]["redirect"]["url"].endswith("?language=en")
    once_price = stripe_api.prices[once["line_items"][0]["price"]]
    assert (once_price["unit_amount"], once_price["type"]) == (2500, "one_time")
    annual = stripe_api.payment_links[link_for("GBP", "annual", 12000).link_id]["params"]
    assert stripe_api.prices[annual["line_items"][0]["price"]]["recurring"]["interval"] == "year"

    # Sent as Stripe's API takes them: form-encoded, bracketed keys, the secret key, and an
    # idempotency key so that a run cut short makes nothing twice.
    call = stripe_api.calls("/v1/payment_links")[0]
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert call.headers["idempotency-key"].startswith("samizdat-link-")
    assert metadata(call.form)["samizdat"] == "payment_link"
    assert call.form["line_items[0][quantity]"] == "1"


def test_running_it_again_reuses_the_links(stripe_api: FakeStripe) -> None:
    make_links()
    before = {row.pk: row.url for row in PaymentLink.objects.all()}
    requests = len(stripe_api.requests)
    output = make_links()
    assert "0 created, 0 reactivated, 27 unchanged, 0 deactivated." in output
    assert len(stripe_api.requests) == requests  # Stripe was not even asked
    assert {row.pk: row.url for row in PaymentLink.objects.all()} == before


def test_amounts_no_longer_suggested_lose_their_links_and_get_them_back(
    stripe_api: FakeStripe,
) -> None:
    make_links()
    old = link_for("USD", "monthly", 200)
    suggest("USD", monthly="3, 5, 10")
    output = make_links()
    assert "1 created, 0 reactivated, 26 unchanged, 1 deactivated." in output
    old.refresh_from_db()
    assert not old.active
    assert stripe_api.payment_links[old.link_id]["link"]["active"] is False
    assert link_for("USD", "monthly", 300).active

    suggest("USD", monthly="2, 5, 10")
    output = make_links()
    assert "0 created, 1 reactivated, 26 unchanged, 1 deactivated." in output
    old.refresh_from_db()
    assert old.active
    assert stripe_api.payment_links[old.link_id]["link"]["active"] is True
    assert PaymentLink.objects.filter(currency="USD", frequency="monthly", amount=200).count() == 1


def test_without_stripe_the_command_says_what_to_set(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(CommandError, match="set SAMIZDAT_STRIPE_SECRET_KEY"):
        make_links()
    assert not PaymentLink.objects.exists()


def test_when_stripe_is_down_the_command_fails_clearly_and_can_be_run_again(
    stripe_api: FakeStripe,
) -> None:
    stripe_api.failure = "error"
    with pytest.raises(CommandError, match="run the command again"):
        make_links()
    assert not PaymentLink.objects.exists()
    stripe_api.failure = None
    make_links()
    assert PaymentLink.objects.count() == 27


# Showing them


def test_the_appeal_offers_the_links_in_the_readers_currency_for_when_the_app_is_out_of_reach(
    client: Any, newsroom: dict[str, Any], stripe_api: FakeStripe
) -> None:
    page = client.get("/en/news/court-opens-trial/").content.decode()
    assert "payment-links" not in page  # no links made yet: nothing to offer
    make_links()
    page = client.get("/en/news/court-opens-trial/").content.decode()
    block = page[page.index('class="apps-fallback payment-links"') :]
    block = block[: block.index("</div>")]
    assert "You can give directly with our payment provider" in block
    assert re.findall(r"<dt>(\w+)</dt>", block) == ["Once", "Monthly", "Annual"]
    usd = {row.url: row for row in PaymentLink.objects.filter(currency="USD")}
    shown = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)
    assert [label for _url, label in shown] == [
        "$10", "$25", "$50", "$2", "$5", "$10", "$24", "$60", "$120",
    ]  # fmt: skip
    assert {url for url, _label in shown} == set(usd)

    old = link_for("USD", "monthly", 200)
    suggest("USD", monthly="3, 5, 10")
    make_links()
    page = client.get("/en/news/court-opens-trial/").content.decode()
    assert old.url not in page
    assert link_for("USD", "monthly", 300).url in page


# Recording what readers pay through them


def test_a_one_off_gift_through_a_link_is_recorded_once_with_a_receipt(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    make_links()
    link = link_for("EUR", "once", 2500)
    session_id = stripe_api.open_link(link.link_id)
    session = stripe_api.complete(session_id, email="olga@example.org", card_holder="O PETROVA")
    payload = event("checkout.session.completed", session)
    with django_capture_on_commit_callbacks(execute=True):
        assert "pending → paid" in delivered(client, payload)
        assert delivered(client, payload) == "duplicate"
    donation = Donation.objects.get()
    assert (donation.provider, donation.status) == ("stripe", "paid")
    assert (donation.amount, donation.currency, donation.frequency) == (2500, "EUR", "once")
    assert donation.provider_payment_id == session["payment_intent"]
    assert REFERENCE.match(donation.reference)
    assert (donation.email, donation.name, donation.language) == ("olga@example.org", "", "ru")
    [receipt] = mailoutbox
    assert receipt.to == ["olga@example.org"]
    assert donation.reference in receipt.body


@pytest.mark.parametrize("shape", [BASIL, LEGACY])
@pytest.mark.parametrize("invoice_first", [False, True])
def test_a_monthly_gift_through_a_link_is_one_gift_whatever_the_order(
    client: Any, stripe_api: FakeStripe, shape: str, invoice_first: bool
) -> None:
    make_links()
    session_id = stripe_api.open_link(link_for("USD", "monthly", 500).link_id)
    session = stripe_api.complete(session_id)
    completed = event("checkout.session.completed", session, api_version=shape)
    paid = event("invoice.paid", stripe_api.invoice(session_id, shape=shape), api_version=shape)
    for payload in [paid, completed] if invoice_first else [completed, paid]:
        delivered(client, payload)
    gift = RecurringGift.objects.get()
    assert (gift.status, gift.frequency, gift.amount, gift.currency) == (
        "active", "monthly", 500, "USD",
    )  # fmt: skip
    assert gift.provider_gift_id == session["subscription"]
    assert REFERENCE.match(gift.reference)
    donation = Donation.objects.get()
    assert (donation.status, donation.gift, donation.reference) == ("paid", gift, gift.reference)


def test_the_link_is_recognised_even_if_the_session_lost_its_metadata(
    client: Any, stripe_api: FakeStripe
) -> None:
    make_links()
    session_id = stripe_api.open_link(link_for("GBP", "once", 1000).link_id)
    session = {**stripe_api.complete(session_id), "metadata": {}}
    delivered(client, event("checkout.session.completed", session))
    donation = Donation.objects.get()
    assert (donation.amount, donation.currency, donation.frequency) == (1000, "GBP", "once")


def test_other_payment_links_of_the_account_are_not_gifts(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any
) -> None:
    make_links()
    session_id = stripe_api.open_link(link_for("USD", "once", 1000).link_id)
    session = stripe_api.complete(session_id)
    # The shop's own link: not one of ours, no marker.
    shop = {**session, "payment_link": "plink_test_shop", "metadata": {"sku": "mug"}}
    delivered(client, event("checkout.session.completed", shop))
    # The marker alone, on a session no Payment Link made, is not enough either.
    forged = {**session, "payment_link": None, "metadata": MARKER}
    delivered(client, event("checkout.session.completed", forged))
    assert not Donation.objects.exists()
    assert mailoutbox == []
