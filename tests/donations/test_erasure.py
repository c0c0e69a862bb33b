"""Unpaid pledges are deleted after a while; staff erase a donor (names and addresses go,
the money's records stay); marking a transfer received, exports and erasures are in the
audit log, which never says whom."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core import serializers
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from samizdat.core.hooks import PERIODIC_JOBS, ErasureRefused, registered
from samizdat.donations import actions
from samizdat.donations import wagtail_hooks as donation_hooks
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from samizdat.donations.providers.base import Donor, Event, EventKind, Gift
from tests.donations.test_concurrency import at_once
from tests.logins import log_in

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

GIFTS = "/admin/donations/gifts/"
RECURRING = "/admin/donations/recurring/"
SITE_HISTORY = "/admin/reports/site-history/"
NOW = timezone.now().replace(microsecond=0)
_counter = iter(range(1, 10**6))


def ago(**delta: float) -> datetime.datetime:
    return NOW - datetime.timedelta(**delta)


def donation(provider: str = "stripe", **fields: Any) -> Donation:
    n = next(_counter)
    values: dict[str, Any] = {
        "provider": provider, "provider_payment_id": f"pi_test{n:06d}",
        "reference": f"SZ-TEST{n:04d}", "frequency": "once", "amount": 2500,
        "currency": "EUR", "status": "paid", "created_at": ago(days=3), "paid_at": ago(days=3),
    }  # fmt: skip
    values.update(fields)
    return Donation.objects.create(**values)


def pledge(days_ago: float, **fields: Any) -> Donation:
    """A bank transfer announced ``days_ago`` days ago, not yet arrived."""
    n = next(_counter)
    values: dict[str, Any] = {
        "provider_payment_id": f"SZ-BANK{n:04d}", "reference": f"SZ-BANK{n:04d}",
        "status": "pending", "paid_at": None, "created_at": ago(days=days_ago),
        "email": f"pledger{n}@example.org", "name": "Pledger",
    }  # fmt: skip
    values.update(fields)
    return donation("bank", **values)


def monthly(status: str, **fields: Any) -> RecurringGift:
    n = next(_counter)
    values: dict[str, Any] = {
        "provider": "stripe", "provider_gift_id": f"sub_test{n:06d}",
        "provider_customer_id": f"cus_test{n:06d}", "reference": f"SZ-GIFT{n:04d}",
        "frequency": "monthly", "amount": 500, "currency": "EUR", "status": status,
        "started_at": ago(days=90),
    }  # fmt: skip
    if status == "cancelled":
        values["cancelled_at"] = ago(days=2)
    values.update(fields)
    return RecurringGift.objects.create(**values)


def flash(response: ClientResponse) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def staff_client(name: str, *, group: str = "", permissions: tuple[str, ...] = ()) -> Client:
    user = User.objects.create_user(name, f"{name}@newsroom.test", "pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="donations", codename=codename)
        )
    client = Client()
    log_in(client, user)
    return client


def database_text() -> str:
    """Every row of every table, as text: what a search of the database would find."""
    from django.apps import apps

    rows = []
    for model in apps.get_models():
        rows.append(serializers.serialize("json", model._default_manager.all()))
    return "\n".join(rows).lower()


# Retention of pledges -------------------------------------------------------------------


def test_pledges_never_paid_are_deleted_after_the_set_days(settings: Any) -> None:
    settings.DONATIONS_PLEDGE_DAYS = 60
    stale = pledge(61)
    waiting = pledge(59)
    arrived = pledge(90, status="paid", paid_at=ago(days=80))
    card = donation("stripe", status="pending", paid_at=None, created_at=ago(days=120))

    assert actions.forget_unpaid_pledges(now=NOW) == 1
    assert actions.forget_unpaid_pledges(now=NOW) == 0  # nothing more is due

    left = set(Donation.objects.values_list("pk", flat=True))
    assert left == {waiting.pk, arrived.pk, card.pk}
    assert stale.pk not in left


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_several_workers_at_once_delete_each_due_pledge_once(settings: Any) -> None:
    settings.DONATIONS_PLEDGE_DAYS = 60
    for _ in range(10):
        pledge(70)
    waiting = pledge(10)
    deleted: list[int] = []

    def worker() -> None:
        deleted.append(actions.forget_unpaid_pledges(now=NOW))

    assert at_once([worker] * 4) == []
    assert sum(deleted) == 10
    assert list(Donation.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_the_worker_deletes_due_pledges_every_minute(settings: Any) -> None:
    settings.DONATIONS_PLEDGE_DAYS = 30
    pledge(31)
    assert donation_hooks.forget_unpaid_pledges in registered(PERIODIC_JOBS)
    donation_hooks.forget_unpaid_pledges(NOW)
    assert not Donation.objects.exists()


# Erasing a donor ------------------------------------------------------------------------


@pytest.fixture
def vera() -> dict[str, Any]:
    """A donor with a paid transfer, a cancelled monthly gift and its two payments, and the
    providers' recent messages about her; and another donor who must not be touched."""
    transfer = pledge(5, status="paid", paid_at=ago(days=4), email="vera@example.org",
                      name="Vera Zorina")  # fmt: skip
    gift = monthly("cancelled", email="vera@example.org", name="Vera Zorina")
    # The provider told us her address with one payment only: the gift ties both to her.
    payments = [
        donation(gift=gift, frequency="monthly", amount=500, email=email, name="Vera Zorina",
                 created_at=ago(days=days), paid_at=ago(days=days))
        for days, email in ((60, "vera@example.org"), (30, ""))
    ]  # fmt: skip
    other = donation(email="oleg@example.org", name="Oleg Petrov")
    events = [
        ProviderEvent.objects.create(
            provider="stripe",
            event_id=f"evt_{n}",
            type="invoice.paid",
            payload={
                "data": {
                    "object": {
                        "id": payment.provider_payment_id,
                        "customer": gift.provider_customer_id,
                    }
                }
            },
        )
        for n, payment in enumerate(payments)
    ]
    events.append(
        ProviderEvent.objects.create(
            provider="stripe",
            event_id="evt_other",
            type="payment_intent.succeeded",
            payload={"data": {"object": {"id": other.provider_payment_id}}},
        )
    )
    return {"transfer": transfer, "gift": gift, "payments": payments, "other": other,
            "events": events}  # fmt: skip


def test_staff_erase_a_donor_after_seeing_what_will_change(
    admin_client: Client, vera: dict[str, Any]
) -> None:
    transfer, gift, other = vera["transfer"], vera["gift"], vera["other"]
    before = {
        row.pk: (row.amount, row.currency, row.status, row.created_at, row.paid_at, row.reference)
        for row in Donation.objects.all()
    }
    inspect = admin_client.get(f"{GIFTS}inspect/{transfer.pk}/").content.decode()
    assert f"{GIFTS}erase/{transfer.pk}/" in inspect

    ask = admin_client.get(f"{GIFTS}erase/{transfer.pk}/").content.decode()
    assert "Yes, erase permanently" in ask and "csrfmiddlewaretoken" in ask
    assert 'data-count="donations">3<' in ask  # the transfer and both monthly payments
    assert 'data-count="recurring_gifts">1<' in ask
    assert 'data-count="events">2<' in ask
    assert (
        Donation.objects.get(pk=transfer.pk).email == "vera@example.org"
    )  # asking changes nothing

    response = admin_client.post(f"{GIFTS}erase/{transfer.pk}/")
    assert (response.status_code, response["Location"]) == (302, f"{GIFTS}inspect/{transfer.pk}/")
    assert "The donor was erased (gifts: 3, recurring gifts: 1); the amounts stay." in flash(
        response
    )

    # The money's records are as they were; nobody is named any more.
    after = {
        row.pk: (row.amount, row.currency, row.status, row.created_at, row.paid_at, row.reference)
        for row in Donation.objects.all()
    }
    assert after == before
    everything = database_text()
    for trace in ("vera@example.org", "vera zorina", gift.provider_customer_id):
        assert trace not in everything, trace
    gift.refresh_from_db()
    assert (gift.amount, gift.currency, gift.status, gift.provider_gift_id) == (
        500, "EUR", "cancelled", gift.provider_gift_id,
    )  # fmt: skip
    # The other donor keeps everything, and the provider's message about her stays.
    other.refresh_from_db()
    assert (other.email, other.name) == ("oleg@example.org", "Oleg Petrov")
    assert ProviderEvent.objects.get(event_id="evt_other").payload is not None
    assert ProviderEvent.objects.filter(payload__isnull=True).count() == 2
    assert ProviderEvent.objects.count() == 3  # the idempotency log keeps its lines

    entry = ModelLogEntry.objects.get(action="donations.erase_donor")
    assert entry.user is not None and entry.user.username == "admin"
    assert entry.data == {"donations": 3, "recurring_gifts": 1, "events": 2}
    history = admin_client.get(SITE_HISTORY).content.decode()
    assert "A donor was erased (gifts: 3, recurring gifts: 1)" in history
    assert "vera" not in history.lower()


def test_erasing_from_the_recurring_gift_erases_the_same_donor(
    admin_client: Client, vera: dict[str, Any]
) -> None:
    gift = vera["gift"]
    assert (
        f"{RECURRING}erase/{gift.pk}/"
        in admin_client.get(f"{RECURRING}inspect/{gift.pk}/").content.decode()
    )
    assert admin_client.post(f"{RECURRING}erase/{gift.pk}/").status_code == 302
    assert "Vera Zorina" not in Donation.objects.values_list("name", flat=True)  # encrypted
    assert not RecurringGift.objects.exclude(email="").exists()


def test_a_donor_whose_monthly_gift_still_runs_is_not_erased_until_it_is_cancelled(
    admin_client: Client,
) -> None:
    running = monthly("active", email="ivan@example.org", name="Ivan")
    paid = donation(gift=running, frequency="monthly", email="ivan@example.org", name="Ivan")

    ask = admin_client.get(f"{GIFTS}erase/{paid.pk}/").content.decode()
    assert "still running" in ask and "Cancel it at the provider first" in ask
    assert "Yes, erase permanently" not in ask
    response = admin_client.post(f"{GIFTS}erase/{paid.pk}/")
    assert response.status_code == 409
    assert "Cancel it at the provider first" in response.content.decode()
    paid.refresh_from_db()
    running.refresh_from_db()
    assert (paid.email, running.email, running.name) == ("ivan@example.org",) * 2 + ("Ivan",)
    assert not ModelLogEntry.objects.filter(action="donations.erase_donor").exists()

    # Past due still charges: refused too. Once the provider reports the cancellation, it works.
    RecurringGift.objects.filter(pk=running.pk).update(status="past_due")
    with pytest.raises(ErasureRefused):
        actions.erase_donor(donation_id=paid.pk)
    RecurringGift.objects.filter(pk=running.pk).update(status="cancelled")
    assert actions.erase_donor(donation_id=paid.pk)["recurring_gifts"] == 1
    running.refresh_from_db()
    assert (running.email, running.name, running.provider_customer_id) == ("", "", "")


def test_late_news_of_a_cancelled_gift_does_not_bring_the_donor_back(
    vera: dict[str, Any],
) -> None:
    gift = vera["gift"]
    actions.erase_donor(gift_id=gift.pk)
    late = Event(
        provider="stripe", event_id="evt_late", type="customer.subscription.updated",
        occurred_at=NOW, kind=EventKind.GIFT_UPDATED,
        donor=Donor(email="vera@example.org", name="Vera Zorina"),
        gift=Gift(gift_id=gift.provider_gift_id, frequency="monthly", amount=500,
                  currency="EUR", status="cancelled", customer_id="cus_again"),
    )  # fmt: skip
    actions.record_provider_event(event=late)
    gift.refresh_from_db()
    assert (gift.email, gift.name, gift.provider_customer_id) == ("", "", "")


def test_a_record_that_names_no_one_has_nothing_to_erase(admin_client: Client) -> None:
    anonymous = donation()
    inspect = admin_client.get(f"{GIFTS}inspect/{anonymous.pk}/").content.decode()
    assert f"{GIFTS}erase/{anonymous.pk}/" not in inspect
    page = admin_client.get(f"{GIFTS}erase/{anonymous.pk}/").content.decode()
    assert "nothing to erase" in page and "Yes, erase permanently" not in page
    response = admin_client.post(f"{GIFTS}erase/{anonymous.pk}/")
    assert response.status_code == 302
    assert not ModelLogEntry.objects.filter(action="donations.erase_donor").exists()


@pytest.mark.parametrize("who", ["Editors", "viewer", "clerk"])
def test_only_staff_with_the_delete_permission_erase_donors(who: str) -> None:
    row = donation(email="nadia@example.org", name="Nadia")
    client = {
        "Editors": lambda: staff_client("ed", group="Editors"),
        "viewer": lambda: staff_client("viewer", permissions=("view_donation",)),
        "clerk": lambda: staff_client("clerk", permissions=("view_donation", "change_donation")),
    }[who]()
    if who != "Editors":
        page = client.get(f"{GIFTS}inspect/{row.pk}/").content.decode()
        assert "nadia@example.org" in page and f"{GIFTS}erase/{row.pk}/" not in page
    for response in (client.get(f"{GIFTS}erase/{row.pk}/"), client.post(f"{GIFTS}erase/{row.pk}/")):
        # Wagtail answers "permission denied" by sending staff back to the dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    row.refresh_from_db()
    assert (row.email, row.name) == ("nadia@example.org", "Nadia")

    eraser = staff_client("dpo", permissions=("view_donation", "delete_donation"))
    assert eraser.post(f"{GIFTS}erase/{row.pk}/").status_code == 302
    row.refresh_from_db()
    assert (row.email, row.name) == ("", "")


# The audit log -----------------------------------------------------------------------------


def test_marking_a_transfer_received_is_in_the_history_with_who_and_how_much(
    django_capture_on_commit_callbacks: Any,
) -> None:
    transfer = pledge(2, email="vera@example.org", name="Vera Zorina")
    clerk = staff_client("clerk", permissions=("view_donation", "change_donation"))
    response = clerk.post(
        f"{GIFTS}receive/{transfer.pk}/",
        {"received_on": timezone.localdate().isoformat(), "amount": "24.50"},
    )
    assert response.status_code == 302
    entry = ModelLogEntry.objects.get(action="donations.mark_received")
    assert (entry.object_id, entry.user.username, entry.label) == (
        str(transfer.pk), "clerk", transfer.reference,
    )  # fmt: skip
    assert (entry.data["amount"], entry.data["currency"]) == ("24.50", "EUR")
    assert "vera" not in json.dumps(entry.data).lower()

    # Marking it again (a double click) records nothing more.
    clerk.post(f"{GIFTS}receive/{transfer.pk}/", {"received_on": timezone.localdate().isoformat()})
    assert ModelLogEntry.objects.filter(action="donations.mark_received").count() == 1

    admin = User.objects.create_superuser("boss", "boss@newsroom.test", "pw")
    boss = Client()
    log_in(boss, admin)
    history = boss.get(SITE_HISTORY).content.decode()
    assert "Marked received: €24.50" in history and "Mark a gift received" in history
    assert "vera" not in history.lower()


def test_exporting_gifts_is_in_the_history_without_the_rows(admin_client: Client) -> None:
    donation(email="vera@example.org")
    donation(email="oleg@example.org")
    response = admin_client.get(GIFTS, {"export": "csv", "q": "vera@example.org"})
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]
    entry = ModelLogEntry.objects.get(action="donations.export")
    assert entry.user.username == "admin"
    assert entry.data == {"list": "gifts", "rows": 1, "format": "csv"}
    assert "example.org" not in entry.label
    history = admin_client.get(SITE_HISTORY).content.decode()
    assert "1 row exported (gifts, CSV)" in history and "vera" not in history
