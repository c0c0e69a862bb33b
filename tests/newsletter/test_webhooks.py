"""Bounce and complaint events from mail services, at ``/webhooks/mail/<esp>/``, in each
service's own webhook format, verified by django-anymail."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client

from samizdat.newsletter import actions
from samizdat.newsletter.models import (
    Delivery,
    Edition,
    EditionItem,
    Subscriber,
    Suppression,
    email_hash,
)

if TYPE_CHECKING:
    from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-mailgun-webhook-signing-0123456789"
BASIC_AUTH = "anymail:s3cret-webhook-pass"
GONE = "gone@example.org"
STAYS = "stays@example.org"


@pytest.fixture(autouse=True)
def anymail_settings(settings: Any) -> None:
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC_AUTH}


@pytest.fixture
def letters(
    newsroom: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> dict[str, Delivery]:
    """An edition that went out to two subscribers; their deliveries by address."""
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_TASKS = 1
    for address in (GONE, STAYS):
        Subscriber.objects.create(email=address, language="en", status=Subscriber.Status.ACTIVE)
    edition = Edition.objects.create(language="en", subject="This week")
    EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_edition(edition_id=edition.pk)
    assert len(mail.outbox) == 2
    return {d.email: d for d in Delivery.objects.filter(status=Delivery.Status.SENT)}


def message_id_of(address: str) -> str:
    (letter,) = [m for m in mail.outbox if m.to == [address]]
    return str(letter.extra_headers["Message-ID"])


def basic_auth(credentials: str = BASIC_AUTH) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def mailgun_signature(key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp = str(int(time.time()))
    token = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    digest = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": digest}


def mailgun_event(event: str, recipient: str, message_id: str, **extra: Any) -> dict[str, Any]:
    """Mailgun's webhook JSON (event-data as in Mailgun's documentation)."""
    return {
        "event": event,
        "id": "G9Bn5sl1TC6nu79C8C0bwg",
        "timestamp": time.time(),
        "log-level": "error" if event == "failed" else "warn",
        "recipient": recipient,
        "recipient-domain": recipient.split("@")[1],
        "envelope": {"sender": "bounces@lantern.example", "transport": "smtp"},
        "message": {
            "headers": {
                "to": recipient,
                "message-id": message_id.strip("<>"),
                "from": "The Lantern <newsletter@lantern.example>",
                "subject": "This week",
            },
            "attachments": [],
            "size": 4120,
        },
        "tags": [],
        "user-variables": {},
        "flags": {"is-routed": False, "is-authenticated": True, "is-test-mode": False},
        **extra,
    }


def post_mailgun(
    client: Client, event_data: dict[str, Any], *, key: str = SIGNING_KEY,
    auth: dict[str, str] | None = None,
) -> ClientResponse:  # fmt: skip
    payload = {"signature": mailgun_signature(key), "event-data": event_data}
    return client.post(
        "/webhooks/mail/mailgun/",
        data=json.dumps(payload),
        content_type="application/json",
        headers=basic_auth() if auth is None else auth,
    )


def permanent_failure(recipient: str, message_id: str) -> dict[str, Any]:
    return mailgun_event(
        "failed", recipient, message_id,
        severity="permanent",
        reason="bounce",
        **{"delivery-status": {
            "code": 550,
            "attempt-no": 1,
            "message": "5.1.1 The email account that you tried to reach does not exist.",
            "description": "",
            "mx-host": "mx.example.org",
            "tls": True,
            "session-seconds": 0.4,
        }},
    )  # fmt: skip


def test_mailgun_permanent_failure_bounces_the_subscriber(
    client: Client, letters: dict[str, Delivery]
) -> None:
    response = post_mailgun(client, permanent_failure(GONE, message_id_of(GONE)))
    assert response.status_code == 200

    gone = Subscriber.objects.get(email=GONE)
    assert gone.status == Subscriber.Status.BOUNCED
    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash(GONE)
    assert suppression.reason == "bounced"
    assert "Mailgun" in suppression.detail
    delivery = Delivery.objects.get(pk=letters[GONE].pk)
    assert delivery.status == Delivery.Status.BOUNCED
    assert Delivery.objects.get(pk=letters[STAYS].pk).status == Delivery.Status.SENT
    assert Subscriber.objects.get(email=STAYS).status == Subscriber.Status.ACTIVE


def test_mailgun_temporary_failure_changes_nothing(
    client: Client, letters: dict[str, Delivery]
) -> None:
    event = permanent_failure(GONE, message_id_of(GONE))
    event["severity"] = "temporary"
    assert post_mailgun(client, event).status_code == 200
    assert Subscriber.objects.get(email=GONE).status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.exists()


def test_mailgun_complaint_marks_the_subscriber(
    client: Client, letters: dict[str, Delivery]
) -> None:
    response = post_mailgun(client, mailgun_event("complained", GONE, message_id_of(GONE)))
    assert response.status_code == 200
    assert Subscriber.objects.get(email=GONE).status == Subscriber.Status.COMPLAINED
    assert Suppression.objects.get().reason == "complained"


@pytest.mark.parametrize(
    ("key", "auth"),
    [
        ("key-somebody-else", None),  # wrong signature
        (SIGNING_KEY, {}),  # no basic auth
        (SIGNING_KEY, basic_auth("anymail:guessed")),  # wrong basic auth
    ],
    ids=["bad-signature", "no-basic-auth", "wrong-basic-auth"],
)
def test_unverified_mailgun_events_are_refused(
    client: Client, letters: dict[str, Delivery], key: str, auth: dict[str, str] | None
) -> None:
    response = post_mailgun(
        client, permanent_failure(GONE, message_id_of(GONE)), key=key, auth=auth
    )
    assert not 200 <= response.status_code < 300
    assert response.status_code == 400
    assert not Suppression.objects.exists()
    assert set(Subscriber.objects.values_list("status", flat=True)) == {"active"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_unknown_mail_service_is_not_found(client: Client, db: Any) -> None:
    # The view answers 404; Django's LocaleMiddleware turns a 404 outside the language
    # prefix into a redirect to /en/…, which is not found either.
    response = client.post(
        "/webhooks/mail/no-such-esp/", data="{}", content_type="application/json",
        headers=basic_auth(), follow=True,
    )  # fmt: skip
    assert response.status_code == 404
    assert all(300 <= status < 400 for _url, status in response.redirect_chain)
    assert client.get("/webhooks/mail/mailgun/").status_code == 405


def test_postmark_hard_bounce(client: Client, letters: dict[str, Delivery]) -> None:
    """Postmark signs nothing: basic auth is its only check."""
    postmark_id = "883953f4-6105-42a2-a16a-77a8eac79483"
    Delivery.objects.filter(pk=letters[GONE].pk).update(provider_message_id=postmark_id)
    event = {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": postmark_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": GONE,
        "From": "newsletter@lantern.example",
        "BouncedAt": "2026-12-04T07:00:05.0000000Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "This week",
    }
    refused = client.post(
        "/webhooks/mail/postmark/", data=json.dumps(event), content_type="application/json"
    )
    assert refused.status_code == 400
    assert not Suppression.objects.exists()

    response = client.post(
        "/webhooks/mail/postmark/", data=json.dumps(event), content_type="application/json",
        headers=basic_auth(),
    )  # fmt: skip
    assert response.status_code == 200
    assert Subscriber.objects.get(email=GONE).status == Subscriber.Status.BOUNCED
    assert Suppression.objects.filter(email_hash=email_hash(GONE)).exists()
    assert Delivery.objects.get(pk=letters[GONE].pk).status == Delivery.Status.BOUNCED
