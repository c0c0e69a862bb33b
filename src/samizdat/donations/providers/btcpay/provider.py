"""BTCPay Server, through its Greenfield API: one-off gifts in bitcoin and other crypto.

A gift is a BTCPay invoice in our store, priced in the reader's currency; the reader pays on
BTCPay's checkout page. BTCPay's webhooks tell us when an invoice changes state; we do not
take the webhook's word for what was paid but ask the Greenfield API for the invoice, and record
what the invoice says: ``Settled`` is a paid gift, ``Processing`` (paid, waiting for block
confirmations) a pending one, ``Invalid`` a failed one. Invoices that expire unpaid leave no
record. Invoices we did not create (no samizdat reference in their metadata, e.g. a BTCPay
point-of-sale app in the same store) are ignored.

Webhooks are signed with ``BTCPay-Sig: sha256=<HMAC-SHA256(secret, body)>`` and carry no
timestamp, so a captured delivery could be replayed at any time. Replays are harmless: the
event log is keyed by the original delivery id (a redelivery counts once), the Donation is keyed
by the invoice id and only moves forward, and what is recorded comes from the API, not the body.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from samizdat.core.logs import redact
from samizdat.donations import money
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
    ProviderError,
)

if TYPE_CHECKING:
    from samizdat.donations.models import RecurringGift

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "BTCPay-Sig"
# The languages of BTCPay's checkout page (its wwwroot/locales/checkout/*.json); "en" is its
# own default.
CHECKOUT_LANGUAGES = (
    "am-ET", "ar", "az", "bg-BG", "bs-BA", "ca-ES", "cs-CZ", "da-DK", "de-DE", "el-GR", "en",
    "es-ES", "fa", "fi-FI", "fr-FR", "he", "hi", "hr-HR", "hu-HU", "hy", "id", "is-IS", "it-IT",
    "ja-JP", "ka", "kk-KZ", "ko", "lv", "nl-NL", "no", "np-NP", "pl", "pt-BR", "pt-PT", "ro",
    "ru-RU", "sk-SK", "sl-SI", "sr", "sv", "th-TH", "tr", "uk-UA", "vi-VN", "zh-SG", "zh-SP",
    "zh-TW", "zu",
)  # fmt: skip
# What the invoice's own status means for the gift; other statuses (New, Expired) record nothing.
STATUS_KINDS = {
    "Settled": EventKind.PAYMENT_SUCCEEDED,
    "Processing": EventKind.PAYMENT_PENDING,
    "Invalid": EventKind.PAYMENT_FAILED,
}
# Webhook types that make us look at the invoice; all others are logged and ignored.
INVOICE_EVENTS = {"InvoiceSettled", "InvoiceProcessing", "InvoiceInvalid"}


def signature(secret: str, body: bytes) -> str:
    """The ``BTCPay-Sig`` header BTCPay sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return str(value)
    return ""


def _unreachable() -> ProviderError:
    return ProviderError(
        _(
            "The crypto payment service is not answering. Nothing was charged; please try "
            "again in a moment or choose another way to pay."
        )
    )


def _error_code(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("code", "")) if isinstance(data, dict) else ""


def _answer_text(response: requests.Response) -> str:
    """A short version of an error answer, for the log, without the addresses it may quote."""
    return redact(_answer_summary(response))


def _answer_summary(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(data, list):  # Greenfield's validation errors: [{"path", "message"}]
        return "; ".join(
            f"{item.get('path')}: {item.get('message')}" for item in data if isinstance(item, dict)
        )[:500]
    if isinstance(data, dict):  # Greenfield's other errors: {"code", "message"}
        return f"{data.get('code')}: {data.get('message')}"[:500]
    return str(data)[:300]


def checkout_language(language: str) -> str:
    """BTCPay's name for ``language``: "ru" → "ru-RU", "pt" → "pt-PT", "pt-br" → "pt-BR".

    "en" (BTCPay's own) for a language its checkout does not speak.
    """
    wanted = language.lower()
    base = wanted.split("-")[0]
    by_lower = {code.lower(): code for code in CHECKOUT_LANGUAGES}
    regional = [code for code in CHECKOUT_LANGUAGES if code.lower().startswith(base + "-")]
    same_region = f"{base}-{base}"
    return (
        by_lower.get(wanted)
        or by_lower.get(base)
        or by_lower.get(same_region)
        or (regional[0] if regional else "en")
    )


def _settings() -> tuple[str, str, str, str]:
    return (
        settings.BTCPAY_URL,
        settings.BTCPAY_API_KEY,
        settings.BTCPAY_STORE_ID,
        settings.BTCPAY_WEBHOOK_SECRET,
    )


class BTCPayProvider(Provider):
    name = "btcpay"
    label = gettext_lazy("Bitcoin and other crypto (BTCPay)")
    admin_label = "BTCPay Server"
    frequencies: tuple[str, ...] = (Frequency.ONCE.value,)

    def available(self) -> bool:
        return all(_settings())

    def checkout_origins(self) -> list[str]:
        parts = urlsplit(settings.BTCPAY_CHECKOUT_ORIGIN or settings.BTCPAY_URL)
        return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []

    def checks(self) -> list[CheckMessage]:
        if any(_settings()) and not all(_settings()):
            return [
                Warning(
                    "BTCPay is partly configured: set SAMIZDAT_BTCPAY_URL, _API_KEY, _STORE_ID "
                    "and _WEBHOOK_SECRET, or none of them. It is not offered to readers until "
                    "then.",
                    id="samizdat.donations.W002",
                )
            ]
        return []

    # The Greenfield API

    def _invoices_url(self, invoice_id: str = "") -> str:
        url = f"{settings.BTCPAY_URL.rstrip('/')}/api/v1/stores/"
        url += quote(settings.BTCPAY_STORE_ID, safe="") + "/invoices"
        return url + (f"/{quote(invoice_id, safe='')}" if invoice_id else "")

    def _call(self, method: str, url: str, payload: dict[str, Any] | None = None) -> Any:
        """One Greenfield request; its JSON answer, or ProviderError (details in the log)."""
        try:
            response = requests.request(
                method,
                url,
                json=payload,
                headers={
                    "Authorization": f"token {settings.BTCPAY_API_KEY}",
                    "Accept": "application/json",
                },
                timeout=settings.DONATIONS_PROVIDER_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            logger.warning("BTCPay %s %s failed: %s", method, url, error)
            raise _unreachable() from None
        status = response.status_code
        if status in (401, 403):
            logger.error(
                "BTCPay refused our API key (%s) for %s %s: %s; check SAMIZDAT_BTCPAY_API_KEY "
                "and its permissions",
                status, method, url, _answer_text(response),
            )  # fmt: skip
            raise ProviderError(
                _(
                    "Crypto payments are not working right now. Nothing was charged; please "
                    "choose another way to pay."
                )
            )
        if status == 404 and method == "GET" and _error_code(response) == "invoice-not-found":
            return None  # any other 404 is a wrong URL: refuse, so no gift is lost
        if 400 <= status < 500:
            logger.error(
                "BTCPay refused %s %s (%s): %s", method, url, status, _answer_text(response)
            )
            raise ProviderError(
                _(
                    "The crypto payment service refused this gift. Nothing was charged; please "
                    "try another amount or another way to pay."
                )
            )
        if not 200 <= status < 300:
            logger.warning(
                "BTCPay answered %s to %s %s: %s", status, method, url, _answer_text(response)
            )
            raise _unreachable()
        try:
            return response.json()
        except ValueError:
            logger.warning(
                "BTCPay answered %s %s with no JSON: %r", method, url, redact(response.text[:300])
            )
            raise _unreachable() from None

    def _fetch_invoice(self, invoice_id: str) -> dict[str, Any] | None:
        """The invoice as the API sees it; None if the store has no such invoice."""
        invoice = self._call("GET", self._invoices_url(invoice_id))
        if invoice is None:
            return None
        if not isinstance(invoice, dict) or invoice.get("id") != invoice_id:
            logger.warning("BTCPay answered a request for invoice %s with %r", invoice_id,
                           redact(str(invoice)[:300]))  # fmt: skip
            raise _unreachable()
        return invoice

    # Checkout

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        if request.frequency != Frequency.ONCE:
            raise ProviderError(_("Crypto gifts are one-off only."))
        metadata: dict[str, str] = {
            "orderId": request.reference,
            "samizdatReference": request.reference,
            "samizdatFrequency": request.frequency,
            "samizdatLanguage": request.language,
        }
        with translation.override(request.language):
            metadata["itemDesc"] = _("Gift to %(site)s") % {"site": settings.SITE_NAME}
        if request.email:
            metadata["buyerEmail"] = request.email
        if request.name:
            metadata["samizdatName"] = request.name
        answer = self._call(
            "POST",
            self._invoices_url(),
            {
                # Greenfield takes the amount in major units, as a decimal string.
                "amount": money.plain(request.amount, request.currency),
                "currency": request.currency,
                "metadata": metadata,
                "checkout": {
                    "redirectURL": request.success_url,
                    "redirectAutomatically": True,
                    "defaultLanguage": checkout_language(request.language),
                },
            },
        )
        invoice_id = answer.get("id") if isinstance(answer, dict) else None
        link = answer.get("checkoutLink") if isinstance(answer, dict) else None
        if not (
            isinstance(invoice_id, str)
            and invoice_id
            and isinstance(link, str)
            and link.startswith(("https://", "http://"))
        ):
            logger.warning("BTCPay created no usable invoice for %s: %r", request.reference,
                           redact(str(answer)[:300]))  # fmt: skip
            raise _unreachable()
        logger.info("BTCPay invoice %s for %s", invoice_id, request.reference)
        return CheckoutResult(redirect_url=link, provider_reference=invoice_id)

    # Webhooks

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> list[Event]:
        secret = settings.BTCPAY_WEBHOOK_SECRET
        if not secret:
            raise InvalidEvent("no BTCPay webhook secret is configured")
        given = _header(headers, SIGNATURE_HEADER).strip()
        if not given:
            raise InvalidEvent(f"no {SIGNATURE_HEADER} header")
        if given[:7].lower() == "sha256=":
            given = "sha256=" + given[7:].lower()
        if not hmac.compare_digest(
            signature(secret, body).encode(), given.encode("utf-8", "replace")
        ):
            raise InvalidEvent(f"bad {SIGNATURE_HEADER} signature")
        try:
            raw = json.loads(body)
        except (ValueError, RecursionError):
            raise InvalidEvent("not a BTCPay event: the body is not JSON") from None
        if not isinstance(raw, dict):
            raise InvalidEvent("not a BTCPay event: the body is not an object")
        if raw.get("storeId") != settings.BTCPAY_STORE_ID:
            raise InvalidEvent("a BTCPay event for another store")
        kind = raw.get("type")
        event_id = raw.get("originalDeliveryId") or raw.get("deliveryId")
        timestamp = raw.get("timestamp")
        if not (isinstance(kind, str) and kind and len(kind) <= 100):
            raise InvalidEvent("not a BTCPay event: no type")
        if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
            raise InvalidEvent("not a BTCPay event: no delivery id")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
            raise InvalidEvent("not a BTCPay event: no timestamp")
        try:
            occurred = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
        except (ValueError, OverflowError, OSError):
            raise InvalidEvent("not a BTCPay event: a timestamp out of range") from None
        event = Event(provider=self.name, event_id=event_id, type=kind, occurred_at=occurred,
                      kind=EventKind.IGNORED, payload=raw)  # fmt: skip
        invoice_id = raw.get("invoiceId")
        if kind not in INVOICE_EVENTS:
            logger.info("BTCPay %s for invoice %s needs nothing", kind, invoice_id)
            return [event]
        if not (isinstance(invoice_id, str) and 0 < len(invoice_id) <= 255):
            raise InvalidEvent(f"not a BTCPay event: {kind} without an invoice id")
        invoice = self._fetch_invoice(invoice_id)
        if invoice is None:  # e.g. BTCPay's "send a test webhook"
            logger.info("BTCPay %s for invoice %s, which the store does not have", kind, invoice_id)
            return [event]
        return [self._invoice_event(event, invoice)]

    def _invoice_event(self, event: Event, invoice: dict[str, Any]) -> Event:
        """What the invoice, as the API reports it, means for the gift."""
        invoice_id = str(invoice["id"])
        status = invoice.get("status")
        if event.type == "InvoiceSettled" and status in ("New", "Processing"):
            # The webhook is ahead of the API: answer 503 so BTCPay delivers it again.
            logger.warning("BTCPay says invoice %s is settled but the API says %s",
                           invoice_id, status)  # fmt: skip
            raise _unreachable()
        kind = STATUS_KINDS.get(str(status))
        metadata = invoice.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        reference = metadata.get("samizdatReference")
        if kind is None or not isinstance(reference, str) or not reference:
            logger.info("BTCPay %s: invoice %s (%s, %s) needs nothing", event.type, invoice_id,
                        status, "ours" if reference else "not ours")  # fmt: skip
            return event
        currency = invoice.get("currency")
        try:
            if not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
                raise InvalidOperation
            major = Decimal(str(invoice.get("amount")))
            if not major.is_finite() or major <= 0:
                raise InvalidOperation
        except InvalidOperation:
            logger.warning("BTCPay invoice %s has no usable amount: %r %r", invoice_id,
                           invoice.get("amount"), currency)  # fmt: skip
            raise _unreachable() from None
        currency = currency.upper()

        def text(key: str, limit: int) -> str:
            value = metadata.get(key)
            return value.strip()[:limit] if isinstance(value, str) else ""

        email = text("buyerEmail", 254)
        language = text("samizdatLanguage", 8)
        donor = Donor(
            email=email if "@" in email else "",
            name=text("samizdatName", 200),
            language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
        )
        if not money.fits(major, currency):
            logger.warning("BTCPay invoice %s: %s %s is not a whole number of minor units; "
                           "recorded rounded", invoice_id, major, currency)  # fmt: skip
        payment = Payment(
            payment_id=invoice_id,
            amount=money.to_minor(major, currency),
            currency=currency,
            frequency=Frequency.ONCE.value,
            reference=reference[:20],
            failure_reason=(
                f"BTCPay invoice invalid ({invoice.get('additionalStatus') or 'no reason given'})"
                if kind == EventKind.PAYMENT_FAILED
                else ""
            ),
        )
        return Event(provider=event.provider, event_id=event.event_id, type=event.type,
                     occurred_at=event.occurred_at, kind=kind, donor=donor, payment=payment,
                     payload=event.payload)  # fmt: skip

    def manage_url(self, gift: RecurringGift, return_url: str) -> str:
        raise ProviderError(_("Crypto gifts are one-off: there is nothing to manage."))
