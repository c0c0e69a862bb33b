"""Settings → Erase a person: staff enter an address, see what each app keeps about it, and
erase it everywhere at once: the newsletter (subscription, consents, letters), donations
(names and addresses, never amounts) and the local outbox. The audit log says who and how
many, never whom."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core import serializers
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from samizdat.donations import actions as donation_actions
from samizdat.donations.models import Donation, ProviderEvent, RecurringGift
from samizdat.newsletter import actions as newsletter_actions
from samizdat.newsletter.actions import ensure_newsletter_pages
from samizdat.newsletter.models import Consent, Delivery, ErasedConsentCount, Subscriber
from samizdat.publishing.actions import ensure_site_tree
from tests.logins import log_in
from tests.newsletter.conftest import make_edition

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

ERASE = "/admin/erase-person/"
SITE_HISTORY = "/admin/reports/site-history/"
OnCommit = Callable[..., Any]


def database_text() -> str:
    """Every row of every table, as text: what a search of the database would find."""
    return "\n".join(
        serializers.serialize("json", model._default_manager.all()) for model in apps.get_models()
    ).lower()


def outbox_text(directory: Path) -> dict[str, str]:
    return {path.name: path.read_bytes().decode().lower() for path in directory.glob("*.eml")}


def flash(response: ClientResponse) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def gift(email: str, name: str, **fields: Any) -> Donation:
    values: dict[str, Any] = {
        "provider": "stripe", "provider_payment_id": f"pi_{name.split()[0].lower()}0001",
        "reference": f"SZ-{name.split()[0].upper()[:4]}0001", "frequency": "once",
        "amount": 5000, "currency": "EUR", "status": "paid", "email": email, "name": name,
        "paid_at": timezone.now(),
    }  # fmt: skip
    values.update(fields)
    return Donation.objects.create(**values)


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Path:
    """Mail goes to the local outbox, as on an installation without a mail server."""
    settings.EMAIL_BACKEND = "samizdat.newsletter.outbox.OutboxBackend"
    settings.EMAIL_OUTBOX_DIR = tmp_path
    settings.NEWSLETTER_CONNECTIONS = (
        1  # letters sent in this thread, inside the test's transaction
    )
    return tmp_path


@pytest.fixture
def anna(outbox: Path, django_capture_on_commit_callbacks: OnCommit) -> dict[str, Any]:
    """Anna subscribed (two consents), got a letter, gave once and monthly (cancelled since),
    and her mail is in the outbox; Boris did the same and must keep everything."""
    ensure_site_tree()
    ensure_newsletter_pages()
    people = {}
    for address in ("anna@example.org", "boris@example.org"):
        for form in ("article", "home"):
            with django_capture_on_commit_callbacks(execute=True):
                found = newsletter_actions.subscribe(
                    email=address, language="en", form=form, wording="Yes.", policy_version=1
                )
        assert found is not None
        token = newsletter_actions.issue_confirm_token(subscriber_id=found.pk)
        assert token is not None and newsletter_actions.confirm_by_token(token=token)
        people[address] = found
    edition = make_edition(stories=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert newsletter_actions.send_edition(edition_id=edition.pk) == 2
    monthly = RecurringGift.objects.create(
        provider="stripe", provider_gift_id="sub_anna0001", provider_customer_id="cus_anna0001",
        frequency="monthly", amount=700, currency="EUR", status="cancelled",
        email="anna@example.org", name="Anna Kowalska", cancelled_at=timezone.now(),
    )  # fmt: skip
    once = gift("anna@example.org", "Anna Kowalska")
    instalment = gift("anna@example.org", "Anna Kowalska", provider_payment_id="in_anna0002",
                      frequency="monthly", amount=700, gift=monthly)  # fmt: skip
    other = gift("boris@example.org", "Boris Ivanov")
    ProviderEvent.objects.create(
        provider="stripe", event_id="evt_anna", type="invoice.paid",
        payload={"data": {"object": {"id": "in_anna0002", "customer": "cus_anna0001"}}},
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        for row in (once, other):
            donation_actions.send_receipt(donation_id=row.pk)
    return {"subscriber": people["anna@example.org"], "boris": people["boris@example.org"],
            "monthly": monthly, "once": once, "instalment": instalment, "other": other,
            "edition": edition}  # fmt: skip


def test_staff_see_what_is_kept_then_erase_a_person_everywhere(
    admin_client: Client,
    anna: dict[str, Any],
    outbox: Path,
    django_capture_on_commit_callbacks: OnCommit,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mail_before = outbox_text(outbox)
    holding_anna = [name for name, text in mail_before.items() if "anna@example.org" in text]
    # Two confirmations and a letter from the newsletter, a receipt from donations.
    assert len(holding_anna) == 4
    amounts_before = sorted(Donation.objects.values_list("amount", "currency", "status"))

    form = admin_client.get(ERASE).content.decode()
    assert 'name="email"' in form and 'method="post"' in form

    # Typed as the person wrote it in their letter to the newsroom.
    review = admin_client.post(ERASE, {"email": "  Anna@Example.ORG "})
    assert review.status_code == 200
    page = review.content.decode()
    found = {
        label.strip(): int(number)
        for label, number in re.findall(
            r'<th scope="row">([^<]+)</th><td data-count>(\d+)</td>', page
        )
    }
    assert found == {
        "Newsletter: subscription": 1,
        "Newsletter: consent records": 2,
        "Newsletter: records of letters sent": 1,
        "Newsletter: copies of mail in the local outbox": 4,
        "Donations: gifts": 2,
        "Donations: recurring gifts": 1,
        "Donations: payment providers&#x27; messages": 1,
    }
    assert "Yes, erase permanently" in page
    assert Subscriber.objects.filter(email="anna@example.org").exists()  # nothing changed yet

    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(ERASE, {"email": "  Anna@Example.ORG ", "step": "erase"})
    assert (response.status_code, response["Location"]) == (302, ERASE)
    [message] = flash(response)
    assert message.startswith("Erased: subscription: 1, consent records: 2")

    # No trace of her in any table or in the outbox; Boris keeps everything.
    everything = database_text()
    for trace in ("anna@example.org", "anna kowalska", "cus_anna0001"):
        assert trace not in everything, trace
    assert "boris@example.org" in everything and "boris ivanov" in everything
    mail_after = outbox_text(outbox)
    assert set(mail_after) == set(mail_before) - set(holding_anna)
    assert not any("anna@example.org" in text for text in mail_after.values())
    assert any("boris@example.org" in text for text in mail_after.values())
    assert "anna" not in caplog.text.lower()

    # Her consents are anonymous counts; the newsroom's books still add up.
    assert sum(ErasedConsentCount.objects.values_list("count", flat=True)) == 2
    assert Consent.objects.filter(subscriber=anna["boris"]).count() == 2
    assert Delivery.objects.filter(edition=anna["edition"]).count() == 1
    assert sorted(Donation.objects.values_list("amount", "currency", "status")) == amounts_before
    assert ProviderEvent.objects.get(event_id="evt_anna").payload is None

    entry = ModelLogEntry.objects.get(action="samizdat.erase_person")
    assert entry.user is not None and entry.user.username == "admin"
    assert entry.data == {
        "subscribers": 1, "consents": 2, "deliveries": 1, "outbox": 4, "donations": 2,
        "recurring_gifts": 1, "events": 1,
    }  # fmt: skip
    history = admin_client.get(SITE_HISTORY).content.decode()
    assert "A person was erased: subscription: 1" in history
    assert "anna" not in history.lower()


def test_nothing_is_erased_anywhere_while_a_recurring_gift_still_runs(
    admin_client: Client, anna: dict[str, Any], outbox: Path
) -> None:
    RecurringGift.objects.filter(pk=anna["monthly"].pk).update(status="active")
    mail_before = outbox_text(outbox)

    page = admin_client.post(ERASE, {"email": "anna@example.org"}).content.decode()
    assert "Cancel it at the provider first" in page
    assert "Yes, erase permanently" not in page

    response = admin_client.post(ERASE, {"email": "anna@example.org", "step": "erase"})
    assert response.status_code == 409
    assert "Cancel it at the provider first" in response.content.decode()
    # All or nothing: the newsletter's part was not erased either.
    assert Subscriber.objects.filter(email="anna@example.org").exists()
    assert Donation.objects.filter(email="anna@example.org").count() == 2
    assert outbox_text(outbox) == mail_before
    assert not ModelLogEntry.objects.filter(action="samizdat.erase_person").exists()


def test_an_unknown_address_has_nothing_kept_and_a_bad_one_is_a_form_error(
    admin_client: Client,
) -> None:
    page = admin_client.post(ERASE, {"email": "nobody@example.org"}).content.decode()
    assert "Nothing is kept about this address." in page
    assert "Yes, erase permanently" not in page

    response = admin_client.post(ERASE, {"email": "not an address"})
    assert response.status_code == 400
    assert "This is not an email address" in response.content.decode()
    response = admin_client.post(ERASE, {"email": "x" * 300 + "@example.org", "step": "erase"})
    assert response.status_code == 400
    assert not ModelLogEntry.objects.filter(action="samizdat.erase_person").exists()


def staff(name: str, *, group: str = "", permissions: tuple[str, ...] = ()) -> Client:
    user = User.objects.create_user(name, f"{name}@newsroom.test", "pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for label in permissions:
        app_label, codename = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client = Client()
    log_in(client, user)
    return client


@pytest.mark.parametrize(
    "who",
    [
        {"group": "Editors"},
        {"group": "Reporters"},
        {"permissions": ("newsletter.delete_subscriber",)},
        {"permissions": ("donations.delete_donation",)},
    ],
    ids=["editor", "reporter", "subscribers-only", "donations-only"],
)
def test_erasing_a_person_needs_the_erase_permission_of_every_app(who: dict[str, Any]) -> None:
    person = Subscriber.objects.create(email="vera@example.org", language="en", status="active")
    client = staff("staffer", **who)
    assert ERASE not in client.get("/admin/").content.decode()
    for response in (
        client.get(ERASE),
        client.post(ERASE, {"email": "vera@example.org"}),
        client.post(ERASE, {"email": "vera@example.org", "step": "erase"}),
    ):
        # Wagtail answers "permission denied" by sending staff back to the dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert Subscriber.objects.filter(pk=person.pk).exists()

    allowed = staff(
        "privacy", permissions=("newsletter.delete_subscriber", "donations.delete_donation")
    )
    assert ERASE in allowed.get("/admin/").content.decode()
    response = allowed.post(ERASE, {"email": "vera@example.org", "step": "erase"})
    assert response.status_code == 302
    assert not Subscriber.objects.filter(pk=person.pk).exists()


def test_the_address_is_never_in_a_url_or_a_query(admin_client: Client) -> None:
    Subscriber.objects.create(email="vera@example.org", language="en", status="active")
    page = admin_client.post(ERASE, {"email": "vera@example.org"}).content.decode()
    assert 'action="/admin/erase-person/"' in page
    response = admin_client.get(ERASE, {"email": "vera@example.org", "step": "erase"})
    assert response.status_code == 200  # a GET only shows the empty form
    assert Subscriber.objects.filter(email="vera@example.org").exists()


def test_erasing_a_subscriber_alone_is_in_the_history_without_whom(
    admin_client: Client, outbox: Path, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        found = newsletter_actions.subscribe(
            email="dora@example.org", language="en", form="home", wording="Yes.",
            policy_version=1,
        )  # fmt: skip
    assert found is not None and len(outbox_text(outbox)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/newsletter/subscribers/delete/{found.pk}/")
    assert response.status_code == 302
    assert outbox_text(outbox) == {}  # her confirmation mail went with her
    entry = ModelLogEntry.objects.get(action="newsletter.erase")
    assert entry.data == {"subscribers": 1, "consents": 1, "deliveries": 0, "outbox": 1}
    assert entry.object_id != str(found.pk)
    history = admin_client.get(SITE_HISTORY).content.decode()
    assert "A subscriber was erased (consent records: 1" in history
    assert "dora" not in history.lower()


def test_exporting_subscribers_is_in_the_history_with_how_many_rows(
    admin_client: Client,
) -> None:
    for address, language in [
        ("anna@example.org", "en"),
        ("boris@example.org", "en"),
        ("dora@example.net", "ru"),
    ]:
        Subscriber.objects.create(email=address, language=language, status="active")
    response = admin_client.get(
        "/admin/newsletter/subscribers/", {"export": "csv", "language": "en"}
    )
    assert response.status_code == 200
    entry = ModelLogEntry.objects.get(action="newsletter.export")
    assert (entry.user.username, entry.data) == ("admin", {"rows": 2, "format": "csv"})
    history = admin_client.get(SITE_HISTORY).content.decode()
    assert "2 subscribers exported (CSV)" in history and "Export subscribers" in history
    assert "example.org" not in history
    assert datetime.datetime.now(tz=datetime.UTC) - entry.timestamp < datetime.timedelta(minutes=1)
