"""The donation pages take any request: the donate page (any query, any form), "remind me
later", the thank-you page, "manage my gift" and its link, the bank transfer's page and the
demo provider's pages. Never a 5xx, every refusal says why, and a refused request records
no gift and mails nobody."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import signing
from hypothesis import example, given
from hypothesis import strategies as st

from samizdat.donations.actions import open_manage_link
from samizdat.donations.models import Donation, RecurringGift
from samizdat.donations.providers.bank.provider import SALT as BANK_SALT
from samizdat.donations.providers.base import CheckoutRequest
from samizdat.donations.providers.demo.provider import MANAGE_SALT as DEMO_MANAGE_SALT
from samizdat.donations.providers.demo.provider import checkout_token
from tests.properties import strategies as s
from tests.properties.harness import (
    budget,
    client,
    mangle,
    one_example,
    send,
    token_url,
    url,
)

pytestmark = pytest.mark.django_db

PROVIDERS = ["stripe", "btcpay", "bank", "demo", "pigeon", ""]
GIFT = {
    "language": "en",
    "frequency": "once",
    "currency": "EUR",
    "custom_amount": "10",
    "provider": "bank",
    "email": "donor@example.org",
    "name": "Olga Petrova",
}
DONOR = "donor@example.org"


def gift_fields() -> st.SearchStrategy[dict[str, Any]]:
    """A gift as the donate form sends it, with any provider, frequency and currency, and
    then one to three fields changed."""
    valid = st.fixed_dictionaries(
        {
            "provider": st.sampled_from(PROVIDERS),
            "frequency": st.sampled_from(["once", "monthly", "annual"]),
            "currency": st.sampled_from(["EUR", "USD", "RUB", "JPY", "KWD", "eur", "XAU"]),
            "custom_amount": st.sampled_from(["10", "7,50", "0.001", "100000000", "5"]),
        }
    )
    return valid.flatmap(lambda base: s.mutated({**GIFT, **base}, ["amount", "anonymous"]))


def _headers(origin: str | None) -> dict[str, str]:
    return {"Origin": origin} if origin is not None else {}


@given(data=gift_fields(), origin=s.origin)
@example(data={**GIFT, "custom_amount": "1e309"}, origin=None)
@example(data={**GIFT, "custom_amount": "9" * 20}, origin=None)
@example(data={**GIFT, "name": "Olga\r\nBcc: x@example.org"}, origin=None)
@example(data={**GIFT, "frequency": "monthly", "email": ""}, origin=None)
@example(data={**GIFT, "provider": "stripe", "currency": "KWD", "custom_amount": "5.555"},
         origin=None)  # fmt: skip
@example(data=GIFT, origin="null")
@example(data=GIFT, origin="http://evil.example")
@budget(1.5)
def test_any_gift_posted_is_answered_and_a_refused_one_records_nothing(
    providers: Any, data: dict[str, Any], origin: str | None
) -> None:
    with one_example():
        response = send(
            "donations:donate POST",
            lambda: client().post(url("donations:donate"), data, headers=_headers(origin)),
        )
        if response.status_code == 303:  # off to the checkout: at most a pledge recorded
            assert Donation.objects.exclude(status=Donation.Status.PENDING).count() == 0


@given(query=gift_fields(), accept_language=s.accept_language)
@example(query={"frequency": "once", "cancelled": "1"}, accept_language="ru")
@budget(1)
def test_the_donate_page_opens_with_any_query(
    providers: Any, query: dict[str, Any], accept_language: str
) -> None:
    path = url("donations:donate") + "?" + urlencode(query, doseq=True)
    with one_example():
        response = send(
            "donations:donate GET",
            lambda: client().get(path, headers={"Accept-Language": accept_language}),
        )
        assert not response.cookies


@given(language=s.text, query=s.mutated({"frequency": "monthly", "currency": "USD"}))
@budget(0.3)
def test_the_donate_page_in_a_language_opens_with_any_query(
    providers: Any, language: str, query: dict[str, Any]
) -> None:
    from django.conf import settings

    code = settings.LANGUAGES[-1][0]
    path = url("donations:donate_in", code) + "?" + urlencode(query, doseq=True)
    with one_example():
        send("donations:donate_in GET", lambda: client().get(path))


@given(method=st.sampled_from(["GET", "POST", "PUT", "HEAD"]),
       data=s.mutated({"language": "ru", "next": "/ru/news/"}), origin=s.origin)  # fmt: skip
@example(method="POST", data={"next": "//evil.example/"}, origin=None)
@example(method="POST", data={"next": "/\\evil.example/"}, origin=None)
@example(method="POST", data={"next": "/\r\nSet-Cookie: x=1"}, origin=None)
@budget(1)
def test_remind_me_later_takes_any_form_and_stays_on_the_site(
    public_site: Any, method: str, data: dict[str, Any], origin: str | None
) -> None:
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        response = send(
            f"donations:remind_later {method}",
            lambda: call(url("donations:remind_later"), data, headers=_headers(origin)),
        )
        if response.status_code == 303:
            location = response["Location"]
            assert location.startswith("/") and not location.startswith(("//", "/\\"))
            assert "\n" not in location and "\r" not in location


@given(query=s.mutated({"language": "ru"}), accept_language=s.accept_language)
@budget(0.5)
def test_the_thank_you_page_opens_with_any_query(
    public_site: Any, query: dict[str, Any], accept_language: str
) -> None:
    path = url("donations:thanks") + "?" + urlencode(query, doseq=True)
    with one_example():
        send(
            "donations:thanks GET",
            lambda: client().get(path, headers={"Accept-Language": accept_language}),
        )


@given(method=st.sampled_from(["GET", "POST", "POST", "PUT"]),
       data=s.mutated({"email": DONOR, "language": "en"}), origin=s.origin)  # fmt: skip
@example(method="POST", data={"email": "x" * 10_000}, origin=None)
@example(method="POST", data={"email": "donor@example.org\x00"}, origin=None)
@budget(1)
def test_any_manage_request_is_answered_and_a_refused_one_mails_nobody(
    providers: Any, method: str, data: dict[str, Any], origin: str | None
) -> None:
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        _gift()
        send(
            f"donations:manage {method}",
            lambda: call(url("donations:manage"), data, headers=_headers(origin)),
        )


def _gift() -> RecurringGift:
    return RecurringGift.objects.create(
        provider="stripe", provider_gift_id="sub_test_1", provider_customer_id="cus_test_1",
        frequency="monthly", amount=1000, currency="EUR", status=RecurringGift.Status.ACTIVE,
        email=DONOR, language="en",
    )  # fmt: skip


@given(method=st.sampled_from(["GET", "POST", "PUT"]), how=st.integers(0, 9), text=s.text,
       gift=st.one_of(s.text, st.just("GIFT")), origin=s.origin)  # fmt: skip
@example(method="POST", how=2, text="", gift="GIFT", origin=None)
@example(method="POST", how=2, text="", gift="99999999999999999999999", origin=None)
@budget(1)
def test_any_manage_link_is_answered_and_only_the_donors_own_gift_opens(
    providers: Any, method: str, how: int, text: str, gift: str, origin: str | None
) -> None:
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        mine = _gift()
        token = mangle(open_manage_link(email=DONOR, language="en"), how, text)
        chosen = str(mine.pk) if gift == "GIFT" else gift
        path = token_url("donations:manage_gifts", token)
        response = send(
            f"donations:manage_gifts {method}",
            lambda: call(path, {"gift": chosen}, headers=_headers(origin)),
        )
        if response.status_code == 303:
            assert gift == "GIFT"


@given(how=st.integers(0, 9), text=s.text, query=s.mutated({}))
@budget(0.5)
def test_any_bank_transfer_page_is_answered(
    providers: Any, how: int, text: str, query: dict[str, Any]
) -> None:
    with one_example():
        reference = "SZ-ABCDEFGH"
        Donation.objects.create(provider="bank", provider_payment_id=reference, reference=reference,
                                frequency="once", amount=1000, currency="EUR", language="en")  # fmt: skip
        token = mangle(signing.dumps(reference, salt=BANK_SALT), how, text)
        path = token_url("donations:transfer", token, **query)
        send("donations:transfer GET", lambda: client().get(path))


def _checkout_request(email: str) -> CheckoutRequest:
    return CheckoutRequest(
        reference="SZ-ABCDEFGH", frequency="once", amount=1000, currency="EUR", language="en",
        email=email, name="", success_url="/donate/thanks/", cancel_url="/donate/",
    )  # fmt: skip


@given(method=st.sampled_from(["GET", "POST", "PUT"]), how=st.integers(0, 9), text=s.text)
@example(method="POST", how=2, text="")
@budget(0.5)
def test_the_demo_checkout_answers_any_link(
    public_site: Any, settings: Any, method: str, how: int, text: str
) -> None:
    settings.DEBUG = True
    settings.DONATIONS_DEMO = True
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        token = mangle(checkout_token(_checkout_request(DONOR)), how, text)
        send(
            f"donations:demo_checkout {method}",
            lambda: call(token_url("donations:demo_checkout", token)),
        )


@given(method=st.sampled_from(["GET", "POST", "PUT"]), how=st.integers(0, 9), text=s.text)
@budget(0.5)
def test_the_demo_gift_page_answers_any_link(
    public_site: Any, settings: Any, method: str, how: int, text: str
) -> None:
    settings.DEBUG = True
    settings.DONATIONS_DEMO = True
    reader = client()
    call = getattr(reader, method.lower())
    with one_example():
        gift = RecurringGift.objects.create(
            provider="demo", provider_gift_id="demo_sub_1", frequency="monthly", amount=1000,
            currency="EUR", status=RecurringGift.Status.ACTIVE, email=DONOR, language="en",
        )  # fmt: skip
        token = mangle(
            signing.dumps({"gift": gift.pk, "return": "/donate/"}, salt=DEMO_MANAGE_SALT), how, text
        )
        send(
            f"donations:demo_manage {method}",
            lambda: call(token_url("donations:demo_manage", token)),
        )
