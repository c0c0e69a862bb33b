"""Amounts in currencies with no decimals (JPY), three (BHD, KWD) and two (RUB, EUR, USD),
through what people see: the donate page and its messages, the receipt, the admin and its
export, the providers' checkouts, and Settings → Donations, which takes only real currencies."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from samizdat.donations import appeal
from samizdat.donations.models import AppealCurrency, Donation, DonationSettings
from tests.donations.btcpay_server import BTCPayServer
from tests.donations.stripe_server import FakeStripe, event
from tests.donations.test_btcpay import btcpay, post_webhook  # noqa: F401 (a fixture)
from tests.donations.test_stripe import delivered

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
SETTINGS = "/admin/settings/donations/donationsettings/"


@pytest.fixture
def currencies(db: Any) -> None:
    """The appeal in USD, EUR, JPY, BHD, KWD and RUB (six: what the stylesheet shows)."""
    row = DonationSettings.load()
    AppealCurrency.objects.filter(code="GBP").delete()
    for order, (code, minimum, once, monthly, annual) in enumerate(
        [
            ("JPY", "300", "500, 1000, 5000", "300, 500, 1000", "3000, 6000, 12000"),
            ("BHD", "0.5", "1.5, 5, 10", "0.5, 1, 2", "6, 12, 24"),
            ("KWD", "0.5", "1.25, 5, 10", "0.5, 1, 2", "6, 12, 24"),
            ("RUB", "100", "300, 500, 1000", "100, 200, 500", "1000, 2000, 5000"),
        ],
        start=2,
    ):
        AppealCurrency.objects.create(
            setting=row, sort_order=order, code=code, minimum=minimum, once=once,
            monthly=monthly, annual=annual,
        )  # fmt: skip
    appeal.forget()


def donate(client: Client, **fields: str) -> ClientResponse:
    data = {"language": "en", "frequency": "once", "provider": "demo",
            "email": "reader@example.org", **fields}  # fmt: skip
    return client.post("/donate/", data)


def give_through_demo(client: Client, on_commit: Any, **fields: str) -> Donation:
    response = donate(client, **fields)
    assert response.status_code == 303, response.content.decode()[:3000]
    with on_commit(execute=True):
        client.post(response["Location"])
    return Donation.objects.latest("created_at")


# The donate page and what it says


def test_each_currency_shows_its_own_amounts_and_minimum(
    client: Client, currencies: None, demo_provider: None
) -> None:
    page = client.get("/donate/", {"language": "en", "frequency": "once", "currency": "JPY",
                                   "amount": "1000"}).content.decode()  # fmt: skip
    jpy = page[page.index('data-frequency="once" data-currency="JPY"') :]
    jpy = jpy[: jpy.index("</div>")]
    assert re.findall(r"> ([^<]+)</label>", jpy) == ["¥500", "¥1,000", "¥5,000"]
    assert 'value="1000" checked' in jpy
    bhd = page[page.index('data-frequency="once" data-currency="BHD"') :]
    assert re.findall(r'value="([^"]+)"> ([^<]+)</label>', bhd[: bhd.index("</div>")]) == [
        ("1.500", f"BHD{NBSP}1.500"), ("5", f"BHD{NBSP}5"), ("10", f"BHD{NBSP}10"),
    ]  # fmt: skip
    # One minimum per currency, the chosen currency's marked for browsers without :has().
    minimums = dict(
        re.findall(r'data-currency="(\w+)">The smallest gift is ([^<]+)\.</span>', page)
    )
    assert minimums == {"USD": "$2", "EUR": "€2", "JPY": "¥300", "BHD": f"BHD{NBSP}0.500",
                        "KWD": f"KWD{NBSP}0.500", "RUB": f"RUB{NBSP}100"}  # fmt: skip
    assert re.findall(r'class="minimum c-\d+ chosen" data-currency="(\w+)"', page) == ["JPY"]
    russian = client.get("/donate/", {"language": "ru"}).content.decode()
    assert f"Минимальная сумма — 100{NBSP}₽." in russian


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"currency": "JPY", "custom_amount": "299"}, "The smallest gift we can take is ¥300."),
        ({"currency": "JPY", "custom_amount": "500.5"}, "Enter the amount as a whole number, like 500."),
        ({"currency": "BHD", "custom_amount": "0.4"}, f"The smallest gift we can take is BHD{NBSP}0.500."),
        ({"currency": "KWD", "custom_amount": "1.2345"}, "Enter the amount as a number, like 5 or 7.500."),
        ({"currency": "RUB", "custom_amount": "99", "language": "ru"},
         f"Минимальная сумма пожертвования — 100{NBSP}₽."),
        ({"currency": "EUR", "custom_amount": "1,99"}, "The smallest gift we can take is €2."),
        ({"currency": "USD", "custom_amount": "2.001"}, "Enter the amount as a number, like 5 or 7.50."),
        ({"currency": "GBP", "custom_amount": "5"}, "We cannot take gifts in that currency."),
    ],
)  # fmt: skip
def test_refusals_name_the_chosen_currency(
    client: Client, currencies: None, demo_provider: None, fields: dict[str, str], message: str
) -> None:
    response = donate(client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Donation.objects.exists()


# The receipt and the admin


@pytest.mark.parametrize(
    ("fields", "stored", "in_receipt"),
    [
        ({"currency": "JPY", "amount": "1000"}, 1000, "¥1,000"),
        ({"currency": "JPY", "amount": "1000", "language": "ru"}, 1000, f"1{NBSP}000{NBSP}¥"),
        ({"currency": "BHD", "custom_amount": "1.5"}, 1500, f"BHD{NBSP}1.500"),
        ({"currency": "KWD", "custom_amount": "1,25", "language": "ru"}, 1250, f"1,250{NBSP}KWD"),
        ({"currency": "RUB", "custom_amount": "500", "language": "ru"}, 50000, f"500{NBSP}₽"),
        ({"currency": "EUR", "custom_amount": "7.5"}, 750, "€7.50"),
        ({"currency": "USD", "custom_amount": "$1,000"}, 100000, "$1,000"),
    ],
)
def test_the_receipt_states_the_amount_as_given(
    client: Client, currencies: None, demo_provider: None,
    django_capture_on_commit_callbacks: Any, fields: dict[str, str], stored: int, in_receipt: str,
) -> None:  # fmt: skip
    donation = give_through_demo(client, django_capture_on_commit_callbacks, **fields)
    assert (donation.amount, donation.status) == (stored, "paid")
    [receipt] = mail.outbox
    line = next(line for line in receipt.body.splitlines() if donation.reference not in line
                and in_receipt in line)  # fmt: skip
    assert line.endswith(in_receipt)


def test_the_admin_and_its_export_show_amounts_in_their_own_units(
    admin_client: Client, currencies: None
) -> None:
    for reference, amount, currency in [
        ("SZ-JPY00001", 500, "JPY"), ("SZ-BHD00001", 1500, "BHD"), ("SZ-KWD00001", 1234, "KWD"),
        ("SZ-RUB00001", 2000, "RUB"), ("SZ-USD00001", 1250, "USD"),
    ]:  # fmt: skip
        Donation.objects.create(
            provider="demo", provider_payment_id=reference, reference=reference,
            frequency="once", amount=amount, currency=currency, status="paid",
            paid_at=timezone.now(),
        )  # fmt: skip
    listing = admin_client.get("/admin/donations/gifts/").content.decode()

    def shown(reference: str) -> str:
        row = listing[listing.index(reference) :]
        return row[: row.index("</tr>")]

    assert "¥500" in shown("SZ-JPY00001") and "¥5.00" not in shown("SZ-JPY00001")
    assert f"BHD{NBSP}1.500" in shown("SZ-BHD00001")
    assert f"KWD{NBSP}1.234" in shown("SZ-KWD00001")
    assert f"RUB{NBSP}20" in shown("SZ-RUB00001")
    assert "$12.50" in shown("SZ-USD00001")
    dashboard = admin_client.get("/admin/donations/").content.decode()
    assert '<strong class="amount">¥500</strong>' in dashboard

    export = admin_client.get("/admin/donations/gifts/", {"export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))  # type: ignore[attr-defined]  # a streamed response: the stubs type the client's without streaming_content
    assert {row["reference"]: row["amount"] for row in rows} == {
        "SZ-JPY00001": "500", "SZ-BHD00001": "1.500", "SZ-KWD00001": "1.234",
        "SZ-RUB00001": "20.00", "SZ-USD00001": "12.50",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("currency", "typed", "stored", "refusal"),
    [
        ("JPY", "12.5", None, "Enter the amount in JPY, like 500."),
        ("JPY", "9800", 9800, ""),
        ("KWD", "1.255", 1255, ""),
        ("KWD", "1.2555", None, "Enter the amount in KWD, like 5 or 7.500."),
    ],
)
def test_marking_a_transfer_received_takes_the_currencys_units(
    admin_client: Client, currencies: None, currency: str, typed: str, stored: int | None,
    refusal: str,
) -> None:  # fmt: skip
    donation = Donation.objects.create(
        provider="bank", provider_payment_id="SZ-BANK0001", reference="SZ-BANK0001",
        frequency="once", amount=10000, currency=currency, status="pending",
    )  # fmt: skip
    response = admin_client.post(
        f"/admin/donations/gifts/receive/{donation.pk}/",
        {"received_on": timezone.localdate().isoformat(), "amount": typed},
    )
    donation.refresh_from_db()
    if stored is None:
        assert response.status_code == 400 and refusal in response.content.decode()
        assert donation.status == "pending"
    else:
        assert response.status_code == 302
        assert (donation.status, donation.amount) == ("paid", stored)


# The providers count in their own units


def test_stripe_gets_yen_whole_and_dinars_in_thousandths_and_records_them_back(
    client: Client, currencies: None, stripe_api: FakeStripe
) -> None:
    def checkout(**fields: str) -> dict[str, Any]:
        response = client.post("/donate/", {"language": "en", "frequency": "once",
                                            "provider": "stripe", **fields})  # fmt: skip
        assert response.status_code == 303, response.content.decode()[:2000]
        return stripe_api.calls("/v1/checkout/sessions")[-1].form

    assert (
        checkout(currency="JPY", amount="1000")["line_items[0][price_data][unit_amount]"] == "1000"
    )
    assert (
        checkout(currency="BHD", custom_amount="1.5")["line_items[0][price_data][unit_amount]"]
        == "1500"
    )
    session_id = next(iter(stripe_api.sessions))  # the yen
    delivered(client, event("checkout.session.completed", stripe_api.complete(session_id)))
    assert Donation.objects.get().amount == 1000  # ¥1,000, not ¥100,000 or ¥10

    calls = len(stripe_api.calls("/v1/checkout/sessions"))
    refused = client.post("/donate/", {"language": "en", "frequency": "once", "currency": "KWD",
                                       "custom_amount": "1.255", "provider": "stripe"})  # fmt: skip
    assert refused.status_code == 400
    assert f"Card payments in KWD go in steps of KWD{NBSP}0.010." in refused.content.decode()
    assert len(stripe_api.calls("/v1/checkout/sessions")) == calls


def test_btcpay_gets_the_amount_with_the_currencys_digits(
    client: Client,
    currencies: None,
    btcpay: BTCPayServer,  # noqa: F811
) -> None:
    for currency, typed, sent in [("JPY", "1000", "1000"), ("KWD", "1.255", "1.255"),
                                  ("RUB", "500", "500.00")]:  # fmt: skip
        response = client.post("/donate/", {"language": "en", "frequency": "once",
                                             "currency": currency, "custom_amount": typed,
                                             "provider": "btcpay"})  # fmt: skip
        assert response.status_code == 303, response.content.decode()[:2000]
        assert btcpay.created()[-1].json["amount"] == sent
    kwd = next(i for i in btcpay.invoices.values() if i["currency"] == "KWD")
    btcpay.settle(kwd["id"])
    assert post_webhook(client, btcpay.webhook(kwd["id"])).status_code == 200
    assert (Donation.objects.get().amount, Donation.objects.get().currency) == (1255, "KWD")


# Settings → Donations takes only real currencies, in their own units


class FormValues(HTMLParser):
    """The values a browser would submit with the page's main form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        name = found.get("name", "")
        if tag == "input" and name and found.get("type") not in {"submit", "button", "file"}:
            if found.get("type") in {"checkbox", "radio"}:
                if "checked" in found:
                    self.values[name] = found.get("value", "on")
            else:
                self.values[name] = found.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in found:
            self.values[self._select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += (
                data.lstrip("\n") if not self.values[self._textarea] else data
            )


def settings_form(client: Client) -> tuple[str, dict[str, str]]:
    """Where Settings → Donations posts to, and what it would post unchanged."""
    page = client.get(SETTINGS, follow=True)
    assert page.status_code == 200
    parser = FormValues()
    parser.feed(page.content.decode())
    values = {k: v for k, v in parser.values.items() if "__prefix__" not in k}
    return page.request["PATH_INFO"], values


def currency_index(form: dict[str, str], code: str) -> int:
    return next(int(k.split("-")[1]) for k, v in form.items()
                if re.fullmatch(r"currencies-\d+-code", k) and v == code)  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "DEM", "“DEM” is not the ISO 4217 code of a currency in use today"),
        ("code", "ABC", "“ABC” is not the ISO 4217 code of a currency in use today"),
        ("code", "XAU", "“XAU” is not the ISO 4217 code of a currency in use today"),
        ("minimum", "2.5", "JPY has no smaller unit: use whole amounts."),
        ("once", "500, 1000.5", "JPY has no smaller unit: use whole amounts."),
    ],
)
def test_settings_take_only_real_currencies_and_amounts_they_can_hold(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    url, form = settings_form(admin_client)
    usd = currency_index(form, "USD")
    form[f"currencies-{usd}-code"] = "JPY"
    form[f"currencies-{usd}-minimum"] = "300"
    for frequency in ("once", "monthly", "annual"):
        form[f"currencies-{usd}-{frequency}"] = "500, 1000, 5000"
    form[f"currencies-{usd}-{field}"] = value
    response = admin_client.post(url, form)
    assert response.status_code == 200 and message in response.content.decode()
    assert AppealCurrency.objects.filter(code="USD").exists()  # nothing was saved


def test_settings_take_three_decimal_currencies(admin_client: Client) -> None:
    url, form = settings_form(admin_client)
    usd = currency_index(form, "USD")
    form.update({f"currencies-{usd}-code": "kwd", f"currencies-{usd}-minimum": "0.750",
                 f"currencies-{usd}-once": "1.250, 5, 10"})  # fmt: skip
    too_fine = admin_client.post(url, {**form, f"currencies-{usd}-monthly": "1.2345"})
    assert "KWD amounts have at most 3 decimal places." in too_fine.content.decode()
    form[f"currencies-{usd}-monthly"] = "0.750, 1, 2"
    assert admin_client.post(url, form).status_code == 302
    kwd = AppealCurrency.objects.get(code="KWD")
    assert (str(kwd.minimum), kwd.once) == ("0.750", "1.250, 5, 10")
