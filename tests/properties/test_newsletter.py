"""The newsletter's public endpoints take any request: signup, confirm, unsubscribe, the
proof-of-work puzzle and the ping. Never a 5xx, every refusal says why, a refused request
stores nothing and mails nobody."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from samizdat.newsletter.actions import issue_confirm_token
from samizdat.newsletter.mail import unsubscribe_token
from samizdat.newsletter.models import Consent, Subscriber, email_hash
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

SIGNUP = {"email": "reader@example.org", "language": "en", "consent": "yes", "form": "article"}
METHODS = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]
MOSTLY_GET = st.one_of(st.just("GET"), st.sampled_from(METHODS))


def request(method: str, path: str, data: Any = None, **extra: Any) -> Any:
    """A request with any method through the test client."""
    reader = client()
    call = getattr(reader, method.lower())
    if method in ("GET", "HEAD"):
        return call(path, data or {}, **extra)
    if isinstance(data, bytes):
        return call(path, data, **extra)
    return call(path, data or {}, **extra)


def form_post(path: str, data: dict[str, Any], origin: str | None, content_type: str | None) -> Any:
    """The form posted as a browser does, or its fields under any Content-Type."""
    headers = {"Origin": origin} if origin is not None else {}
    if content_type is None:
        return client().post(path, data, headers=headers)
    body = urlencode(data, doseq=True).encode()
    return client().generic("POST", path, body, content_type=content_type, headers=headers)


@given(
    data=s.mutated(SIGNUP, ["website", "altcha"]),
    origin=s.origin,
    content_type=st.one_of(st.none(), st.none(), s.content_type),
)
@example(data={**SIGNUP, "email": "reader\x00@example.org"}, origin=None, content_type=None)
@example(data={**SIGNUP, "email": "a" * 300 + "@example.org"}, origin=None, content_type=None)
@example(data={**SIGNUP, "altcha": "e30="}, origin=None, content_type=None)
@example(data=SIGNUP, origin="null", content_type=None)
@example(data=SIGNUP, origin="http://evil.example", content_type=None)
@example(data=SIGNUP, origin="http://[bad", content_type=None)  # was a 500
@budget(2)
def test_any_signup_is_answered_and_a_refused_one_stores_nothing(
    public_site: Any, data: dict[str, Any], origin: str | None, content_type: str | None
) -> None:
    with one_example():
        response = send(
            "newsletter:subscribe POST",
            lambda: form_post(url("newsletter:subscribe"), data, origin, content_type),
        )
        if response.status_code == 200:  # accepted: at most this one address, pending
            assert Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).count() == 0


@given(method=st.sampled_from(METHODS), query=s.mutated({"language": "ru"}))
@budget(0.5)
def test_signup_with_any_other_method_is_answered(
    public_site: Any, method: str, query: dict[str, Any]
) -> None:
    if method == "POST":
        method = "PUT"
    with one_example():
        send(
            f"newsletter:subscribe {method}",
            lambda: request(method, url("newsletter:subscribe"), query),
        )


def _pending() -> Subscriber:
    address = "pending@example.org"
    subscriber = Subscriber.objects.create(
        email=address, email_hash=email_hash(address), language="ru", source="test"
    )
    Consent.objects.create(
        subscriber=subscriber, policy_version=1, wording="yes", form="article", language="ru"
    )
    return subscriber


@given(method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]), how=st.integers(0, 9),
       text=s.text, origin=s.origin)  # fmt: skip
@example(method="POST", how=0, text="1:abc:def", origin=None)
@example(method="GET", how=0, text="\x00", origin=None)
@example(method="POST", how=0, text="", origin=None)
@budget(1.5)
def test_any_confirmation_link_is_answered_and_a_forged_one_changes_nothing(
    public_site: Any, method: str, how: int, text: str, origin: str | None
) -> None:
    with one_example():
        subscriber = _pending()
        genuine = issue_confirm_token(subscriber_id=subscriber.pk)
        assert genuine is not None
        token = mangle(genuine, how, text)
        headers = {"Origin": origin} if origin is not None else {}
        send(
            f"newsletter:confirm {method}",
            lambda: request(method, token_url("newsletter:confirm", token), headers=headers),
        )
        subscriber.refresh_from_db()
        if token != genuine or method != "POST":
            assert subscriber.status == Subscriber.Status.PENDING


@given(method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]), how=st.integers(0, 9),
       text=s.text, origin=s.origin)  # fmt: skip
@example(method="POST", how=0, text="99999999999999999999999:x", origin=None)
@example(method="POST", how=0, text="", origin=None)
@budget(1.5)
def test_any_unsubscribe_link_is_answered_and_a_forged_one_changes_nothing(
    public_site: Any, method: str, how: int, text: str, origin: str | None
) -> None:
    with one_example():
        subscriber = _pending()
        genuine = unsubscribe_token(subscriber.pk)
        token = mangle(genuine, how, text)
        headers = {"Origin": origin} if origin is not None else {}
        send(
            f"newsletter:unsubscribe {method}",
            lambda: request(method, token_url("newsletter:unsubscribe", token), headers=headers),
        )
        subscriber.refresh_from_db()
        if token != genuine or method != "POST":
            assert subscriber.status == Subscriber.Status.PENDING


@given(method=MOSTLY_GET, query=s.mutated({}), origin=s.origin)
@budget(0.5)
def test_the_puzzle_is_served_to_anyone(
    public_site: Any, method: str, query: dict[str, Any], origin: str | None
) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    with one_example():
        response = send(
            f"newsletter:challenge {method}",
            lambda: request(method, url("newsletter:challenge"), query, headers=headers),
        )
        if method == "GET":
            assert response.status_code == 200
            assert {"challenge", "salt", "signature"} <= set(response.json())


@given(method=MOSTLY_GET, query=s.mutated({}), origin=s.origin)
@budget(0.5)
def test_the_ping_answers_anyone(
    method: str, query: dict[str, Any], origin: str | None, db: Any
) -> None:
    headers = {"Origin": origin} if origin is not None else {}
    with one_example():
        response = send(
            f"newsletter:ping {method}",
            lambda: request(method, url("newsletter:ping"), query, headers=headers),
        )
        if method == "GET":
            assert response.status_code == 204
