"""Pigeon Pay: a payment provider that exists only in the test suite.

It is a package like the real providers (its client, its webhook, a page of its own and its
template) and is added through ``settings.DONATIONS_PROVIDERS`` alone: the tests that use it
prove a provider plugs in without a line changed in ``src``. Its "hosted checkout" is a page of
its own under /donate/; its server reports payments to /webhooks/pigeon/, signed with an
HMAC of the body.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import path, reverse

from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Donor,
    Event,
    EventKind,
    Frequency,
    InvalidEvent,
    Payment,
    Provider,
)

if TYPE_CHECKING:
    from django.urls import URLPattern

SIGNATURE_HEADER = "Pigeon-Signature"
ORIGIN = "https://pay.pigeon.example"


def sign(body: bytes) -> str:
    # Only the tests that plug Pigeon Pay in give this setting (override_settings); the stubs
    # know the names in the settings module alone.
    secret: str = settings.PIGEON_SECRET  # type: ignore[misc]
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PigeonProvider(Provider):
    name = "pigeon"
    label = "Carrier pigeon"
    admin_label = "Pigeon Pay"
    frequencies = (Frequency.ONCE.value, Frequency.MONTHLY.value)
    note = "Your gift flies within a day."

    def available(self) -> bool:
        return bool(getattr(settings, "PIGEON_SECRET", ""))

    def checkout_origins(self) -> list[str]:
        return [ORIGIN]

    def urlpatterns(self) -> list[URLPattern]:
        from tests.donations.pigeon import views

        return [path("pigeon/<str:reference>/", views.checkout, name="pigeon_checkout")]

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        from tests.donations.pigeon import views

        views.STARTED[request.reference] = request
        return CheckoutResult(
            redirect_url=reverse("donations:pigeon_checkout", args=[request.reference]),
            provider_reference=request.reference,
        )

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        given = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
        if not hmac.compare_digest(sign(body), str(given)):
            raise InvalidEvent("bad pigeon signature")
        raw = json.loads(body)
        return [
            Event(
                provider=self.name,
                event_id=raw["id"],
                type=raw["type"],
                occurred_at=datetime.datetime.fromtimestamp(raw["created"], tz=datetime.UTC),
                kind=EventKind.PAYMENT_SUCCEEDED,
                donor=Donor(email=raw["email"], language=raw["language"]),
                payment=Payment(
                    payment_id=raw["payment_id"],
                    amount=raw["amount"],
                    currency=raw["currency"],
                    frequency=raw["frequency"],
                    reference=raw["reference"],
                ),
                payload=raw,
            )
        ]


provider = PigeonProvider()
