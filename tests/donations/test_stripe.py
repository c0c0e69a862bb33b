"""Stripe, end to end: the donate form starts a Checkout Session on a local Stripe stand-in
(real HTTP, through the real ``stripe`` library), and Stripe's signed webhooks record gifts."""

from __future__ import annotations

import datetime
import logging
import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.utils import translation

from samizdat.donations import gateway
from samizdat.donations.mail import manage_token
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from samizdat.donations.providers.base import ProviderError
from tests.donations.stripe_server import (
    API_KEY,
    BASIL,
    LEGACY,
    FakeStripe,
    Recorded,
    event,
    sign,
    signed,
)

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^SZ-[2-9A-HJ-NP-Z]{8}$")
UNREACHABLE = "We could not reach the payment service: nothing was charged."


def donate(client: Any, **fields: Any) -> Any:
    data = {"language": "en", "frequency": "once", "currency": "USD", "custom_amount": "10",
            "provider": "stripe", "email": "olga@example.org", "name": "Olga Petrova"}  # fmt: skip
    data.update(fields)
    return client.post("/donate/", data)


def checkout(client: Any, stripe_api: FakeStripe, **fields: Any) -> tuple[str, Recorded]:
    """Start a checkout through the donate form; the session id and what Stripe received."""
    before = len(stripe_api.sessions)
    response = donate(client, **fields)
    assert response.status_code == 303, response.content.decode()[:3000]
    assert len(stripe_api.sessions) == before + 1
    session_id = list(stripe_api.sessions)[-1]
    assert response["Location"] == stripe_api.sessions[session_id]["session"]["url"]
    return session_id, stripe_api.calls("/v1/checkout/sessions")[-1]


def deliver(client: Client, payload: dict[str, Any], **signing: Any) -> ClientResponse:
    body, header = signed(payload, **signing)
    return client.post(
        "/webhooks/stripe/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )  # fmt: skip


def delivered(client: Client, payload: dict[str, Any]) -> str:
    response = deliver(client, payload)
    assert response.status_code == 200, response.content.decode()
    return str(response.content.decode())


def metadata(form: dict[str, str], prefix: str = "metadata") -> dict[str, str]:
    found = {}
    for key, value in form.items():
        if key.startswith(f"{prefix}["):
            found[key[len(prefix) + 1 : -1]] = value
    return found


# Starting a checkout


def test_a_one_off_gift_opens_a_stripe_checkout_with_our_reference(
    client: Any, stripe_api: FakeStripe
) -> None:
    _session, call = checkout(client, stripe_api, custom_amount="12.50")
    form = call.form
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert form["mode"] == "payment"
    assert form["submit_type"] == "donate"
    assert form["line_items[0][price_data][unit_amount]"] == "1250"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][product_data][name]"] == "Gift to The Lantern"
    assert form["line_items[0][quantity]"] == "1"
    assert "line_items[0][price_data][recurring][interval]" not in form
    assert form["customer_email"] == "olga@example.org"
    assert form["locale"] == "en"
    assert form["success_url"] == "http://testserver/donate/thanks/?language=en"
    assert form["cancel_url"].startswith("http://testserver/donate/?language=en")
    assert "cancelled=1" in form["cancel_url"]
    reference = form["metadata[reference]"]
    assert REFERENCE.match(reference)
    assert form["client_reference_id"] == reference
    assert call.headers["idempotency-key"] == reference
    expected = {"reference": reference, "frequency": "once", "language": "en",
                "name": "Olga Petrova"}  # fmt: skip
    assert metadata(form) == expected
    assert metadata(form, "payment_intent_data[metadata]") == expected
    # The newsroom chooses payment methods in its Stripe dashboard, not here.
    assert not [key for key in form if key.startswith("payment_method_types")]
    assert not [key for key in form if key.startswith("subscription_data")]
    # Nothing is recorded until Stripe says the reader paid.
    assert Donation.objects.count() == 0


def test_an_anonymous_gift_sends_stripe_no_name(client: Any, stripe_api: FakeStripe) -> None:
    _session, call = checkout(
        client, stripe_api, language="ru", currency="EUR", custom_amount="7,50",
        name="Olga Petrova", anonymous="on", email="",
    )  # fmt: skip
    form = call.form
    assert form["line_items[0][price_data][unit_amount]"] == "750"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["locale"] == "ru"
    assert "customer_email" not in form  # Stripe's page asks for it
    assert not [key for key, value in form.items() if "name]" in key and "Olga" in value]
    assert "metadata[name]" not in form
    assert metadata(form)["language"] == "ru"


@pytest.mark.parametrize(
    ("language", "locale"), [("uk", "auto"), ("pt-br", "pt-BR"), ("de-at", "de"), ("ru", "ru")]
)
def test_stripes_page_speaks_the_readers_language_where_stripe_speaks_it(
    client: Any, stripe_api: FakeStripe, settings: Any, language: str, locale: str
) -> None:
    settings.LANGUAGES = [("en", "English"), ("ru", "Русский"), ("uk", "Українська"),
                          ("pt-br", "Português"), ("de-at", "Deutsch")]  # fmt: skip
    _session, call = checkout(client, stripe_api, language=language)
    assert call.form["locale"] == locale
    assert metadata(call.form)["language"] == language


def test_a_monthly_gift_opens_a_subscription_checkout(client: Any, stripe_api: FakeStripe) -> None:
    _session, call = checkout(client, stripe_api, frequency="monthly", currency="EUR",
                              custom_amount="5")  # fmt: skip
    form = call.form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "month"
    assert form["line_items[0][price_data][unit_amount]"] == "500"
    assert form["line_items[0][price_data][product_data][name]"] == "Monthly gift to The Lantern"
    expected = metadata(form)
    assert expected["frequency"] == "monthly"
    assert metadata(form, "subscription_data[metadata]") == expected
    assert not [key for key in form if key.startswith("payment_intent_data")]
    assert "submit_type" not in form


def test_an_annual_gift_is_its_own_amount_once_a_year(client: Any, stripe_api: FakeStripe) -> None:
    _session, call = checkout(client, stripe_api, frequency="annual", custom_amount="60")
    form = call.form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][recurring][interval]"] == "year"
    assert form["line_items[0][price_data][unit_amount]"] == "6000"  # not 12 × 60
    assert metadata(form, "subscription_data[metadata]")["frequency"] == "annual"


@pytest.mark.parametrize("failure", ["error", "drop", "refuse"])
def test_when_stripe_is_down_or_refuses_the_reader_is_told_and_nothing_is_recorded(
    client: Any, stripe_api: FakeStripe, failure: str
) -> None:
    stripe_api.failure = failure
    response = donate(client, frequency="monthly")
    assert response.status_code == 503
    assert UNREACHABLE in response.content.decode()
    assert 'value="olga@example.org"' in response.content.decode()  # nothing typed is lost
    calls = stripe_api.calls("/v1/checkout/sessions")
    assert calls, "the request reached the stand-in"
    # A retry after an outage carries the same idempotency key: never two sessions.
    assert len({c.headers["idempotency-key"] for c in calls}) == 1
    assert Donation.objects.count() == 0
    assert RecurringGift.objects.count() == 0


def test_a_wrong_api_key_is_an_outage_for_the_reader_and_an_error_for_staff(
    client: Any, stripe_api: FakeStripe, settings: Any, caplog: Any
) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_revoked"
    with caplog.at_level(logging.ERROR, logger="samizdat.donations.providers.stripe"):
        response = donate(client)
    assert response.status_code == 503
    assert UNREACHABLE in response.content.decode()
    assert any("AuthenticationError" in r.getMessage() for r in caplog.records)
    assert "sk_test_revoked" not in caplog.text
    assert Donation.objects.count() == 0
    assert RecurringGift.objects.count() == 0


def test_stripe_is_not_offered_without_its_webhook_secret(
    client: Any, stripe_api: FakeStripe, settings: Any
) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = donate(client)
    assert response.status_code == 400
    assert "Choose a way to pay." in response.content.decode()
    assert stripe_api.requests == []
    webhook = deliver(client, event("customer.created", {"id": "cus_x", "object": "customer"}))
    assert webhook.status_code == 400


# Webhooks: one-off gifts


def test_a_paid_checkout_records_the_gift_and_mails_a_receipt_in_the_readers_language(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session_id, call = checkout(client, stripe_api, language="ru", currency="EUR")
    session = stripe_api.complete(session_id, email="olga@example.org", card_holder="I PETROV")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = delivered(client, event("checkout.session.completed", session))
    assert "pending → paid" in outcome
    donation = Donation.objects.get()
    assert donation.provider == "stripe"
    assert donation.provider_payment_id == session["payment_intent"]
    assert donation.reference == call.form["metadata[reference]"]
    assert (donation.status, donation.amount, donation.currency) == ("paid", 1000, "EUR")
    assert donation.frequency == "once"
    assert donation.email == "olga@example.org"
    assert donation.name == "Olga Petrova"  # what the reader gave us, not the card holder
    assert donation.language == "ru"
    assert donation.paid_at is not None
    [receipt] = mailoutbox
    assert receipt.to == ["olga@example.org"]
    assert donation.reference in receipt.body
    assert "10\u00a0€" in receipt.body  # as a Russian reader writes it (a no-break space)
    with translation.override("ru"):
        subject = translation.gettext("Receipt for your gift to %(site)s")
    assert receipt.subject == subject % {"site": "The Lantern"}


def test_an_anonymous_gift_keeps_no_name_even_from_the_card(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api, anonymous="on")
    session = stripe_api.complete(session_id, card_holder="OLGA PETROVA")
    delivered(client, event("checkout.session.completed", session))
    assert Donation.objects.get().name == ""


def test_a_signed_event_with_a_broken_address_records_the_gift_without_it(
    client: Any,
    stripe_api: FakeStripe,
    mailoutbox: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The money is real, so the gift is recorded; the address with a line break in it is not,
    and the log says so without repeating it."""
    session_id, _call = checkout(client, stripe_api, email="")
    session = stripe_api.complete(session_id, email="olga@example.org\r\nBcc: all@example.org")
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        delivered(client, event("checkout.session.completed", session))
    donation = Donation.objects.get()
    assert (donation.status, donation.amount, donation.email) == ("paid", 1000, "")
    assert mailoutbox == []
    assert "not one we can write to" in caplog.text
    assert "example.org" not in caplog.text


def test_the_same_event_three_times_is_one_gift_and_one_receipt(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session_id, _call = checkout(client, stripe_api)
    payload = event("checkout.session.completed", stripe_api.complete(session_id))
    outcomes = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(delivered(client, payload))
    assert outcomes[1:] == ["duplicate", "duplicate"]
    assert Donation.objects.count() == 1
    assert ProviderEvent.objects.count() == 1
    assert len(mailoutbox) == 1


def test_a_bank_debit_is_pending_until_stripe_says_it_arrived(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session_id, _call = checkout(client, stripe_api, currency="EUR")
    session = stripe_api.complete(session_id, payment_status="unpaid")
    with django_capture_on_commit_callbacks(execute=True):
        delivered(client, event("checkout.session.completed", session))
    assert Donation.objects.get().status == "pending"
    assert mailoutbox == []
    paid = {**session, "payment_status": "paid"}
    with django_capture_on_commit_callbacks(execute=True):
        delivered(client, event("checkout.session.async_payment_succeeded", paid))
    assert Donation.objects.get().status == "paid"
    assert len(mailoutbox) == 1


def test_a_bank_debit_that_bounces_is_failed(client: Any, stripe_api: FakeStripe) -> None:
    session_id, _call = checkout(client, stripe_api, currency="EUR")
    session = stripe_api.complete(session_id, payment_status="unpaid")
    delivered(client, event("checkout.session.completed", session))
    delivered(client, event("checkout.session.async_payment_failed", session))
    assert Donation.objects.get().status == "failed"


def _stale(body: bytes) -> str:
    return sign(body, timestamp=int(time.time()) - 301)


def _other_secret(body: bytes) -> str:
    return sign(body, secret="whsec_someone_else")


def _other_body(body: bytes) -> str:
    return sign(body.replace(b"1000", b"9000"))


@pytest.mark.parametrize(
    "header",
    [_stale, _other_secret, _other_body, lambda body: None, lambda body: "t=1,v0=abc",
     lambda body: "nonsense"],
    ids=["stale", "wrong-secret", "tampered", "missing", "no-v1", "garbled"],
)  # fmt: skip
def test_a_webhook_that_is_not_genuinely_from_stripe_is_refused_and_stores_nothing(
    client: Any, stripe_api: FakeStripe, header: Any
) -> None:
    session_id, _call = checkout(client, stripe_api)
    body, _good = signed(event("checkout.session.completed", stripe_api.complete(session_id)))
    value = header(body)
    extra = {"HTTP_STRIPE_SIGNATURE": value} if value is not None else {}
    response = client.post("/webhooks/stripe/", data=body, content_type="application/json", **extra)
    assert response.status_code == 400
    assert "signature" in response.content.decode()
    assert ProviderEvent.objects.count() == 0
    assert Donation.objects.count() == 0


def _event_body(created: int, obj: bytes = b"{}") -> bytes:
    return (
        b'{"object": "event", "id": "evt_odd", "type": "checkout.session.completed", '
        + f'"created": {created}, "data": {{"object": '.encode()
        + obj
        + b"}}"
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b'{"object": "list", "data": []}',
        b"\xff\xfe",
        _event_body(1_700_000_000, b"[" * 100_000 + b"]" * 100_000),
        _event_body(10**20),
        _event_body(-(10**15)),
    ],
    ids=["not-json", "not-an-event", "not-utf8", "nested-too-deep", "created-in-year-3e12",
         "created-before-year-1"],
)  # fmt: skip
def test_a_signed_body_that_is_not_an_event_is_refused(
    client: Any, stripe_api: FakeStripe, body: bytes
) -> None:
    response = client.post(
        "/webhooks/stripe/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body),
    )  # fmt: skip
    assert response.status_code == 400
    assert ProviderEvent.objects.count() == 0


def test_an_event_we_have_no_use_for_is_acknowledged_and_logged(
    client: Any, stripe_api: FakeStripe, caplog: Any
) -> None:
    payload = event("customer.created", {"id": "cus_test_1", "object": "customer"})
    with caplog.at_level(logging.INFO, logger="samizdat.donations"):
        assert delivered(client, payload) == "ignored"
    logged = ProviderEvent.objects.get()
    assert (logged.event_id, logged.type, logged.outcome) == (
        payload["id"], "customer.created", "ignored"
    )  # fmt: skip
    assert payload["id"] in caplog.text
    assert Donation.objects.count() == 0


# Webhooks: recurring gifts


@pytest.mark.parametrize(
    ("frequency", "amount", "shape"),
    [("monthly", "5", LEGACY), ("monthly", "5", BASIL), ("annual", "60", BASIL)],
)
def test_an_instalment_paid_before_the_checkout_completes_still_makes_one_gift(
    client: Any, stripe_api: FakeStripe, frequency: str, amount: str, shape: str
) -> None:
    session_id, call = checkout(client, stripe_api, frequency=frequency, currency="EUR",
                                custom_amount=amount, language="ru")  # fmt: skip
    session = stripe_api.complete(session_id)
    now = int(time.time())
    invoice = stripe_api.invoice(session_id, shape=shape, period_start=now)
    delivered(client, event("invoice.paid", invoice, created=now, api_version=shape))
    delivered(client, event("checkout.session.completed", session, created=now - 1,
                            api_version=shape))  # fmt: skip
    gift = RecurringGift.objects.get()
    minor = int(amount) * 100
    assert (gift.provider_gift_id, gift.provider_customer_id) == (
        session["subscription"], session["customer"]
    )  # fmt: skip
    assert (gift.status, gift.frequency, gift.amount, gift.currency) == (
        "active", frequency, minor, "EUR"
    )  # fmt: skip
    assert gift.reference == call.form["metadata[reference]"]
    assert (gift.email, gift.name, gift.language) == ("reader@example.org", "Olga Petrova", "ru")
    period = invoice["lines"]["data"][0]["period"]["end"]
    assert gift.next_payment_at == datetime.datetime.fromtimestamp(period, tz=datetime.UTC)
    donation = Donation.objects.get()
    assert donation.gift == gift
    assert (donation.status, donation.amount, donation.frequency) == ("paid", minor, frequency)
    assert donation.provider_payment_id == invoice["id"]
    assert donation.reference == gift.reference
    if shape == LEGACY:
        assert donation.provider_intent_id == invoice["payment_intent"]


@pytest.mark.parametrize("shape", [LEGACY, BASIL])
def test_payments_that_are_not_gifts_are_not_recorded(
    client: Any, stripe_api: FakeStripe, shape: str, mailoutbox: Any
) -> None:
    """The newsroom's Stripe account may also sell things (a shop, Payment Links): an invoice
    or a subscription without our reference is not a donation and gets no receipt."""
    session_id, _call = checkout(client, stripe_api, frequency="annual", custom_amount="60")
    stripe_api.complete(session_id)
    invoice = stripe_api.invoice(session_id, shape=shape)
    for line in invoice["lines"]["data"]:
        line["metadata"] = {}
    invoice.get("parent", {}).get("subscription_details", {})["metadata"] = {}
    invoice.get("subscription_details", {})["metadata"] = {}
    delivered(client, event("invoice.paid", invoice, api_version=shape))
    assert RecurringGift.objects.count() == Donation.objects.count() == 0
    assert mailoutbox == []
    assert ProviderEvent.objects.get().outcome == "ignored"


def test_a_checkout_completed_first_starts_the_gift_and_its_invoice_pays_it(
    client: Any, stripe_api: FakeStripe, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    session = stripe_api.complete(session_id, payment_status="unpaid")  # e.g. a SEPA debit
    delivered(client, event("checkout.session.completed", session))
    gift = RecurringGift.objects.get()
    assert gift.status == "incomplete"
    assert Donation.objects.count() == 0  # the instalment comes with its invoice
    with django_capture_on_commit_callbacks(execute=True):
        delivered(client, event("invoice.paid", stripe_api.invoice(session_id)))
    gift.refresh_from_db()
    assert gift.status == "active"
    assert Donation.objects.get().gift == gift
    [receipt] = mailoutbox
    assert "/donate/manage/" in receipt.body  # a recurring gift's receipt says how to change it


def test_a_failed_renewal_then_paid_ends_paid_and_the_gift_active(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    session = stripe_api.complete(session_id)
    now = int(time.time())
    delivered(client, event("checkout.session.completed", session, created=now - 100))
    delivered(client, event("invoice.paid", stripe_api.invoice(session_id), created=now - 99))
    renewal: dict[str, Any] = {"invoice_id": "in_test_renewal", "billing_reason": "subscription_cycle",
               "period_start": now}  # fmt: skip
    failed = stripe_api.invoice(session_id, paid=False, **renewal)
    delivered(client, event("invoice.payment_failed", failed, created=now))
    donation = Donation.objects.get(provider_payment_id="in_test_renewal")
    assert donation.status == "failed"
    assert "attempt 1 failed" in donation.failure_reason
    assert RecurringGift.objects.get().status == "past_due"
    delivered(client, event("invoice.paid", stripe_api.invoice(session_id, **renewal),
                            created=now + 60))  # fmt: skip
    donation.refresh_from_db()
    assert donation.status == "paid"
    assert RecurringGift.objects.get().status == "active"
    # A failure Stripe reports late does not undo the payment.
    delivered(client, event("invoice.payment_failed", failed, created=now + 30))
    donation.refresh_from_db()
    assert donation.status == "paid"
    assert RecurringGift.objects.get().status == "active"
    assert Donation.objects.count() == 2


def test_a_first_payment_that_fails_leaves_the_gift_not_yet_started(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    stripe_api.complete(session_id, payment_status="unpaid")
    failed = stripe_api.invoice(session_id, paid=False)
    delivered(client, event("invoice.payment_failed", failed))
    assert RecurringGift.objects.get().status == "incomplete"
    assert Donation.objects.get().status == "failed"


@pytest.mark.parametrize("shape", [LEGACY, BASIL])
def test_a_donor_who_doubles_the_gift_in_the_portal_gives_twice_as_much(
    client: Any, stripe_api: FakeStripe, shape: str
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    session = stripe_api.complete(session_id)
    now = int(time.time())
    delivered(client, event("checkout.session.completed", session, created=now - 10))
    subscription = stripe_api.subscription(session_id, shape=shape, quantity=2)
    delivered(client, event("customer.subscription.updated", subscription, created=now,
                            api_version=shape))  # fmt: skip
    gift = RecurringGift.objects.get()
    assert (gift.amount, gift.frequency, gift.status) == (1000, "monthly", "active")
    items = subscription["items"]["data"][0]
    period = subscription.get("current_period_end") or items["current_period_end"]
    assert gift.next_payment_at == datetime.datetime.fromtimestamp(period, tz=datetime.UTC)


def test_a_cancelled_gift_stays_cancelled_when_an_older_update_arrives_late(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="annual", custom_amount="60")
    session = stripe_api.complete(session_id)
    now = int(time.time())
    delivered(client, event("checkout.session.completed", session, created=now - 100))
    ended = stripe_api.subscription(session_id, status="canceled", canceled_at=now - 5)
    delivered(client, event("customer.subscription.deleted", ended, created=now))
    stale = stripe_api.subscription(session_id, status="active")
    delivered(client, event("customer.subscription.updated", stale, created=now - 50))
    gift = RecurringGift.objects.get()
    assert gift.status == "cancelled"
    assert gift.cancelled_at == datetime.datetime.fromtimestamp(now - 5, tz=datetime.UTC)
    assert gift.next_payment_at is None


# Refunds


def test_a_refunded_one_off_gift_is_marked_refunded(client: Any, stripe_api: FakeStripe) -> None:
    session_id, _call = checkout(client, stripe_api)
    session = stripe_api.complete(session_id)
    delivered(client, event("checkout.session.completed", session))
    charge = stripe_api.charge(payment_intent=session["payment_intent"], amount=1000,
                               currency="usd")  # fmt: skip
    delivered(client, event("charge.refunded", charge))
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded) == ("refunded", 1000)


def test_a_partly_refunded_gift_stays_paid_with_the_refund_noted(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api)
    session = stripe_api.complete(session_id)
    delivered(client, event("checkout.session.completed", session))
    charge = stripe_api.charge(payment_intent=session["payment_intent"], amount=1000,
                               refunded=400, currency="usd", shape=LEGACY)  # fmt: skip
    delivered(client, event("charge.refunded", charge, api_version=LEGACY))
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded) == ("paid", 400)


@pytest.mark.parametrize("shape", [LEGACY, BASIL])
def test_a_refunded_instalment_is_found_by_its_invoice(
    client: Any, stripe_api: FakeStripe, shape: str
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    stripe_api.complete(session_id)
    invoice = stripe_api.invoice(session_id, shape=shape, payment_intent="pi_test_instalment")
    delivered(client, event("invoice.paid", invoice, api_version=shape))
    charge = stripe_api.charge(payment_intent="pi_test_instalment", amount=500, currency="usd",
                               shape=shape, invoice=invoice["id"])  # fmt: skip
    delivered(client, event("charge.refunded", charge, api_version=shape))
    donation = Donation.objects.get()
    assert donation.status == "refunded"
    lookups = stripe_api.calls("/v1/invoice_payments")
    if shape == BASIL:  # since basil a charge no longer names its invoice: Stripe is asked
        assert lookups[0].params["payment"] == {
            "type": "payment_intent", "payment_intent": "pi_test_instalment"
        }  # fmt: skip
    else:
        assert lookups == []


def test_a_refund_that_cannot_be_traced_while_stripe_is_down_is_retried_later(
    client: Any, stripe_api: FakeStripe
) -> None:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
    stripe_api.complete(session_id)
    invoice = stripe_api.invoice(session_id, payment_intent="pi_test_instalment")
    delivered(client, event("invoice.paid", invoice))
    payload = event("charge.refunded", stripe_api.charge(
        payment_intent="pi_test_instalment", amount=500, currency="usd"))  # fmt: skip
    stripe_api.failure = "error"
    assert deliver(client, payload).status_code == 503  # Stripe delivers it again later
    assert not ProviderEvent.objects.filter(type="charge.refunded").exists()
    stripe_api.failure = None
    delivered(client, payload)
    assert Donation.objects.get().status == "refunded"


# Managing a recurring gift


def _gift(client: Any, stripe_api: FakeStripe, **fields: Any) -> RecurringGift:
    session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5",
                                 **fields)  # fmt: skip
    delivered(client, event("checkout.session.completed", stripe_api.complete(session_id)))
    return RecurringGift.objects.get()


def test_the_billing_portal_opens_for_the_gifts_customer(
    client: Any, stripe_api: FakeStripe
) -> None:
    gift = _gift(client, stripe_api, language="ru")
    url = gateway.manage_url(gift_id=gift.pk, return_url="http://testserver/donate/manage/x/")
    [call] = stripe_api.calls("/v1/billing_portal/sessions")
    assert call.form == {"customer": gift.provider_customer_id, "locale": "ru",
                         "return_url": "http://testserver/donate/manage/x/"}  # fmt: skip
    assert call.headers["authorization"] == f"Bearer {API_KEY}"
    assert url.startswith("https://billing.stripe.com/p/session/bps_test_")


def test_a_donor_following_the_mailed_link_lands_in_the_billing_portal(
    client: Any, stripe_api: FakeStripe
) -> None:
    gift = _gift(client, stripe_api)
    page = f"/donate/manage/{manage_token(gift.email)}/"
    response = client.post(page, {"gift": gift.pk})
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/p/session/")
    [call] = stripe_api.calls("/v1/billing_portal/sessions")
    assert call.form["customer"] == gift.provider_customer_id
    assert call.form["return_url"] == f"http://testserver{page}"
    stripe_api.failure = "drop"
    response = client.post(page, {"gift": gift.pk})
    assert response.status_code == 503
    assert "card payment service" in response.content.decode()


def test_a_gift_without_a_stripe_customer_cannot_be_managed_online(
    client: Any, stripe_api: FakeStripe
) -> None:
    gift = _gift(client, stripe_api)
    RecurringGift.objects.filter(pk=gift.pk).update(provider_customer_id="")
    with pytest.raises(ProviderError, match="write to us"):
        gateway.manage_url(gift_id=gift.pk, return_url="http://testserver/")
    assert stripe_api.calls("/v1/billing_portal/sessions") == []
