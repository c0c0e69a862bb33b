"""Webhooks take any delivery: Stripe's and BTCPay's (unsigned, wrongly signed, and validly
signed bodies of any shape), any provider name, and the mail services' bounce reports. Never
a 5xx, every refusal says why, and a refused delivery records nothing.

A signed delivery is accepted (200), refused (4xx), or, when it tells of something we have
not heard of yet (a refund of a payment whose event is still on its way), put off with a 503
that has the provider deliver it again later; that too stores nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import anymail.webhooks
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from samizdat.donations.models import Donation, ProviderEvent
from tests.donations.btcpay_server import BTCPayServer
from tests.donations.stripe_server import event, sign
from tests.properties import strategies as s
from tests.properties.conftest import MAIL_WEBHOOK_AUTH, MAILGUN_SIGNING_KEY
from tests.properties.harness import budget, client, one_example, send, url

pytestmark = pytest.mark.django_db

STRIPE_TYPES = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "customer.created",
]
# The fields our handling of Stripe's objects reads.
STRIPE_FIELDS = [
    "id", "object", "mode", "payment_status", "amount_total", "amount_paid", "amount_due",
    "amount", "amount_refunded", "currency", "customer", "customer_email", "customer_details",
    "subscription", "payment_intent", "invoice", "payment_link", "metadata", "status",
    "billing_reason", "created", "canceled_at", "ended_at", "current_period_end", "items",
    "lines", "parent", "subscription_details", "paid", "total", "attempt_count",
    "next_payment_attempt", "refunded", "payment", "plan", "recurring", "interval",
]  # fmt: skip
OUR_METADATA = {"reference": "SZ-ABCDEFGH", "frequency": "once", "language": "ru",
                "name": "Olga"}  # fmt: skip
SESSION = {
    "id": "cs_test_1", "object": "checkout.session", "mode": "payment",
    "payment_status": "paid", "amount_total": 1000, "currency": "eur",
    "customer_details": {"email": "donor@example.org", "name": "Olga"},
    "payment_intent": "pi_test_1", "metadata": OUR_METADATA,
}  # fmt: skip


def _stripe_object() -> st.SearchStrategy[Any]:
    fields = st.dictionaries(
        st.sampled_from(STRIPE_FIELDS), s.json_values(max_leaves=8), max_size=8
    )
    ours = st.fixed_dictionaries({"metadata": s.mutated(OUR_METADATA)})
    return st.one_of(
        s.mutated(SESSION),
        st.tuples(fields, ours).map(lambda pair: {**pair[0], **pair[1]}),
        fields,
        s.json_values(),
    )


@st.composite
def stripe_events(draw: st.DrawFn) -> bytes:
    """A body Stripe could have signed: an event of a type we handle around any object, an
    event with a field changed, or any JSON at all."""
    kind = draw(st.sampled_from(["event", "event", "mutated", "json", "odd"]))
    if kind == "odd":
        return draw(s.odd_bodies)
    if kind == "json":
        return s.json_text(draw(s.json_values()))
    payload = event(
        draw(st.sampled_from(STRIPE_TYPES)), draw(_stripe_object()), event_id="evt_property"
    )
    if kind == "mutated":
        payload = draw(s.mutated(payload))
        for name in draw(st.lists(st.sampled_from(["created", "id", "type", "data", "object"]),
                                  max_size=2)):  # fmt: skip
            payload[name] = draw(s.json_values(max_leaves=5))
    return s.json_text(payload)


@given(body=stripe_events())
@example(body=s.json_text(event("checkout.session.completed", SESSION, created=10**20)))
@example(body=s.json_text(event("checkout.session.completed", {**SESSION, "amount_total": 10**30})))
@example(body=s.json_text(event("checkout.session.completed", {**SESSION, "amount_total": -5})))
@example(body=s.json_text(event("checkout.session.completed", {**SESSION, "currency": "xxx"})))
@example(body=s.json_text(event("checkout.session.completed", {**SESSION, "currency": 5})))
@example(body=s.json_text(event("charge.refunded", {"id": "ch_1", "amount_refunded": 10**30})))
@example(  # was a 500 on PostgreSQL, which keeps no NUL in text or JSON
    body=s.json_text(
        event("checkout.session.completed",
              {**SESSION, "metadata": {**OUR_METADATA, "name": "Ol\x00ga"}, "\x00": "\x00"},
              event_id="evt_\x00")
    )
)  # fmt: skip
@budget(2)
def test_any_validly_signed_stripe_delivery_is_recorded_or_refused_with_a_reason(
    providers: Any, body: bytes
) -> None:
    with one_example():
        response = send(
            "webhook stripe (signed)",
            lambda: client().post(
                url("payment_webhook", "stripe"), body, content_type="application/json",
                headers={"Stripe-Signature": sign(body)},
            ),
            retry_later=True,
        )  # fmt: skip
        if response.status_code == 200:  # at most this one event, once
            assert ProviderEvent.objects.count() <= 1


@given(body=st.one_of(stripe_events(), s.odd_bodies), signature=st.one_of(
    s.header_text, st.builds(lambda t: f"t={t},v1=" + "0" * 64, st.integers()),
    st.builds(lambda t, v: f"t={t},v1={v}", s.header_text, s.header_text),
), content_type=s.content_type)  # fmt: skip
@example(
    body=b"{}", signature="t=99999999999999999999999999,v1=00", content_type="application/json"
)
@example(body=b"{}", signature="t=,v1=", content_type="application/json")
@budget(1)
def test_a_stripe_delivery_without_a_genuine_signature_is_refused(
    providers: Any, body: bytes, signature: str, content_type: str
) -> None:
    with one_example():
        response = send(
            "webhook stripe (unsigned)",
            lambda: client().generic(
                "POST", url("payment_webhook", "stripe"), body, content_type=content_type,
                headers={"Stripe-Signature": signature},
            ),
        )  # fmt: skip
        assert response.status_code == 400


BTCPAY_TYPES = ["InvoiceSettled", "InvoiceProcessing", "InvoiceExpired", "InvoiceInvalid",
                "InvoiceReceivedPayment", "InvoiceCreated", "InvoicePaymentSettled"]  # fmt: skip


@st.composite
def btcpay_deliveries(draw: st.DrawFn, server: BTCPayServer) -> bytes:
    kind = draw(st.sampled_from(["delivery", "delivery", "json", "odd"]))
    if kind == "odd":
        return draw(s.odd_bodies)
    if kind == "json":
        return s.json_text(draw(s.json_values()))
    invoice = draw(st.sampled_from(["known", "unknown"]))
    invoice_id = next(iter(server.invoices), "unknown") if invoice == "known" else "unknown"
    delivery = server.webhook(invoice_id, type=draw(st.sampled_from(BTCPAY_TYPES)))
    payload = draw(s.mutated(delivery.payload))
    return s.json_text(payload)


@given(data=st.data())
@budget(1.5)
def test_any_validly_signed_btcpay_delivery_is_recorded_or_refused_with_a_reason(
    providers: Any, data: st.DataObject
) -> None:
    server: BTCPayServer = providers["btcpay"]
    with one_example():
        body = data.draw(btcpay_deliveries(server))
        response = send(
            "webhook btcpay (signed)",
            lambda: client().post(
                url("payment_webhook", "btcpay"), body, content_type="application/json",
                headers={"BTCPay-Sig": server.sign(body)},
            ),
            retry_later=True,
        )  # fmt: skip
        if response.status_code == 200:
            assert Donation.objects.count() <= 1


def test_a_signed_btcpay_delivery_with_nul_characters_is_answered(providers: Any) -> None:
    """Was a 500 on PostgreSQL, which keeps no NUL in text or JSON."""
    server: BTCPayServer = providers["btcpay"]
    delivery = server.webhook("unknown", deliveryId="\x00", originalDeliveryId="a\x00b")
    with one_example():
        send(
            "webhook btcpay (signed)",
            lambda: client().post(
                url("payment_webhook", "btcpay"), delivery.body, content_type="application/json",
                headers=delivery.headers,
            ),
            retry_later=True,
        )  # fmt: skip


@given(body=s.odd_bodies, signature=st.one_of(
    s.header_text, st.builds(lambda v: "sha256=" + v, s.header_text)))  # fmt: skip
@example(body=b"{}", signature="sha256=" + "é" * 64)
@budget(0.5)
def test_a_btcpay_delivery_without_a_genuine_signature_is_refused(
    providers: Any, body: bytes, signature: str
) -> None:
    with one_example():
        response = send(
            "webhook btcpay (unsigned)",
            lambda: client().post(
                url("payment_webhook", "btcpay"), body, content_type="application/json",
                headers={"BTCPay-Sig": signature},
            ),
        )  # fmt: skip
        assert response.status_code == 400


@given(
    provider=st.one_of(
        st.sampled_from(["stripe", "btcpay", "bank", "demo", "pigeon", "mail", "STRIPE"]),
        st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True),
    ),
    method=st.sampled_from(["POST", "POST", "GET", "PUT", "HEAD"]),
    body=st.one_of(s.odd_bodies, s.json_values().map(s.json_text)),
    headers=st.dictionaries(
        st.sampled_from(["Stripe-Signature", "BTCPay-Sig", "Samizdat-Demo-Signature",
                         "Content-Type", "Authorization"]),
        s.header_text, max_size=3,
    ),
)  # fmt: skip
@budget(1)
def test_a_webhook_for_any_provider_name_is_answered(
    providers: Any, provider: str, method: str, body: bytes, headers: dict[str, str]
) -> None:
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        path = url("payment_webhook", provider)
        if method in ("GET", "HEAD"):
            send(f"webhook <provider> {method}", lambda: call(path, headers=headers))
        else:
            send(
                f"webhook <provider> {method}",
                lambda: call(path, body, content_type="application/json", headers=headers),
            )


def _mail_services() -> list[str]:
    import pkgutil

    return sorted(
        info.name for info in pkgutil.iter_modules(anymail.webhooks.__path__) if info.name != "base"
    )


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _mailgun(event_data: Any) -> bytes:
    timestamp = str(int(time.time()))
    token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    digest = hmac.new(
        MAILGUN_SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return json.dumps(
        {"signature": {"timestamp": timestamp, "token": token, "signature": digest},
         "event-data": event_data}
    ).encode()  # fmt: skip


MAILGUN_EVENT = {
    "event": "failed", "severity": "permanent", "reason": "bounce", "recipient": "gone@example.org",
    "timestamp": 1_700_000_000.0, "id": "G9Bn5sl1TC6nu79C8C0bwg",
    "message": {"headers": {"message-id": "newsletter.1.1@lantern.example"}},
    "delivery-status": {"code": 550, "message": "No such user"},
}  # fmt: skip


@given(
    authorised=st.booleans(),
    body=st.one_of(
        s.mutated(MAILGUN_EVENT).map(_mailgun),
        s.json_values(max_leaves=10).map(_mailgun),
        s.odd_bodies,
    ),
)
@example(authorised=True, body=_mailgun(MAILGUN_EVENT))
@example(authorised=True, body=_mailgun(None))  # was a 500
@example(authorised=True, body=b'{"a":' * 30_000 + b"1" + b"}" * 30_000)  # was a 500
@example(authorised=True, body=_mailgun({**MAILGUN_EVENT, "recipient": "\x00@example.org"}))
@budget(1.5)
def test_any_signed_mailgun_report_is_answered_and_a_refused_one_changes_nothing(
    public_site: Any, mail_webhooks: None, authorised: bool, body: bytes
) -> None:
    """Mailgun is the service the tests configure (its signing key is set)."""
    headers = {"Authorization": _basic(MAIL_WEBHOOK_AUTH if authorised else "anymail:wrong")}
    with one_example():
        send(
            "webhook mail/mailgun (signed)",
            lambda: client().post(
                url("mail_webhook", "mailgun"), body, content_type="application/json",
                headers=headers,
            ),
        )  # fmt: skip


@given(
    esp=st.one_of(st.sampled_from(_mail_services()),
                  st.from_regex(r"[-a-z0-9_]{1,30}", fullmatch=True)),
    authorised=st.booleans(),
    body=st.one_of(s.odd_bodies, s.json_values().map(s.json_text)),
    content_type=st.one_of(st.just("application/json"), s.content_type),
)  # fmt: skip
@example(esp="amazon_ses", authorised=False, body=b"", content_type="application/json")  # was a 500
@example(esp="postmark", authorised=True, body=b"[]", content_type="application/json")
@budget(1.5)
def test_any_mail_service_report_is_answered_and_a_refused_one_changes_nothing(
    public_site: Any,
    mail_webhooks: None,
    esp: str,
    authorised: bool,
    body: bytes,
    content_type: str,
) -> None:
    headers = {"Authorization": _basic(MAIL_WEBHOOK_AUTH if authorised else "anymail:wrong")}
    with one_example():
        send(
            "webhook mail/<any service>",
            lambda: client().generic(
                "POST",
                url("mail_webhook", esp),
                body,
                content_type=content_type,
                headers=headers,
            ),
        )
