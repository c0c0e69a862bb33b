"""The donations admin through Django's test client: the dashboard (per-currency totals,
recurring revenue, failures, SVG charts), the gift list (filters, search, CSV export, "Mark
received" for bank transfers), recurring gifts, and who may see any of it."""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samizdat.donations.models import Donation, RecurringGift
from tests.logins import log_in

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/donations/"
GIFTS = "/admin/donations/gifts/"
RECURRING = "/admin/donations/recurring/"
SETTINGS = "/admin/settings/donations/donationsettings/"

OnCommit = Callable[..., Any]
_counter = iter(range(1, 10**6))


def ago(**delta: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def gift(amount: int, currency: str = "USD", *, status: str = "paid", **extra: Any) -> Donation:
    n = next(_counter)
    fields: dict[str, Any] = {
        "provider": "stripe",
        "provider_payment_id": f"pi_{n}",
        "reference": f"SZ-T{n:07d}",
        "frequency": "once",
        "amount": amount,
        "currency": currency,
        "status": status,
        "email": f"reader{n}@example.org",
        "created_at": ago(days=2),
        "paid_at": ago(days=2) if status in {"paid", "refunded"} else None,
    }
    fields.update(extra)
    return Donation.objects.create(**fields)


def transfer(amount: int = 2500, currency: str = "EUR", **extra: Any) -> Donation:
    n = next(_counter)
    fields: dict[str, Any] = {
        "provider": "bank",
        "provider_payment_id": f"SZ-BANK{n:04d}",
        "reference": f"SZ-BANK{n:04d}",
        "status": "pending",
        "email": "vera@example.org",
        "name": "Vera Z.",
        "language": "en",
    }
    fields.update(extra)
    return gift(amount, currency, **fields)


def recurring(
    amount: int, currency: str, frequency: str, status: str, **extra: Any
) -> RecurringGift:
    n = next(_counter)
    return RecurringGift.objects.create(
        provider="stripe", provider_gift_id=f"sub_{n}", frequency=frequency, amount=amount,
        currency=currency, status=status, started_at=extra.pop("started_at", ago(days=3)), **extra,
    )  # fmt: skip


def html(response: ClientResponse) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section(page: str, element_id: str) -> str:
    """The element with ``element_id`` up to the end of its section."""
    start = page.index(f'id="{element_id}"')
    end = page.find("</section>", start)
    return page[start : end if end != -1 else None]


def charts_in(page: str) -> list[str]:
    return re.findall(r'<svg [^>]*class="donations-chart".*?</svg>', page, re.S)


def row(table: str, currency: str) -> str:
    match = re.search(rf'<tr data-currency="{currency}">(.*?)</tr>', table, re.S)
    assert match, f"no {currency} row"
    return re.sub(r"\s+", " ", match.group(1))


def references(response: ClientResponse) -> set[str]:
    return set(re.findall(r"SZ-[A-Z]+\d+", html(response)))


def exported(response: ClientResponse) -> list[list[str]]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]  # a streamed response: the stubs type the client's without streaming_content
    return list(csv.reader(io.StringIO(body)))


def flash(response: ClientResponse) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def staff_client(name: str, group: str | None = None, permissions: tuple[str, ...] = ()) -> Client:
    user = User.objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    for codename in permissions:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="donations", codename=codename)
        )
    if not group:
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client = Client()
    log_in(client, user)
    return client


# Dashboard -----------------------------------------------------------------------------


def test_dashboard_totals_each_currency_on_its_own(admin_client: Client) -> None:
    gift(1000, "USD")
    gift(1500, "USD", paid_at=ago(days=20))
    gift(2000, "USD", amount_refunded=500)  # 15.00 kept
    gift(4000, "USD", status="refunded", amount_refunded=4000)
    gift(700, "EUR")
    gift(900, "EUR", paid_at=ago(days=200))  # in the last 12 months only
    gift(5000, "USD", status="pending")
    gift(5000, "USD", status="failed")

    page = html(admin_client.get(DASHBOARD))
    totals = section(page, "received-totals")
    usd, eur = row(totals, "USD"), row(totals, "EUR")
    last_30_days, _, last_12_months = re.findall(r'<strong class="amount">([^<]+)</strong>', usd)
    assert (last_30_days, last_12_months) == ("$40", "$40")
    assert "3 gifts" in usd
    assert re.findall(r'<strong class="amount">([^<]+)</strong>', eur) == ["€7", "€7", "€16"]
    assert "€47" not in page and "$47" not in page  # dollars and euros never summed

    gift(300, "GBP", paid_at=ago(days=100))  # nothing in pounds in the last 30 days
    daily = html(admin_client.get(DASHBOARD, {"period": "day"}))
    assert "GBP received per day, last 30 days" in daily
    assert re.findall(r'<strong class="amount">([^<]+)</strong>', row(daily, "GBP")) == [
        "£0", "£0", "£3",
    ]  # fmt: skip


def test_dashboard_draws_a_bar_chart_per_currency_with_the_figures_beside_it(
    admin_client: Client,
) -> None:
    gift(1000, "USD")
    gift(700, "EUR")

    page = html(admin_client.get(DASHBOARD))
    svgs = charts_in(page)
    titles = [re.findall(r'aria-label="([^"]+)"', svg)[0] for svg in svgs]
    assert titles[:2] == [
        "USD received per month, last 12 months",
        "EUR received per month, last 12 months",
    ]
    usd = svgs[0]
    assert 'role="img"' in usd and usd.count('<rect class="bar"') == 12
    assert re.search(r"<title>[^<]*: \$10</title>", usd)
    assert "<script" not in page[page.index('id="received"') :]
    figures = page[page.index(svgs[0]) :]
    figures = figures[: figures.index("</details>")]
    assert "<summary>The figures</summary>" in figures and "<td>$10</td>" in figures

    daily = html(admin_client.get(DASHBOARD, {"period": "day"}))
    first = charts_in(daily)[0]
    assert "USD received per day, last 30 days" in first
    assert first.count('<rect class="bar"') == 30
    weekly = html(admin_client.get(DASHBOARD, {"period": "week"}))
    assert "USD received per week, last 12 weeks" in weekly

    bad = admin_client.get(DASHBOARD, {"period": "decade"})
    assert bad.status_code == 400 and b"choose day, week or month" in bad.content


def test_dashboard_shows_recurring_revenue_changes_failures_and_refunds(
    admin_client: Client,
) -> None:
    recurring(500, "USD", "monthly", "active")
    recurring(12000, "USD", "annual", "active")  # 10.00 a month
    recurring(1000, "EUR", "monthly", "past_due")
    recurring(
        700, "EUR", "monthly", "cancelled", started_at=ago(days=400), cancelled_at=ago(days=1)
    )
    recurring(300, "USD", "monthly", "incomplete")
    gift(100, "USD", status="failed", created_at=ago(days=1))
    gift(100, "EUR", status="failed", created_at=ago(days=5))
    gift(100, "EUR", status="failed", created_at=ago(days=100))
    gift(3000, "USD", status="refunded", amount_refunded=3000)
    transfer()

    page = html(admin_client.get(DASHBOARD))
    assert '<dd data-count="active">2</dd>' in page
    assert '<dd data-count="past-due">1</dd>' in page
    revenue = section(page, "monthly-revenue")
    assert "<td>$15</td>" in row(revenue, "USD") and "<td>€10</td>" in row(revenue, "EUR")
    assert '<strong data-count="new">3</strong>' in page
    assert '<strong data-count="cancelled">1</strong>' in page
    changes = section(page, "recurring-changes")
    assert "New and cancelled recurring gifts per month" in changes
    assert changes.count('<rect class="bar"') == 24
    assert '<strong data-count="failed-30-days">2</strong>' in page
    assert '<strong data-count="failed-12-months">3</strong>' in page
    refunds = section(page, "refund-totals")
    assert "$30" in row(refunds, "USD") and "1 gift" in row(refunds, "USD")
    assert "1 gift announced and not yet marked received" in page
    # The link lists the transfers waiting for staff, and only those.
    link = re.search(r'id="pending-transfers">\s*<a href="([^"]+)"', page)
    assert link is not None
    waiting = references(admin_client.get(link.group(1).replace("&amp;", "&")))
    assert waiting == {Donation.objects.get(provider="bank").reference}


def test_dashboard_queries_do_not_grow_with_the_number_of_gifts(admin_client: Client) -> None:
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    gift(1000, "USD")
    recurring(500, "USD", "monthly", "active")
    {url: count(url) for url in (DASHBOARD, GIFTS, RECURRING)}  # settings cached after this
    before = {url: count(url) for url in (DASHBOARD, GIFTS, RECURRING)}
    for n in range(40):
        gift(100 + n, ("USD", "EUR", "GBP")[n % 3], paid_at=ago(days=n * 7))
        recurring(100 + n, "EUR", "monthly", "active")
    after = {url: count(url) for url in (DASHBOARD, GIFTS, RECURRING)}
    assert after == before


# Gifts ---------------------------------------------------------------------------------


@pytest.fixture
def gifts() -> dict[str, Donation]:
    return {
        "card": gift(1250, "USD", reference="SZ-CARD0001", email="anna@example.org",
                     name="Anna B.", created_at=ago(days=10), paid_at=ago(days=10)),
        "monthly": gift(500, "EUR", reference="SZ-MONTH0001", frequency="monthly",
                        email="boris@example.net", created_at=ago(days=40), paid_at=ago(days=40)),
        "crypto": gift(2000, "EUR", reference="SZ-COIN0001", provider="btcpay", status="pending",
                       email="", created_at=ago(days=1)),
        "bank": transfer(3000, "EUR", reference="SZ-BANK0001", created_at=ago(days=3)),
    }  # fmt: skip


def test_gift_list_shows_each_gift_and_filters_and_searches(
    admin_client: Client, gifts: dict[str, Donation]
) -> None:
    page = html(admin_client.get(GIFTS))
    table = page[page.index('<table class="listing') :]
    head = re.sub(r"<[^>]+>|\s+", " ", table[: table.index("</thead>")])
    assert head.split() == [
        "Reference", "Amount", "Status", "Provider", "Frequency", "Name", "Email", "Created",
        "Paid",
    ]  # fmt: skip
    card = table[table.index("SZ-CARD0001") :]
    card = card[: card.index("</tr>")]
    for text in ("$12.50", "paid", "Stripe", "once", "Anna B.", "anna@example.org"):
        assert text in card, text
    monthly = table[table.index("SZ-MONTH0001") :]
    assert "anonymous" in monthly[: monthly.index("</tr>")]

    def found(**query: str) -> set[str]:
        return references(admin_client.get(GIFTS, query))

    every = {"SZ-CARD0001", "SZ-MONTH0001", "SZ-COIN0001", "SZ-BANK0001"}
    assert found() == every
    assert found(status="pending") == {"SZ-COIN0001", "SZ-BANK0001"}
    assert found(provider="bank") == {"SZ-BANK0001"}
    assert found(currency="USD") == {"SZ-CARD0001"}
    assert found(frequency="monthly") == {"SZ-MONTH0001"}
    week_ago = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    assert found(created_from=week_ago) == {"SZ-COIN0001", "SZ-BANK0001"}
    three_weeks_ago = (timezone.localdate() - datetime.timedelta(days=21)).isoformat()
    assert found(paid_to=three_weeks_ago) == {"SZ-MONTH0001"}
    assert found(paid_from=three_weeks_ago) == {"SZ-CARD0001"}
    assert found(q="Boris@example.net") == {"SZ-MONTH0001"}  # a whole address: encrypted
    assert found(q="example.net") == set()
    assert found(q="sz-coin") == {"SZ-COIN0001"}
    assert found(provider="bank", status="paid") == set()


def test_gift_list_is_paginated(admin_client: Client) -> None:
    for _ in range(55):
        gift(100)
    first = html(admin_client.get(GIFTS))
    assert len(re.findall(r"SZ-T\d+", first)) >= 50
    assert "Page 1 of 2" in first
    second = html(admin_client.get(GIFTS, {"p": 2}))
    assert len(set(re.findall(r"SZ-T\d+", second))) == 5


def test_csv_export_lists_the_filtered_gifts_and_defuses_formulas(
    admin_client: Client, gifts: dict[str, Donation]
) -> None:
    gift(999, "USD", reference="SZ-EVIL0001", name='=HYPERLINK("http://evil.example","x")',
         email="+1@example.org")  # fmt: skip

    response = admin_client.get(GIFTS, {"export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="gifts.csv"'
    rows = exported(response)
    assert rows[0] == [
        "reference", "created", "paid", "status", "provider", "frequency", "amount", "refunded",
        "currency", "name", "email", "language", "recurring_gift",
    ]  # fmt: skip
    by_reference = {line[0]: dict(zip(rows[0], line, strict=True)) for line in rows[1:]}
    assert set(by_reference) == {"SZ-CARD0001", "SZ-MONTH0001", "SZ-COIN0001", "SZ-BANK0001",
                                 "SZ-EVIL0001"}  # fmt: skip
    card = by_reference["SZ-CARD0001"]
    assert (card["amount"], card["refunded"], card["currency"]) == ("12.50", "0.00", "USD")
    assert (card["status"], card["provider"]) == ("paid", "stripe")
    assert card["email"] == "anna@example.org"
    paid = datetime.datetime.fromisoformat(card["paid"])
    assert paid == gifts["card"].paid_at
    assert by_reference["SZ-COIN0001"]["paid"] == ""
    evil = by_reference["SZ-EVIL0001"]
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert evil["email"] == "'+1@example.org"

    only_eur_pending = exported(
        admin_client.get(GIFTS, {"export": "csv", "currency": "EUR", "status": "pending"})
    )
    assert {line[0] for line in only_eur_pending[1:]} == {"SZ-COIN0001", "SZ-BANK0001"}

    spreadsheet = admin_client.get(GIFTS, {"export": "xlsx", "currency": "EUR"})
    assert spreadsheet.status_code == 200 and spreadsheet["Content-Type"].endswith(".sheet")

    bad = admin_client.get(GIFTS, {"export": "csv", "currency": "JPY"})
    assert bad.status_code == 400 and b"not valid" in bad.content


def test_gift_page_shows_the_record_read_only(
    admin_client: Client, gifts: dict[str, Donation]
) -> None:
    page = html(admin_client.get(f"{GIFTS}inspect/{gifts['card'].pk}/"))
    for text in ("SZ-CARD0001", "$12.50", "Anna B.", "anna@example.org", "Stripe"):
        assert text in page
    assert "Mark received" not in page
    # Gifts are never typed in or edited by hand.
    for url in (f"{GIFTS}edit/{gifts['card'].pk}/", f"{GIFTS}new/"):
        assert admin_client.get(url, follow=True).status_code == 404
    assert admin_client.post(f"{GIFTS}delete/{gifts['card'].pk}/", follow=True).status_code == 404
    assert Donation.objects.filter(pk=gifts["card"].pk).exists()


# Mark received -------------------------------------------------------------------------


def receive(client: Client, donation: Donation, **data: str) -> ClientResponse:
    form = {"received_on": timezone.localdate().isoformat(), "amount": ""}
    form.update(data)
    return client.post(f"{GIFTS}receive/{donation.pk}/", form)


def receipt_template_exists() -> bool:
    try:
        get_template("donations/receipt_mail.txt")
    except TemplateDoesNotExist:
        return False
    return True


def test_mark_received_asks_first_then_makes_the_transfer_paid_and_sends_a_receipt(
    admin_client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    donation = transfer(2500, "EUR")
    listing = html(admin_client.get(GIFTS, {"provider": "bank"}))
    assert f"{GIFTS}receive/{donation.pk}/" in listing

    ask = html(admin_client.get(f"{GIFTS}receive/{donation.pk}/"))
    assert "Yes, the money arrived" in ask and "€25" in ask and "csrfmiddlewaretoken" in ask
    donation.refresh_from_db()
    assert donation.status == "pending"

    with django_capture_on_commit_callbacks(execute=True):
        response = receive(admin_client, donation, amount="24.50")
    assert response.status_code == 302
    assert response["Location"] == f"{GIFTS}inspect/{donation.pk}/"
    assert any("marked received: €24.50" in message for message in flash(response))
    donation.refresh_from_db()
    assert (donation.status, donation.amount) == ("paid", 2450)
    assert donation.paid_at is not None
    assert timezone.now() - donation.paid_at < datetime.timedelta(minutes=1)
    if receipt_template_exists():
        assert [message.to for message in mail.outbox] == [["vera@example.org"]]
        assert donation.reference in mail.outbox[0].body and "24.50" in mail.outbox[0].body
    page = html(admin_client.get(f"{GIFTS}inspect/{donation.pk}/"))
    assert "Mark received" not in page


def test_mark_received_on_an_earlier_day_counts_on_that_day(admin_client: Client) -> None:
    donation = transfer(2500, "EUR", created_at=ago(days=6))
    day = timezone.localdate() - datetime.timedelta(days=3)
    assert receive(admin_client, donation, received_on=day.isoformat()).status_code == 302
    donation.refresh_from_db()
    assert donation.amount == 2500  # left empty: the announced amount arrived
    assert donation.paid_at is not None and timezone.localtime(donation.paid_at).date() == day


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-5"}, "Enter the amount in EUR"),
        ({"amount": "12.345"}, "Enter the amount in EUR"),
        ({"amount": "lots"}, "Enter a number"),
        ({"received_on": "2999-01-01"}, "in the future"),
        ({"received_on": "yesterday"}, "Enter a valid date"),
    ],
)
def test_mark_received_refuses_bad_input_and_changes_nothing(
    admin_client: Client, data: dict[str, str], message: str
) -> None:
    donation = transfer(2500, "EUR")
    response = receive(admin_client, donation, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    donation.refresh_from_db()
    assert (donation.status, donation.amount, donation.paid_at) == ("pending", 2500, None)


def test_mark_received_refuses_card_gifts_and_transfers_already_paid(
    admin_client: Client, django_capture_on_commit_callbacks: OnCommit
) -> None:
    card = gift(1000, "USD", status="pending")
    paid = transfer(2500, "EUR", status="paid", paid_at=ago(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        not_bank = receive(admin_client, card, amount="10")
        again = receive(admin_client, paid, amount="1")
    assert not_bank.status_code == 400
    assert "Stripe, which tells us itself when it is paid" in not_bank.content.decode()
    assert again.status_code == 409 and "is paid already" in again.content.decode()
    assert admin_client.get(f"{GIFTS}receive/{card.pk}/").status_code == 400
    assert admin_client.get(f"{GIFTS}receive/999999/", follow=True).status_code == 404
    card.refresh_from_db()
    paid_at = paid.paid_at
    paid.refresh_from_db()
    assert (card.status, card.paid_at) == ("pending", None)
    assert (paid.amount, paid.paid_at) == (2500, paid_at)
    assert mail.outbox == []


def test_mark_received_needs_the_csrf_token(admin_user: User) -> None:
    donation = transfer()
    client = Client(enforce_csrf_checks=True)
    log_in(client, admin_user)
    response = client.post(
        f"{GIFTS}receive/{donation.pk}/", {"received_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 403
    donation.refresh_from_db()
    assert donation.status == "pending"


# Recurring gifts -----------------------------------------------------------------------


def test_recurring_gift_list_shows_amount_frequency_and_dates_and_filters_by_status(
    admin_client: Client,
) -> None:
    active = recurring(500, "USD", "monthly", "active", reference="SZ-MONTHLY01",
                       next_payment_at=timezone.now() + datetime.timedelta(days=9))  # fmt: skip
    recurring(12000, "EUR", "annual", "cancelled", reference="SZ-ANNUAL01",
              cancelled_at=ago(days=1))  # fmt: skip
    payment = gift(500, "USD", reference="SZ-PAYMENT01", gift=active)

    page = html(admin_client.get(RECURRING))
    table = page[page.index('<table class="listing') :]
    head = re.sub(r"<[^>]+>|\s+", " ", table[: table.index("</thead>")]).split()
    assert head == [
        "Reference", "Amount", "Frequency", "Status", "Provider", "Name", "Email", "Started",
        "Next", "payment", "Cancelled",
    ]  # fmt: skip
    monthly = table[table.index("SZ-MONTHLY01") :]
    monthly = monthly[: monthly.index("</tr>")]
    assert "$5" in monthly and "monthly" in monthly and "active" in monthly
    assert "€120" in table

    assert references(admin_client.get(RECURRING, {"status": "cancelled"})) == {"SZ-ANNUAL01"}
    assert references(admin_client.get(RECURRING, {"status": "active"})) == {"SZ-MONTHLY01"}

    detail = html(admin_client.get(f"{RECURRING}inspect/{active.pk}/"))
    assert "SZ-PAYMENT01" in detail and f"{GIFTS}inspect/{payment.pk}/" in detail


# Who may see it ------------------------------------------------------------------------


def test_the_menu_leads_to_dashboard_gifts_recurring_gifts_and_settings(
    admin_client: Client,
) -> None:
    home = html(admin_client.get("/admin/"))
    for url in (DASHBOARD, GIFTS, RECURRING, SETTINGS):
        assert f'"{url}"' in home, url
    assert "Suggested one-off amounts" in html(admin_client.get(SETTINGS, follow=True))


def test_no_group_may_see_donations_until_an_administrator_grants_it(
    admin_client: Client,
) -> None:
    granted = Group.objects.filter(
        permissions__content_type__app_label="donations",
        permissions__content_type__model__in=["donation", "recurringgift"],
    )
    assert not granted.exists()
    editors = Group.objects.get(name="Editors")
    page = html(admin_client.get(f"/admin/groups/edit/{editors.pk}/"))
    offered = {
        codename
        for pk, codename in Permission.objects.filter(
            content_type__app_label="donations",
            content_type__model__in=["donation", "recurringgift"],
        ).values_list("pk", "codename")
        if f'value="{pk}"' in page
    }
    # delete: erase a donor's name and address (the records of the money stay).
    assert offered == {
        "view_donation", "change_donation", "delete_donation", "view_recurringgift",
    }  # fmt: skip


@pytest.mark.parametrize("group", ["Reporters", "Editors"])
def test_newsroom_staff_without_the_permission_see_no_donations(group: str) -> None:
    donation = transfer()
    active = recurring(500, "USD", "monthly", "active")
    client = staff_client("staff", group)
    home = html(client.get("/admin/"))
    assert "/admin/donations/" not in home and SETTINGS not in home
    for url in (
        DASHBOARD,
        GIFTS,
        f"{GIFTS}?export=csv",
        f"{GIFTS}inspect/{donation.pk}/",
        f"{GIFTS}receive/{donation.pk}/",
        RECURRING,
        f"{RECURRING}inspect/{active.pk}/",
    ):
        response = client.get(url)
        # Wagtail answers "permission denied" by sending staff back to the dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/"), url
    response = receive(client, donation)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    donation.refresh_from_db()
    assert donation.status == "pending"


def test_view_permission_shows_figures_and_gifts_but_marking_received_needs_change() -> None:
    donation = transfer()
    gift(1000, "USD")
    client = staff_client("treasurer", permissions=("view_donation",))
    home = html(client.get("/admin/"))
    assert f'"{DASHBOARD}"' in home and f'"{GIFTS}"' in home
    assert f'"{RECURRING}"' not in home  # a permission of its own
    assert "$10" in html(client.get(DASHBOARD))
    assert donation.reference in html(client.get(GIFTS))
    assert "Mark received" not in html(client.get(f"{GIFTS}inspect/{donation.pk}/"))
    assert client.get(RECURRING).status_code == 302

    response = receive(client, donation)
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    donation.refresh_from_db()
    assert donation.status == "pending"

    clerk = staff_client("clerk", permissions=("view_donation", "change_donation"))
    assert "Mark received" in html(clerk.get(f"{GIFTS}inspect/{donation.pk}/"))
    assert receive(clerk, donation).status_code == 302
    donation.refresh_from_db()
    assert donation.status == "paid"
