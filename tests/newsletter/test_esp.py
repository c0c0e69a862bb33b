"""Sending through a mail service with django-anymail: Postmark's real HTTP API shape, served
by a local HTTP server, and its bounce webhook."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from samizdat.newsletter import actions
from samizdat.newsletter.models import Delivery, Edition, EditionItem, Subscriber, Suppression


class FakePostmark(ThreadingHTTPServer):
    """Answers POST /email like Postmark's API and records what it got."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), PostmarkHandler)
        self.requests: list[dict[str, Any]] = []
        self.reject: set[str] = set()
        self.lock = threading.Lock()


class PostmarkHandler(BaseHTTPRequestHandler):
    server: FakePostmark

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append(
                {"path": self.path, "token": self.headers["X-Postmark-Server-Token"], **body}
            )
        if body["To"] in self.server.reject:
            message = (
                "You tried to send to a recipient that has been marked as inactive.\n"
                f"Found inactive addresses: {body['To']}.\n"
                "Inactive recipients are ones that have generated a hard bounce or a spam "
                "complaint. "
            )
            status, reply = 422, {"ErrorCode": 406, "Message": message}
        else:
            status, reply = (
                200,
                {
                    "To": body["To"],
                    "SubmittedAt": "2026-11-27T09:00:00.0000000Z",
                    "MessageID": str(uuid.uuid4()),
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def postmark(settings: Any) -> Iterator[FakePostmark]:
    server = FakePostmark()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "server-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{server.server_address[1]}/",
        "WEBHOOK_SECRET": "hook:secret",
    }
    settings.NEWSLETTER_CONNECTIONS = 1
    settings.NEWSLETTER_RETRY_DELAYS = [0.01]
    yield server
    server.shutdown()
    server.server_close()


def make_edition(newsroom: dict[str, Any], emails: list[str]) -> Edition:
    for email in emails:
        Subscriber.objects.create(email=email, language="en", status=Subscriber.Status.ACTIVE)
    edition = Edition.objects.create(language="en", subject="This week", intro="Hello.")
    EditionItem.objects.create(edition=edition, article=newsroom["lead"], sort_order=0)
    return edition


def test_an_edition_goes_out_through_the_mail_service_api(
    postmark: FakePostmark, newsroom: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    emails = ["ana@example.org", "boris@example.org", "gone@example.org"]
    postmark.reject.add("gone@example.org")
    edition = make_edition(newsroom, emails)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.send_edition(edition_id=edition.pk) == 3

    assert sorted(r["To"] for r in postmark.requests) == sorted(emails)
    request = next(r for r in postmark.requests if r["To"] == "ana@example.org")
    assert request["path"] == "/email" and request["token"] == "server-token"
    assert request["Subject"] == "This week"
    headers = {h["Name"]: h["Value"] for h in request["Headers"]}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = headers["List-Unsubscribe"].split(">")[0].lstrip("<")
    assert unsubscribe in request["HtmlBody"] and unsubscribe in request["TextBody"]
    assert newsroom["lead"].title in request["HtmlBody"]

    deliveries = {d.email: d for d in Delivery.objects.filter(edition=edition)}
    assert deliveries["ana@example.org"].status == Delivery.Status.SENT
    assert deliveries["ana@example.org"].provider_message_id  # Postmark's MessageID
    assert deliveries["gone@example.org"].status == Delivery.Status.FAILED
    assert "rejected" in deliveries["gone@example.org"].error
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_postmark_bounce_webhook_suppresses_the_address(
    postmark: FakePostmark, newsroom: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    edition = make_edition(newsroom, ["ana@example.org"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_edition(edition_id=edition.pk)
    delivery = Delivery.objects.get(edition=edition)
    event = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": delivery.provider_message_id,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "ana@example.org",
        "From": "newsletter@example.org",
        "BouncedAt": "2026-11-27T09:01:00Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "This week",
    }
    auth = "Basic " + base64.b64encode(b"hook:wrong").decode()
    refused = Client().post(
        "/webhooks/mail/postmark/", json.dumps(event), content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )  # fmt: skip
    assert refused.status_code in {400, 401, 403}
    assert not Suppression.objects.exists()

    auth = "Basic " + base64.b64encode(b"hook:secret").decode()
    response = Client().post(
        "/webhooks/mail/postmark/", json.dumps(event), content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )  # fmt: skip
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert Subscriber.objects.get(email="ana@example.org").status == Subscriber.Status.BOUNCED
    assert Suppression.objects.count() == 1
    # The next edition leaves the address out.
    second = Edition.objects.create(language="en", subject="Next week")
    EditionItem.objects.create(edition=second, article=newsroom["lead"], sort_order=0)
    assert actions.send_edition(edition_id=second.pk) == 0


def test_a_soft_bounce_marks_the_letter_but_keeps_the_subscriber(
    postmark: FakePostmark, newsroom: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    edition = make_edition(newsroom, ["full@example.org"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_edition(edition_id=edition.pk)
    delivery = Delivery.objects.get(edition=edition)
    event = {
        "RecordType": "Bounce",
        "ID": 42,
        "Type": "SoftBounce",
        "TypeCode": 4096,
        "MessageID": delivery.provider_message_id,
        "Description": "The server could not temporarily deliver your message (ex: Message is delayed due to network troubles).",
        "Details": "smtp;452 4.2.2 Mailbox full",
        "Email": "full@example.org",
        "BouncedAt": "2026-11-27T09:01:00Z",
    }
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()
    response = Client().post(
        "/webhooks/mail/postmark/", json.dumps(event), content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )  # fmt: skip
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert Subscriber.objects.get(email="full@example.org").status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.exists()
