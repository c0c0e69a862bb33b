"""Webhooks delivered at the same moment by several of the provider's workers: each gift is
still recorded once, with one receipt (on PostgreSQL the rows are locked; on SQLite the
writes take turns)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from samizdat.donations import gateway
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from tests.donations.stripe_server import FakeStripe, event, signed
from tests.donations.test_stripe import checkout

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def at_once(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls in threads released together; the errors they raised, if any."""
    barrier = threading.Barrier(len(calls))
    errors: list[str] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            call()
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def webhook(payload: dict[str, Any]) -> Callable[[], Any]:
    body, header = signed(payload)
    return lambda: gateway.handle_webhook("stripe", body, {"Stripe-Signature": header})


def test_the_same_event_four_times_at_once_records_one_gift_and_one_receipt(
    client: Any,
    stripe_api: FakeStripe,
    mailoutbox: Any,
) -> None:
    for _round in range(3):
        session_id, _call = checkout(client, stripe_api, email="vera@example.org")
        completed = event("checkout.session.completed", stripe_api.complete(session_id))
        assert at_once([webhook(completed)] * 4) == []
    assert Donation.objects.filter(status="paid").count() == 3
    assert ProviderEvent.objects.count() == 3
    assert len(mailoutbox) == 3


def test_checkout_and_invoice_racing_make_one_gift_and_one_payment(
    client: Any,
    stripe_api: FakeStripe,
) -> None:
    for _round in range(3):
        session_id, _call = checkout(client, stripe_api, frequency="monthly", custom_amount="5")
        session = stripe_api.complete(session_id)
        invoice = stripe_api.invoice(session_id)
        errors = at_once(
            [
                webhook(event("checkout.session.completed", session)),
                webhook(event("invoice.paid", invoice)),
                webhook(event("invoice.paid", invoice)),
            ]
        )
        assert errors == []
    assert RecurringGift.objects.filter(status="active").count() == 3
    assert Donation.objects.filter(status="paid").count() == 3
