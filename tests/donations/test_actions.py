"""Recording provider events: once, in any order; receipts once; payloads forgotten."""

from __future__ import annotations

import datetime
import smtplib
from dataclasses import replace
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from samizdat.donations import actions
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from samizdat.donations.providers.base import Donor, Event, EventKind, Gift, Payment

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0)


def event(event_id: str, kind: EventKind, *, at: datetime.datetime = T0, **parts: Any) -> Event:
    return Event(provider="test", event_id=event_id, type=str(kind), occurred_at=at, kind=kind,
                 donor=parts.pop("donor", Donor(email="d@example.org", language="ru")),
                 payload={"id": event_id}, **parts)  # fmt: skip


def payment(payment_id: str = "pay_1", **fields: Any) -> Payment:
    values: dict[str, Any] = {"amount": 500, "currency": "eur", "frequency": "once"}
    values.update(fields)
    return Payment(payment_id=payment_id, **values)


def gift(status: str = "active", **fields: Any) -> Gift:
    values: dict[str, Any] = {"frequency": "monthly", "amount": 500, "currency": "EUR"}
    values.update(fields)
    return Gift(gift_id="sub_1", status=status, **values)


def test_a_payment_recorded_three_times_counts_once(
    django_capture_on_commit_callbacks: Any,
) -> None:
    paid = event("evt_1", EventKind.PAYMENT_SUCCEEDED, payment=payment())
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [actions.record_provider_event(event=paid) for _ in range(3)]
    assert outcomes[1:] == ["duplicate", "duplicate"]
    donation = Donation.objects.get()
    assert (donation.amount, donation.currency, donation.status) == (500, "EUR", "paid")
    assert ProviderEvent.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_late_failure_never_undoes_a_payment() -> None:
    actions.record_provider_event(event=event("e1", EventKind.PAYMENT_SUCCEEDED, payment=payment()))
    actions.record_provider_event(
        event=event("e2", EventKind.PAYMENT_FAILED, payment=payment(failure_reason="declined"))
    )
    assert Donation.objects.get().status == "paid"


def test_a_retry_that_succeeds_turns_a_failure_into_a_payment() -> None:
    actions.record_provider_event(event=event("e1", EventKind.PAYMENT_FAILED, payment=payment()))
    assert Donation.objects.get().status == "failed"
    actions.record_provider_event(event=event("e2", EventKind.PAYMENT_SUCCEEDED, payment=payment()))
    assert Donation.objects.get().status == "paid"


def test_payment_before_gift_and_gift_before_payment_end_the_same() -> None:
    instalment = payment(frequency="monthly", gift_id="sub_1")
    actions.record_provider_event(
        event=event("e1", EventKind.PAYMENT_SUCCEEDED, payment=instalment, gift=gift())
    )
    actions.record_provider_event(
        event=event("e2", EventKind.GIFT_STARTED, at=T0 - datetime.timedelta(seconds=5),
                    gift=gift(reference="SZ-ABCDEFGH", customer_id="cus_1"))
    )  # fmt: skip
    found = RecurringGift.objects.get()
    assert (found.status, found.reference, found.provider_customer_id) == (
        "active", "SZ-ABCDEFGH", "cus_1",
    )  # fmt: skip
    assert found.payments.get().status == "paid"


def test_a_cancelled_gift_stays_cancelled_whatever_comes_late() -> None:
    actions.record_provider_event(event=event("e1", EventKind.GIFT_STARTED, gift=gift()))
    later = T0 + datetime.timedelta(minutes=5)
    actions.record_provider_event(
        event=event("e2", EventKind.GIFT_CANCELLED, at=later, gift=gift("cancelled"))
    )
    actions.record_provider_event(
        event=event("e3", EventKind.GIFT_UPDATED, at=T0 + datetime.timedelta(minutes=1),
                    gift=gift("active", amount=1000))
    )  # fmt: skip
    found = RecurringGift.objects.get()
    assert found.status == "cancelled" and found.amount == 500 and found.cancelled_at == later


def test_an_older_update_is_not_applied_over_a_newer_one() -> None:
    actions.record_provider_event(
        event=event("e1", EventKind.GIFT_UPDATED, at=T0, gift=gift(amount=1000))
    )
    actions.record_provider_event(
        event=event("e2", EventKind.GIFT_UPDATED, at=T0 - datetime.timedelta(hours=1),
                    gift=gift("past_due", amount=500))
    )  # fmt: skip
    found = RecurringGift.objects.get()
    assert (found.amount, found.status) == (1000, "active")


def test_refunds_find_the_payment_by_its_intent() -> None:
    actions.record_provider_event(
        event=event("e1", EventKind.PAYMENT_SUCCEEDED, payment=payment("in_1", intent_id="pi_1"))
    )
    actions.record_provider_event(
        event=event("e2", EventKind.PAYMENT_REFUNDED,
                    payment=payment("pi_1", intent_id="pi_1", amount_refunded=200))
    )  # fmt: skip
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded) == ("paid", 200)  # partly refunded
    actions.record_provider_event(
        event=event("e3", EventKind.PAYMENT_REFUNDED,
                    payment=payment("pi_1", intent_id="pi_1", amount_refunded=500))
    )  # fmt: skip
    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("refunded", 500)


def test_a_refund_before_its_payment_is_resent_and_then_ends_refunded() -> None:
    """The payment's event may be on its way (providers resend after errors): a fresh refund
    of a payment we have not recorded asks to be resent, and stores nothing meanwhile."""
    refund = event("e2", EventKind.PAYMENT_REFUNDED,
                   payment=payment("pi_1", intent_id="pi_1", amount_refunded=500))  # fmt: skip
    with pytest.raises(actions.RetryLater):
        actions.record_provider_event(event=refund)
    assert ProviderEvent.objects.count() == 0
    actions.record_provider_event(
        event=event("e1", EventKind.PAYMENT_SUCCEEDED, payment=payment("pi_1", intent_id="pi_1"))
    )
    actions.record_provider_event(event=refund)
    assert Donation.objects.get().status == "refunded"


def test_an_old_refund_of_an_unknown_payment_is_logged_not_invented(caplog: Any) -> None:
    actions.record_provider_event(
        event=event("e1", EventKind.PAYMENT_REFUNDED, at=T0 - datetime.timedelta(hours=2),
                    payment=payment("pi_x", amount_refunded=5))
    )  # fmt: skip
    assert Donation.objects.count() == 0
    assert "never recorded" in caplog.text


def test_a_late_update_of_the_amount_is_applied_after_a_newer_payment() -> None:
    """The donor doubled the gift; the first payment at the new amount arrived before the
    subscription's own update."""
    actions.record_provider_event(event=event("e1", EventKind.GIFT_STARTED, gift=gift()))
    actions.record_provider_event(
        event=event("e3", EventKind.PAYMENT_SUCCEEDED, at=T0 + datetime.timedelta(minutes=2),
                    payment=payment("in_2", amount=1000, frequency="monthly", gift_id="sub_1"),
                    gift=gift(amount=1000))
    )  # fmt: skip
    actions.record_provider_event(
        event=event("e2", EventKind.GIFT_UPDATED, at=T0 + datetime.timedelta(minutes=1),
                    gift=gift(amount=1000))
    )  # fmt: skip
    assert RecurringGift.objects.get().amount == 1000


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        ({"payment": payment(amount=-5)}, "amount -5 out of range"),
        ({"payment": payment(currency="euro")}, "not an ISO 4217 code"),
        ({"payment": payment(frequency="weekly")}, "frequency 'weekly' unknown"),
        ({"gift": gift(amount=10**16)}, "out of range"),
    ],
)
def test_a_genuine_event_that_cannot_be_recorded_is_kept_with_its_reason(
    part: dict[str, Any], reason: str, caplog: Any
) -> None:
    outcome = actions.record_provider_event(event=event("e1", EventKind.PAYMENT_SUCCEEDED, **part))
    assert reason in outcome and reason in caplog.text
    assert Donation.objects.count() == RecurringGift.objects.count() == 0
    assert reason in ProviderEvent.objects.get().outcome


def test_over_long_text_from_a_provider_is_cut_to_fit() -> None:
    long = event(
        "e1", EventKind.PAYMENT_SUCCEEDED, payment=payment(reference="SZ-" + "X" * 40),
        donor=Donor(email="x" * 300 + "@example.org", name="N" * 500, language="xx"),
    )  # fmt: skip
    actions.record_provider_event(event=long)
    donation = Donation.objects.get()
    assert len(donation.reference) == 20 and len(donation.name) == 200
    assert donation.email == "" and donation.language == "en"


def test_the_event_log_keeps_no_personal_details() -> None:
    raw = {"id": "evt_1", "data": {"object": {
        "metadata": {"reference": "SZ-ABCDEFGH", "name": "Vera"},
        "customer_details": {"email": "vera@example.org", "name": "Vera Card"},
        "charges": [{"billing_details": {"name": "Vera Card"}, "amount": 500}],
    }}}  # fmt: skip
    actions.record_provider_event(event=replace(event("e1", EventKind.IGNORED), payload=raw))
    stored = str(ProviderEvent.objects.get().payload)
    assert "Vera" not in stored and "vera@" not in stored
    assert "SZ-ABCDEFGH" in stored and "500" in stored


def test_unknown_events_are_logged_and_kept_once(caplog: Any) -> None:
    caplog.set_level("INFO")
    assert actions.record_provider_event(event=event("e1", EventKind.IGNORED)) == "ignored"
    assert ProviderEvent.objects.get().outcome == "ignored"
    assert "needs nothing" in caplog.text


def test_a_receipt_that_could_not_be_sent_is_sent_later(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    with pytest.raises((OSError, smtplib.SMTPException)):
        actions.record_provider_event(
            event=event("e1", EventKind.PAYMENT_SUCCEEDED, payment=payment())
        )
        donation = Donation.objects.get()
        actions.send_receipt(donation_id=donation.pk)
    donation = Donation.objects.get()
    assert donation.status == "paid" and donation.receipt_sent_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert actions.send_missed_receipts(now=timezone.now() + datetime.timedelta(minutes=11)) == 1
    assert actions.send_missed_receipts(now=timezone.now() + datetime.timedelta(minutes=12)) == 0
    assert len(mail.outbox) == 1 and "Квитанция" in mail.outbox[0].subject


def test_raw_payloads_are_forgotten_after_the_retention_period(settings: Any) -> None:
    settings.DONATIONS_EVENT_PAYLOAD_DAYS = 30
    actions.record_provider_event(event=event("e1", EventKind.IGNORED))
    assert actions.forget_old_payloads(now=timezone.now() + datetime.timedelta(days=29)) == 0
    assert actions.forget_old_payloads(now=timezone.now() + datetime.timedelta(days=31)) == 1
    kept = ProviderEvent.objects.get()
    assert kept.payload is None and kept.event_id == "e1"


def test_a_refused_receipt_holds_up_no_other_and_is_given_up_with_its_reason(
    settings: Any, admin_client: Any, caplog: Any
) -> None:
    from tests.newsletter.smtp import SmtpServer

    for number in (1, 2, 3):  # paid one after the other; the newest is refused
        donor = Donor(email=f"donor{number}@example.org", language="en")
        event_at = T0 + datetime.timedelta(minutes=number)
        actions.record_provider_event(
            event=event(f"e{number}", EventKind.PAYMENT_SUCCEEDED, at=event_at,
                        donor=donor, payment=payment(f"pay_{number}"))
        )  # fmt: skip
    Donation.objects.update(paid_at=timezone.now() - datetime.timedelta(hours=1))
    refused = Donation.objects.get(email="donor3@example.org")
    later = timezone.now()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with SmtpServer() as server:
        settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
        server.handler.refuse(["donor3@example.org"])
        assert actions.send_missed_receipts(now=later) == 2
        assert {rcpt for message in server.received() for rcpt in message.rcpt_tos} == {
            "donor1@example.org",
            "donor2@example.org",
        }
        for _round in range(actions.RECEIPT_ATTEMPTS + 2):
            actions.send_missed_receipts(now=later)
        refused.refresh_from_db()
        assert refused.receipt_sent_at is None
        assert refused.receipt_attempts == actions.RECEIPT_ATTEMPTS  # then no more tries
        assert refused.receipt_error == "the mail server refused the address (550)"
        page = admin_client.get(f"/admin/donations/gifts/inspect/{refused.pk}/")
        assert "the mail server refused the address (550)" in page.content.decode()

        # Once the address is fixed and the receipt goes out, no reason is left standing.
        server.handler.permanent.pop("donor3@example.org")
        Donation.objects.filter(pk=refused.pk).update(receipt_attempts=0)
        assert actions.send_missed_receipts(now=later) == 1
        refused.refresh_from_db()
        assert refused.receipt_sent_at is not None and refused.receipt_error == ""
    assert "donor3@" not in caplog.text  # the log says which donation, never whose

    # A server that cannot be reached is not the letter's fault: nothing is counted.
    Donation.objects.filter(pk=refused.pk).update(receipt_sent_at=None)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    assert actions.send_missed_receipts(now=later) == 0
    refused.refresh_from_db()
    assert refused.receipt_attempts == 0
