"""The demo provider: a local page that says "demo — no money moves" and, when the reader
clicks "Pay", sends itself a signed event through the same webhook path real providers use.

It exists for ``make demo`` and refuses to work unless ``SAMIZDAT_DEBUG`` is on.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import path, reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from samizdat.donations.providers.base import (
    CheckoutRequest,
    CheckoutResult,
    Donor,
    Event,
    EventKind,
    Frequency,
    Gift,
    InvalidEvent,
    Payment,
    Provider,
)

if TYPE_CHECKING:
    from django.urls import URLPattern

    from samizdat.donations.models import RecurringGift

SALT = "samizdat.donations.demo"
# Each kind of link has its own, so one is never read as the other.
CHECKOUT_SALT = f"{SALT}.checkout"
MANAGE_SALT = f"{SALT}.manage"
SIGNATURE_HEADER = "Samizdat-Demo-Signature"
TOLERANCE = 300


def _require_debug() -> None:
    if not settings.DEBUG:
        raise ImproperlyConfigured("The demo payment provider only runs with SAMIZDAT_DEBUG on.")


def _key() -> bytes:
    return salted_hmac(SALT, "webhook").digest()


def sign(body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(_key(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_token(request: CheckoutRequest) -> str:
    return signing.dumps(request.__dict__, salt=CHECKOUT_SALT, compress=True)


def read_checkout_token(token: str) -> dict[str, Any] | None:
    _require_debug()
    try:
        return dict(signing.loads(token, salt=CHECKOUT_SALT, max_age=60 * 60 * 24))
    except signing.BadSignature:
        return None


def read_manage_token(token: str) -> dict[str, Any] | None:
    _require_debug()
    try:
        return dict(signing.loads(token, salt=MANAGE_SALT, max_age=60 * 60))
    except signing.BadSignature:
        return None


def event_body(kind: str, data: dict[str, Any]) -> bytes:
    """A demo event: what the demo checkout posts to the webhook path."""
    return json.dumps(
        {
            "id": "demo_evt_" + secrets.token_hex(8),
            "type": kind,
            "created": int(time.time()),
            "data": data,
        }
    ).encode()


class DemoProvider(Provider):
    name = "demo"
    label = _("Demo payment (no money moves)")
    admin_label = _("Demo")
    frequencies = (Frequency.ONCE.value, Frequency.MONTHLY.value, Frequency.ANNUAL.value)
    moves_money = False

    def available(self) -> bool:
        return bool(settings.DEBUG and settings.DONATIONS_DEMO)

    def urlpatterns(self) -> list[URLPattern]:
        from samizdat.donations.providers.demo import views

        return [
            path("demo/manage/<str:token>/", views.manage, name="demo_manage"),
            path("demo/<str:token>/", views.checkout, name="demo_checkout"),
        ]

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        _require_debug()
        token = checkout_token(request)
        return CheckoutResult(
            redirect_url=reverse("donations:demo_checkout", args=[token]),
            provider_reference=request.reference,
        )

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        _require_debug()
        header = headers.get(SIGNATURE_HEADER, "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        timestamp_text = parts.get("t", "")
        if not (timestamp_text.isdigit() and len(timestamp_text) <= 12):
            raise InvalidEvent("no demo signature")
        timestamp = int(timestamp_text)
        if abs(time.time() - timestamp) > TOLERANCE:
            raise InvalidEvent("stale demo signature")
        if not hmac.compare_digest(sign(body, timestamp), header):
            raise InvalidEvent("bad demo signature")
        try:
            raw = json.loads(body)
            data = raw["data"]
            occurred = datetime.datetime.fromtimestamp(raw["created"], tz=datetime.UTC)
            donor = Donor(email=data.get("email", ""), name=data.get("name", ""),
                          language=data.get("language", ""))  # fmt: skip
            kind = raw["type"]
            if kind == "payment.succeeded":
                gift = None
                if data["frequency"] != Frequency.ONCE:
                    gift = Gift(gift_id=data["gift_id"], frequency=data["frequency"],
                                amount=data["amount"], currency=data["currency"],
                                status="active", reference=data["reference"])  # fmt: skip
                payment = Payment(payment_id=data["payment_id"], amount=int(data["amount"]),
                                  currency=data["currency"], frequency=data["frequency"],
                                  reference=data["reference"],
                                  gift_id=data.get("gift_id", ""))  # fmt: skip
                return [Event(provider=self.name, event_id=raw["id"], type=kind,
                              occurred_at=occurred, kind=EventKind.PAYMENT_SUCCEEDED,
                              donor=donor, payment=payment, gift=gift, payload=raw)]  # fmt: skip
            if kind == "gift.cancelled":
                gift = Gift(gift_id=data["gift_id"], frequency=data["frequency"],
                            amount=int(data["amount"]), currency=data["currency"],
                            status="cancelled", cancelled_at=occurred)  # fmt: skip
                return [Event(provider=self.name, event_id=raw["id"], type=kind,
                              occurred_at=occurred, kind=EventKind.GIFT_CANCELLED,
                              donor=donor, gift=gift, payload=raw)]  # fmt: skip
            return [Event(provider=self.name, event_id=raw["id"], type=kind,
                          occurred_at=occurred, kind=EventKind.IGNORED, payload=raw)]  # fmt: skip
        except (ValueError, KeyError, TypeError, OverflowError, OSError, RecursionError) as error:
            raise InvalidEvent(f"not a demo event: {type(error).__name__}") from None

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        _require_debug()
        token = signing.dumps({"gift": gift.pk, "return": return_url}, salt=MANAGE_SALT)
        return reverse("donations:demo_manage", args=[token])
