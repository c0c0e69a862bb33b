"""Crypto gifts through BTCPay Server: the donate form creates an invoice over real HTTP on a
local Greenfield server, and BTCPay's signed webhooks (checked against the invoice the API
reports) record the gift once."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
from django.core import mail
from django.test import Client

from samizdat.donations import actions
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from tests.donations.btcpay_server import (
    API_KEY,
    STORE_ID,
    WEBHOOK_SECRET,
    BTCPayServer,
    Delivery,
)

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

READER = "reader@example.org"
UNAVAILABLE = "We could not reach the payment service: nothing was charged."


@pytest.fixture
def btcpay(settings: Any) -> Iterator[BTCPayServer]:
    """A running BTCPay Greenfield server, with samizdat configured to use it."""
    server = BTCPayServer().start()
    settings.BTCPAY_URL = server.url
    settings.BTCPAY_API_KEY = API_KEY
    settings.BTCPAY_STORE_ID = STORE_ID
    settings.BTCPAY_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.DONATIONS_PROVIDER_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


def give(client: Client, **fields: str) -> Any:
    data = {
        "language": "en",
        "frequency": "once",
        "currency": "USD",
        "custom_amount": "7.50",
        "provider": "btcpay",
        "email": READER,
        "name": "Anna Reader",
        **fields,
    }
    return client.post("/donate/", {k: v for k, v in data.items() if v is not None})


def start_gift(client: Client, btcpay: BTCPayServer, **fields: str) -> str:
    """The reader gives through BTCPay: the id of the invoice they were sent to pay."""
    response = give(client, **fields)
    assert response.status_code == 303
    (invoice,) = [i for i in btcpay.invoices.values() if i["checkoutLink"] == response["Location"]]
    return str(invoice["id"])


def post_webhook(client: Client, delivery: Delivery) -> ClientResponse:
    return client.post(
        "/webhooks/btcpay/",
        data=delivery.body,
        content_type="application/json",
        headers=delivery.headers,
    )


def invoice_fetches(btcpay: BTCPayServer, invoice_id: str) -> int:
    return sum(1 for r in btcpay.requests if r.method == "GET" and r.path.endswith(invoice_id))


# The donate form


def test_btcpay_is_offered_only_when_configured(
    client: Client, btcpay: BTCPayServer, settings: Any
) -> None:
    page = client.get("/donate/", {"language": "en", "frequency": "once", "currency": "USD",
                                   "custom_amount": "10"})  # fmt: skip
    assert "Bitcoin and other crypto (BTCPay)" in page.content.decode()
    settings.BTCPAY_WEBHOOK_SECRET = ""
    page = client.get("/donate/", {"language": "en", "frequency": "once", "currency": "USD",
                                   "custom_amount": "10"})  # fmt: skip
    assert "BTCPay" not in page.content.decode()
    assert give(client).status_code == 400
    assert btcpay.requests == []


def test_gift_creates_an_invoice_and_sends_the_reader_to_pay_it(
    client: Client, btcpay: BTCPayServer
) -> None:
    response = give(client)

    assert response.status_code == 303
    (sent,) = btcpay.created()
    invoice = btcpay.invoices[next(iter(btcpay.invoices))]
    assert response["Location"] == invoice["checkoutLink"]
    assert sent.path == f"/api/v1/stores/{STORE_ID}/invoices"
    assert sent.headers["Authorization"] == f"token {API_KEY}"
    assert sent.json["amount"] == "7.50"
    assert sent.json["currency"] == "USD"
    metadata = sent.json["metadata"]
    assert metadata["orderId"] == metadata["samizdatReference"]
    assert metadata["samizdatReference"].startswith("SZ-")
    assert metadata["buyerEmail"] == READER
    assert metadata["samizdatName"] == "Anna Reader"
    assert metadata["samizdatLanguage"] == "en"
    assert metadata["samizdatFrequency"] == "once"
    assert sent.json["checkout"]["redirectURL"] == "http://testserver/donate/thanks/?language=en"
    assert sent.json["checkout"]["redirectAutomatically"] is True
    assert sent.json["checkout"]["defaultLanguage"] == "en"
    # Nothing is recorded until BTCPay says the invoice is paid.
    assert not Donation.objects.exists()


def test_anonymous_russian_gift_sends_no_name_and_russian_checkout(
    client: Client, btcpay: BTCPayServer
) -> None:
    response = give(client, language="ru", custom_amount="", amount="25", email="", anonymous="on")

    assert response.status_code == 303
    (sent,) = btcpay.created()
    assert sent.json["amount"] == "25.00"
    assert "samizdatName" not in sent.json["metadata"]
    assert "buyerEmail" not in sent.json["metadata"]
    assert sent.json["metadata"]["samizdatLanguage"] == "ru"
    assert sent.json["checkout"]["defaultLanguage"] == "ru-RU"
    assert sent.json["checkout"]["redirectURL"].endswith("/donate/thanks/?language=ru")


@pytest.mark.parametrize(
    ("language", "checkout_language"),
    [("uk", "uk-UA"), ("pt-br", "pt-BR"), ("pt", "pt-PT"), ("de", "de-DE"), ("be", "en")],
)
def test_btcpays_checkout_speaks_the_readers_language_where_it_can(
    client: Client, btcpay: BTCPayServer, settings: Any, language: str, checkout_language: str
) -> None:
    settings.LANGUAGES = [("en", "English"), (language, language)]
    assert give(client, language=language).status_code == 303
    (sent,) = btcpay.created()
    assert sent.json["checkout"]["defaultLanguage"] == checkout_language
    assert sent.json["metadata"]["samizdatLanguage"] == language


def test_monthly_gift_in_crypto_is_refused_before_asking_btcpay(
    client: Client, btcpay: BTCPayServer
) -> None:
    response = give(client, frequency="monthly")

    assert response.status_code == 400
    assert "takes one-off gifts only" in response.content.decode()
    assert btcpay.requests == []


@pytest.mark.parametrize("trouble", ["down", "bad_gateway", "garbled", "reject", "wrong_key"])
def test_btcpay_trouble_shows_a_clear_page_and_records_nothing(
    client: Client, btcpay: BTCPayServer, settings: Any, caplog: Any, trouble: str
) -> None:
    if trouble == "down":
        btcpay.down()
    elif trouble == "bad_gateway":
        btcpay.bad_gateway = True
    elif trouble == "garbled":
        btcpay.garbled = True
    elif trouble == "reject":
        btcpay.reject = [{"path": "amount", "message": "Amount is too low for BTC"}]
    else:
        settings.BTCPAY_API_KEY = "a-revoked-key"

    with caplog.at_level(logging.WARNING):
        response = give(client)

    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert not Donation.objects.exists()
    assert not ProviderEvent.objects.exists()
    if trouble == "reject":  # the operator learns why BTCPay said no
        assert "amount: Amount is too low for BTC" in caplog.text
    if trouble == "wrong_key":
        assert "SAMIZDAT_BTCPAY_API_KEY" in caplog.text


# Webhooks


def test_settled_invoice_records_a_paid_gift_and_mails_a_receipt(
    client: Client, btcpay: BTCPayServer, django_capture_on_commit_callbacks: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    delivery = btcpay.webhook(invoice_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, delivery)

    assert response.status_code == 200
    donation = Donation.objects.get()
    assert donation.provider == "btcpay"
    assert donation.provider_payment_id == invoice_id
    assert (donation.amount, donation.currency) == (750, "USD")
    assert donation.status == Donation.Status.PAID
    assert donation.frequency == "once"
    assert donation.reference == btcpay.invoices[invoice_id]["metadata"]["samizdatReference"]
    assert (donation.email, donation.name, donation.language) == (READER, "Anna Reader", "en")
    assert donation.paid_at == datetime.datetime.fromtimestamp(
        delivery.payload["timestamp"], tz=datetime.UTC
    )
    (receipt,) = mail.outbox
    assert receipt.to == [READER]
    assert "$7.50" in receipt.body
    assert donation.reference in receipt.body
    assert invoice_fetches(btcpay, invoice_id) == 1


def test_repeated_deliveries_and_redeliveries_count_once(
    client: Client, btcpay: BTCPayServer, django_capture_on_commit_callbacks: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    delivery = btcpay.webhook(invoice_id)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [post_webhook(client, delivery) for _ in range(3)]
        answers.append(post_webhook(client, btcpay.redeliver(delivery)))

    assert [a.status_code for a in answers] == [200, 200, 200, 200]
    assert [a.content for a in answers[1:]] == [b"duplicate"] * 3
    assert Donation.objects.get().status == Donation.Status.PAID
    assert ProviderEvent.objects.count() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"BTCPay-Sig": "sha256=" + "0" * 64},
        {"BTCPay-Sig": "not-a-signature"},
        {"BTCPay-Sig": "sha256=\u00e9\u00e9"},
        "other secret",
        "tampered body",
    ],
)
def test_webhook_without_a_genuine_signature_is_refused(
    client: Client, btcpay: BTCPayServer, headers: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    delivery = btcpay.webhook(invoice_id)
    body = delivery.body
    if headers == "other secret":
        headers = {"BTCPay-Sig": BTCPayServer(webhook_secret="another-store").sign(body)}
    elif headers == "tampered body":
        headers = delivery.headers
        body = body.replace(b'"timestamp":', b'"timestamp": ')

    response = client.post(
        "/webhooks/btcpay/", data=body, content_type="application/json", headers=headers
    )

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    assert not Donation.objects.exists()
    assert invoice_fetches(btcpay, invoice_id) == 0


def test_signed_webhook_that_is_not_an_event_of_our_store_is_refused(
    client: Client, btcpay: BTCPayServer
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    not_json = b"<xml>InvoiceSettled</xml>"
    other_store = btcpay.webhook(invoice_id, storeId="AnotherStore1234")

    answers = [
        post_webhook(client, Delivery(not_json, {"BTCPay-Sig": btcpay.sign(not_json)})),
        post_webhook(client, btcpay.deliver(["InvoiceSettled"])),  # type: ignore[arg-type]  # not an object, on purpose
        post_webhook(client, other_store),
        post_webhook(client, btcpay.webhook(invoice_id, timestamp="yesterday")),
    ]

    assert [a.status_code for a in answers] == [400, 400, 400, 400]
    assert "another store" in answers[2].content.decode()
    assert not ProviderEvent.objects.exists()
    assert not Donation.objects.exists()


@pytest.mark.parametrize("trouble", ["down", "bad_gateway"])
def test_webhook_waits_for_btcpay_when_the_invoice_cannot_be_checked(
    client: Client,
    btcpay: BTCPayServer,
    django_capture_on_commit_callbacks: Any,
    trouble: str,
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    delivery = btcpay.webhook(invoice_id)
    if trouble == "down":
        btcpay.down()
    else:
        btcpay.bad_gateway = True

    response = post_webhook(client, delivery)

    assert response.status_code == 503
    assert not ProviderEvent.objects.exists()
    assert not Donation.objects.exists()

    if trouble == "down":
        btcpay.up()
    else:
        btcpay.bad_gateway = False
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, btcpay.redeliver(delivery))

    assert response.status_code == 200
    assert Donation.objects.get().status == Donation.Status.PAID
    assert len(mail.outbox) == 1


def test_webhook_ahead_of_the_invoice_is_retried_not_recorded(
    client: Client, btcpay: BTCPayServer
) -> None:
    invoice_id = start_gift(client, btcpay)
    delivery = btcpay.webhook(invoice_id)  # says settled; the API still says "New"

    assert post_webhook(client, delivery).status_code == 503
    assert not Donation.objects.exists()

    btcpay.settle(invoice_id)
    assert post_webhook(client, btcpay.redeliver(delivery)).status_code == 200
    assert Donation.objects.get().status == Donation.Status.PAID


def test_amounts_and_donor_come_from_the_invoice_not_the_webhook_body(
    client: Client, btcpay: BTCPayServer
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    metadata = dict(btcpay.invoices[invoice_id]["metadata"])
    forged = btcpay.webhook(
        invoice_id,
        amount="1000.00",
        currency="EUR",
        metadata={**metadata, "buyerEmail": "someone@example.net", "samizdatName": "Forged"},
    )

    assert post_webhook(client, forged).status_code == 200

    donation = Donation.objects.get()
    assert (donation.amount, donation.currency) == (750, "USD")
    assert (donation.email, donation.name) == (READER, "Anna Reader")


def test_payment_awaiting_confirmations_is_pending_until_settled(
    client: Client, btcpay: BTCPayServer, django_capture_on_commit_callbacks: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id, status="Processing")

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            post_webhook(client, btcpay.webhook(invoice_id, "InvoiceProcessing")).status_code == 200
        )
    assert Donation.objects.get().status == Donation.Status.PENDING
    assert mail.outbox == []

    btcpay.settle(invoice_id)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_webhook(client, btcpay.webhook(invoice_id)).status_code == 200
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.PAID
    assert donation.amount == 750
    assert len(mail.outbox) == 1


def test_payment_that_turns_invalid_is_failed(client: Client, btcpay: BTCPayServer) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id, status="Processing")
    assert post_webhook(client, btcpay.webhook(invoice_id, "InvoiceProcessing")).status_code == 200

    btcpay.settle(invoice_id, status="Invalid", additional="Invalid")
    assert post_webhook(client, btcpay.webhook(invoice_id, "InvoiceInvalid")).status_code == 200

    donation = Donation.objects.get()
    assert donation.status == Donation.Status.FAILED
    assert "invalid" in donation.failure_reason


def test_expired_and_other_events_record_no_gift(client: Client, btcpay: BTCPayServer) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id, status="Expired")

    answers = [
        post_webhook(client, btcpay.webhook(invoice_id, "InvoiceCreated")),
        post_webhook(client, btcpay.webhook(invoice_id, "InvoiceExpired")),
        post_webhook(client, btcpay.webhook(invoice_id, "InvoicePaymentSettled")),
    ]

    assert [a.content for a in answers] == [b"ignored"] * 3
    assert not Donation.objects.exists()
    assert ProviderEvent.objects.count() == 3


def test_invoices_we_did_not_create_are_ignored(client: Client, btcpay: BTCPayServer) -> None:
    # BTCPay's "send test webhook" names an invoice that does not exist; a point-of-sale app in
    # the same store creates invoices without our reference.
    test_delivery = btcpay.webhook("__test__3b5a2f1e-0c1d-4e6f-9a8b-7c6d5e4f3a2b__")
    shop = requests.post(
        f"{btcpay.url}/api/v1/stores/{STORE_ID}/invoices",
        json={"amount": "30", "currency": "USD", "metadata": {"orderId": "tshirt-41"}},
        headers={"Authorization": f"token {API_KEY}"},
        timeout=5,
    ).json()
    btcpay.settle(shop["id"])

    answers = [
        post_webhook(client, test_delivery),
        post_webhook(client, btcpay.webhook(shop["id"])),
    ]

    assert [(a.status_code, a.content) for a in answers] == [(200, b"ignored")] * 2
    assert not Donation.objects.exists()


def test_webhook_is_not_lost_when_the_btcpay_url_is_wrong(
    client: Client, btcpay: BTCPayServer, settings: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    delivery = btcpay.webhook(invoice_id)
    settings.BTCPAY_URL = f"{btcpay.url}/btcpay"  # answers 404 to everything

    assert post_webhook(client, delivery).status_code == 503
    assert not ProviderEvent.objects.exists()

    settings.BTCPAY_URL = btcpay.url
    assert post_webhook(client, btcpay.redeliver(delivery)).status_code == 200
    assert Donation.objects.get().status == Donation.Status.PAID


def test_webhook_is_refused_when_btcpay_is_not_configured(
    client: Client, btcpay: BTCPayServer, settings: Any
) -> None:
    invoice_id = start_gift(client, btcpay)
    btcpay.settle(invoice_id)
    settings.BTCPAY_API_KEY = ""

    response = post_webhook(client, btcpay.webhook(invoice_id))

    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_crypto_gifts_have_nothing_to_manage(client: Client, btcpay: BTCPayServer) -> None:
    gift = RecurringGift.objects.create(
        provider="btcpay", provider_gift_id="inv-1", frequency="monthly", amount=500,
        currency="USD", email=READER, status=RecurringGift.Status.ACTIVE,
    )  # fmt: skip

    token = actions.open_manage_link(email=READER, language="en")
    response = client.post("/donate/manage/gifts/", {"token": token, "gift": gift.pk})

    assert response.status_code == 503
    assert "one-off" in response.content.decode()
