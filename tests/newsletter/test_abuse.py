"""Forged reports, odd input and broken editions: none may hurt a reader or stop the newsletter."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from samizdat.newsletter import actions, inbound, sending
from samizdat.newsletter.models import Delivery, Edition, EditionItem, Subscriber, Suppression
from tests.newsletter.conftest import make_edition, make_subscribers
from tests.newsletter.smtp import SmtpServer
from tests.newsletter.test_inbound import dsn

HARD_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "ID": 1,
    "MessageID": "x",
    "Email": "victim@example.org",
    "BouncedAt": "2026-11-27T09:01:00Z",
}


def test_mail_service_webhooks_are_closed_without_a_shared_secret(
    newsletter_site: Any, settings: Any
) -> None:
    settings.ANYMAIL = {}
    Subscriber.objects.create(email="victim@example.org", language="en", status="active")
    response = Client().post(
        "/webhooks/mail/postmark/", json.dumps(HARD_BOUNCE), content_type="application/json"
    )
    assert response.status_code == 403
    assert Subscriber.objects.get().status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.exists()


def test_a_forged_bounce_report_cannot_suppress_an_address_we_did_not_write_to(
    newsletter_site: Any,
) -> None:
    victim = make_subscribers(1, prefix="victim")[0]
    report = dsn(
        recipient=victim.email,
        action="failed",
        status="5.1.1",
        diagnostic="550 5.1.1 <victim0@example.net>: Recipient address rejected",
        original_headers="Message-ID: <newsletter.999.999@example.org>\nSubject: hi\n",
    )
    assert "0 permanent" in inbound.receive(report)
    victim.refresh_from_db()
    assert victim.status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.exists()


def test_suppression_details_keep_no_address(newsletter_site: Any) -> None:
    actions.record_bounce(
        email="gone@example.org",
        kind="bounced",
        detail="5.1.1 smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected",
    )
    detail = Suppression.objects.get().detail
    assert "gone@example.org" not in detail and "Recipient address rejected" in detail


def test_an_internationalised_domain_is_stored_in_ascii() -> None:
    assert actions.normalise_email("Ivan@Почта.рф") == "ivan@xn--80a1acny.xn--p1ai"


def test_an_address_the_server_cannot_take_fails_alone(
    newsletter_site: Any, smtp_server: SmtpServer
) -> None:
    readers = make_subscribers(3)
    odd = Subscriber.objects.create(email="иван@example.org", language="en", status="active")
    edition = make_edition()
    actions.send_edition(edition_id=edition.pk)
    sending.send_pending(edition_id=edition.pk, connections=1)

    rows = {d.email: d for d in Delivery.objects.filter(edition=edition)}
    assert rows[odd.email].status == Delivery.Status.FAILED
    assert all(rows[r.email].status == Delivery.Status.SENT for r in readers)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_a_junk_proof_of_work_is_a_form_error_not_a_crash(newsletter_site: Any) -> None:
    for junk in ("null", "1", "[]", '{"number": "x"}'):
        response = Client().post(
            "/newsletter/subscribe/",
            {
                "email": "a@example.org",
                "language": "en",
                "consent": "yes",
                "altcha": base64.b64encode(junk.encode()).decode(),
            },
        )
        assert response.status_code == 400, junk
    assert not Subscriber.objects.exists()


def test_an_import_with_extra_cells_imports_the_rows(newsletter_site: Any) -> None:
    result = actions.import_subscribers(
        csv_text="email,language\na@example.org,en,\nb@example.org,ru,extra,cells\n",
        source="old list",
        previously_consented=True,
        default_language="en",
        policy_version=1,
    )
    assert (result.created, result.errors) == (2, [])


def test_a_broken_scheduled_edition_does_not_stop_the_others(
    newsletter_site: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.NEWSLETTER_CONNECTIONS = 1  # the test's transaction is visible to one connection
    make_subscribers(2)
    now = timezone.now()
    broken = make_edition()
    actions.schedule_edition(edition_id=broken.pk, send_at=now - timedelta(minutes=1))
    EditionItem.objects.filter(edition=broken).delete()  # its stories were removed
    good = make_edition()
    actions.schedule_edition(edition_id=good.pk, send_at=now - timedelta(minutes=2))

    with django_capture_on_commit_callbacks(execute=True):
        actions.run_schedule(now=now)

    broken.refresh_from_db()
    good.refresh_from_db()
    assert broken.status == Edition.Status.DRAFT
    assert good.status == Edition.Status.SENT
