"""Providers are plugins: Pigeon Pay, a provider defined only in the test suite
(``tests/donations/pigeon``), joins through ``settings.DONATIONS_PROVIDERS`` alone and goes the
whole way: offered on the donate page with what readers should know about it, checkout on its
own page, its webhook recorded through /webhooks/pigeon/ with a receipt, shown and filtered in
the admin, its checkout origin allowed for the donate form. And what the other providers can
do is asked of them, not decided by their names."""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.urls import clear_url_caches

from samizdat.donations import gateway
from samizdat.donations.models import AppealCurrency, Donation, ProviderEvent
from tests.core.test_settings import SAMIZDAT, run
from tests.donations import pigeon

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

DEFAULT_PROVIDERS = [
    "samizdat.donations.providers.stripe",
    "samizdat.donations.providers.demo",
    "samizdat.donations.providers.btcpay",
    "samizdat.donations.providers.bank",
]


def reload_urls() -> None:
    """The URLconf again, with the pages of the providers registered now."""
    import samizdat.donations.urls
    import samizdat.urls

    importlib.reload(samizdat.donations.urls)
    importlib.reload(samizdat.urls)
    clear_url_caches()


@pytest.fixture
def with_pigeon(db: Any) -> Iterator[None]:
    """Pigeon Pay registered after the others, with its secret set: one line of settings."""
    with override_settings(
        DONATIONS_PROVIDERS=[*DEFAULT_PROVIDERS, "tests.donations.pigeon"],
        PIGEON_SECRET="coo-coo",
    ):
        reload_urls()
        try:
            yield
        finally:
            pigeon.views.STARTED.clear()
    reload_urls()


def pigeon_webhook(client: Client, reference: str, *, amount: int, currency: str) -> ClientResponse:
    body = json.dumps(
        {"id": f"pgn_evt_{reference}", "type": "paid", "created": int(time.time()),
         "reference": reference, "payment_id": f"pgn_pay_{reference}", "amount": amount,
         "currency": currency, "frequency": "once", "email": "vera@example.org",
         "language": "ru"}
    ).encode()  # fmt: skip
    return client.post(
        "/webhooks/pigeon/", body, content_type="application/json",
        headers={pigeon.SIGNATURE_HEADER: pigeon.sign(body)},
    )  # fmt: skip


def test_a_provider_defined_outside_src_takes_a_gift_from_start_to_finish(
    client: Client, admin_client: Client, with_pigeon: None,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    page = client.get(
        "/donate/", {"language": "en", "frequency": "once", "currency": "EUR", "amount": "25"}
    ).content.decode()
    assert 'name="provider" value="pigeon"' in page
    offered = page[page.index('value="pigeon"') :]
    offered = offered[: offered.index("</span></span>")]
    assert "Carrier pigeon" in offered
    # Its own note, and the gifts it takes (not annual ones), derived from what it can do.
    assert "Your gift flies within a day." in offered
    assert "one-off and monthly gifts only" in offered

    response = client.post(
        "/donate/", {"language": "en", "frequency": "once", "currency": "EUR", "amount": "25",
                     "provider": "pigeon", "email": "vera@example.org"},
    )  # fmt: skip
    assert response.status_code == 303
    assert response["Location"].startswith("/donate/pigeon/SZ-")
    checkout = client.get(response["Location"])
    assert checkout.status_code == 200
    assert "Pay €25 by pigeon" in checkout.content.decode()
    (reference,) = pigeon.views.STARTED
    assert not Donation.objects.exists()  # nothing until the provider reports a payment

    with django_capture_on_commit_callbacks(execute=True):
        recorded = pigeon_webhook(client, reference, amount=2500, currency="EUR")
    assert recorded.status_code == 200 and "pending → paid" in recorded.content.decode()
    assert pigeon_webhook(client, reference, amount=2500, currency="EUR").content == b"duplicate"
    donation = Donation.objects.get()
    assert (donation.provider, donation.reference, donation.status) == ("pigeon", reference, "paid")
    assert ProviderEvent.objects.filter(provider="pigeon").count() == 1
    [receipt] = mail.outbox
    assert receipt.to == ["vera@example.org"] and "25\u00a0€" in receipt.body

    listing = admin_client.get("/admin/donations/gifts/").content.decode()
    row = listing[listing.index(reference) :]
    assert "Pigeon Pay" in row[: row.index("</tr>")]
    filtered = admin_client.get("/admin/donations/gifts/", {"provider": "pigeon"})
    assert reference in filtered.content.decode()
    detail = admin_client.get(f"/admin/donations/gifts/inspect/{donation.pk}/").content.decode()
    assert "Pigeon Pay" in detail and "Mark received" not in detail

    # Forms may lead to its hosted pages, as to every available provider's.
    assert pigeon.ORIGIN in gateway.checkout_origins()


def test_a_provider_takes_only_the_gifts_it_says_it_takes(
    client: Client, with_pigeon: None
) -> None:
    response = client.post(
        "/donate/", {"language": "en", "frequency": "annual", "currency": "EUR", "amount": "60",
                     "provider": "pigeon", "email": "vera@example.org"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Carrier pigeon takes one-off and monthly gifts only" in response.content.decode()
    assert pigeon.views.STARTED == {}


def test_a_provider_that_is_not_configured_is_neither_offered_nor_heard(
    client: Client, with_pigeon: None, settings: Any
) -> None:
    settings.PIGEON_SECRET = ""
    page = client.get(
        "/donate/", {"language": "en", "frequency": "once", "currency": "EUR", "amount": "25"}
    ).content.decode()
    assert 'value="pigeon"' not in page
    refused = client.post("/webhooks/pigeon/", b"{}", content_type="application/json")
    assert refused.status_code == 400 and b"not enabled" in refused.content
    assert pigeon.ORIGIN not in gateway.checkout_origins()
    assert not ProviderEvent.objects.exists()


def test_without_its_line_in_the_settings_the_provider_does_not_exist(
    client: Client, db: Any
) -> None:
    with override_settings(PIGEON_SECRET="coo-coo"):
        refused = client.post("/webhooks/pigeon/", b"{}", content_type="application/json")
        assert refused.content == b"unknown provider"
        assert client.get("/donate/pigeon/SZ-AAAAAAAA/", follow=True).status_code == 404


def test_a_wrong_line_in_the_settings_is_reported_by_the_checks(tmp_path: Path) -> None:
    """As an operator meets it: `samizdat check` in a process of its own says what is wrong
    (the other providers still load), rather than failing while loading the site's URLs."""
    providers = ",".join([*DEFAULT_PROVIDERS, "samizdat.donations.providers.no_such"])
    env = {"SAMIZDAT_DEBUG": "1", "SAMIZDAT_DONATIONS_PROVIDERS": providers}
    result = run([SAMIZDAT, "check"], env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "samizdat.donations.E001" in output
    assert "cannot import 'samizdat.donations.providers.no_such'" in output
    assert "Traceback" not in output


def test_the_order_of_the_setting_is_the_order_readers_see(
    client: Client, with_pigeon: None, settings: Any, bank_account: AppealCurrency
) -> None:
    settings.DEBUG, settings.DONATIONS_DEMO = True, True
    settings.DONATIONS_PROVIDERS = ["tests.donations.pigeon", *reversed(DEFAULT_PROVIDERS)]
    page = client.get(
        "/donate/", {"language": "en", "frequency": "once", "currency": "EUR", "amount": "25"}
    ).content.decode()
    offered = [name for name in ("pigeon", "bank", "demo") if f'value="{name}"' in page]
    assert sorted(offered, key=lambda name: page.index(f'value="{name}"')) == [
        "pigeon", "bank", "demo",
    ]  # fmt: skip
    assert 'value="pigeon" required checked' in page  # the first is chosen for the reader


# What the built-in providers can do decides, not their names


def test_only_providers_with_a_webhook_answer_at_theirs(client: Client, db: Any) -> None:
    response = client.post("/webhooks/bank/", b"{}", content_type="application/json")
    assert response.status_code == 400 and response.content == b"bank has no webhook"
    assert not ProviderEvent.objects.exists()


def test_the_one_off_note_appears_only_where_one_off_providers_are_offered(
    client: Client, db: Any, settings: Any, bank_account: AppealCurrency
) -> None:
    query = {"language": "en", "frequency": "once", "currency": "EUR", "amount": "25"}
    settings.DEBUG, settings.DONATIONS_DEMO = True, True
    settings.DONATIONS_BANK_TRANSFER = False
    only_demo = client.get("/donate/", query).content.decode()
    assert 'value="demo"' in only_demo and "gifts only" not in only_demo
    settings.DONATIONS_BANK_TRANSFER = True
    with_bank = client.get("/donate/", query).content.decode()
    bank = with_bank[with_bank.index('value="bank"') :]
    assert "one-off gifts only" in bank[: bank.index("</span></span>")]
    assert "one-off gifts only" not in with_bank[: with_bank.index('value="bank"')]
