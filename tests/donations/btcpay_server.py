"""A small BTCPay Server for tests: the Greenfield invoice endpoints over real HTTP, and the
webhook deliveries BTCPay would send, signed the way BTCPay signs them.

It keeps the invoices it created, so a later ``GET`` returns them, and records every request.
Switches make it refuse connections (``down``), answer 502 (``bad_gateway``), answer 200 with
something that is not JSON (``garbled``) or refuse an invoice with Greenfield's 422 validation
error (``reject``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "btcpay-test-api-key-0123456789abcdef"
STORE_ID = "9CiNzKoANXxmk5ayZngSXrHTiVvvgCrwrpFQd4m2K776"
WEBHOOK_SECRET = "btcpay-test-webhook-secret"
WEBHOOK_ID = "Lsnam1DN7HMAKHp9Cy4Bhj"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(22))


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class Delivery:
    """One webhook delivery: the exact body and the headers BTCPay sends with it."""

    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any] = field(default_factory=dict)


class BTCPayServer:
    def __init__(
        self,
        *,
        api_key: str = API_KEY,
        store_id: str = STORE_ID,
        webhook_secret: str = WEBHOOK_SECRET,
    ) -> None:
        self.api_key = api_key
        self.store_id = store_id
        self.webhook_secret = webhook_secret
        self.invoices: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.bad_gateway = False  # answer 502, like a proxy in front of a BTCPay that is down
        self.garbled = False  # answer 200 with an HTML page, like a captive portal
        self.reject: list[dict[str, str]] | None = None  # a 422 answer to invoice creation
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # Running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BTCPayServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_POST(self) -> None:
                server._handle(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def down(self) -> None:
        """Stop listening: connections to the base URL are refused."""
        self.stop()

    def up(self) -> None:
        """Listen again on the same port."""
        self.start()

    # The Greenfield API

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(
                Recorded(method, handler.path, {k: v for k, v in handler.headers.items()}, body)
            )
        status, answer = self._answer(handler, method, body)
        kind = "application/json"
        data = json.dumps(answer).encode()
        if self.garbled:
            status, kind, data = 200, "text/html", b"<html><body>Please log in</body></html>"
        handler.send_response(status)
        handler.send_header("Content-Type", f"{kind}; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _answer(self, handler: BaseHTTPRequestHandler, method: str, body: Any) -> tuple[int, Any]:
        if self.bad_gateway:
            return 502, {"code": "bad-gateway", "message": "502 Bad Gateway"}
        if handler.headers.get("Authorization") != f"token {self.api_key}":
            return 401, {
                "code": "unauthenticated",
                "message": "Authentication is required for accessing this endpoint",
            }
        parts = handler.path.split("?")[0].strip("/").split("/")
        if parts[:3] != ["api", "v1", "stores"] or len(parts) < 5 or parts[4] != "invoices":
            return 404, {"code": "not-found", "message": "Not found"}
        if parts[3] != self.store_id:
            return 403, {
                "code": "missing-permission",
                "message": "Insufficient API Permissions. Please use an API key with "
                "permission: btcpay.store.cancreateinvoice",
                "missingPermission": "btcpay.store.cancreateinvoice",
            }
        if method == "POST" and len(parts) == 5:
            return self._create(body)
        if method == "GET" and len(parts) == 6:
            invoice = self.invoices.get(parts[5])
            if invoice is None:
                return 404, {"code": "invoice-not-found", "message": "The invoice was not found"}
            return 200, invoice
        return 404, {"code": "not-found", "message": "Not found"}

    def _create(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, {"code": "invalid-request-body", "message": "The request body is not JSON"}
        if self.reject is not None:
            return 422, self.reject
        errors = []
        try:
            amount = Decimal(str(body.get("amount")))
            if not amount.is_finite() or amount < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append({"path": "amount", "message": "Amount should be a positive number"})
        currency = body.get("currency")
        if not (isinstance(currency, str) and currency.isalpha() and len(currency) == 3):
            errors.append({"path": "currency", "message": "Invalid currency"})
        if errors or not isinstance(currency, str):
            return 422, errors
        invoice_id = new_id()
        now = int(time.time())
        checkout = {
            "speedPolicy": "MediumSpeed",
            "paymentMethods": ["BTC", "BTC-LightningNetwork"],
            "defaultPaymentMethod": None,
            "expirationMinutes": 90,
            "monitoringMinutes": 1440,
            "paymentTolerance": 0.0,
            "redirectURL": None,
            "redirectAutomatically": False,
            "requiresRefundEmail": None,
            "checkoutType": None,
            "defaultLanguage": None,
            **(body.get("checkout") or {}),
        }
        invoice = {
            "id": invoice_id,
            "storeId": self.store_id,
            "amount": str(body["amount"]),
            "currency": currency.upper(),
            "type": "Standard",
            "checkoutLink": f"{self.url}/i/{invoice_id}",
            "status": "New",
            "additionalStatus": "None",
            "monitoringExpiration": now + 90 * 60 + 1440 * 60,
            "expirationTime": now + 90 * 60,
            "createdTime": now,
            "availableStatusesForManualMarking": ["Settled", "Invalid"],
            "archived": False,
            "metadata": body.get("metadata") or {},
            "checkout": checkout,
            "receipt": {"enabled": None, "showQR": None, "showPayments": None},
        }
        with self._lock:
            self.invoices[invoice_id] = invoice
        return 200, invoice

    # What a test does to the invoices and the webhooks

    def created(self) -> list[Recorded]:
        """The invoice-creation requests received so far."""
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/invoices")]

    def settle(self, invoice_id: str, status: str = "Settled", additional: str = "None") -> None:
        """The reader paid (and, for ``Settled``, the payment is confirmed)."""
        self.invoices[invoice_id]["status"] = status
        self.invoices[invoice_id]["additionalStatus"] = additional

    def sign(self, body: bytes) -> str:
        return "sha256=" + hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def webhook(self, invoice_id: str, type: str = "InvoiceSettled", **overrides: Any) -> Delivery:
        """A first delivery of a webhook event for the invoice, as BTCPay sends it."""
        delivery_id = new_id()
        payload: dict[str, Any] = {
            "deliveryId": delivery_id,
            "webhookId": WEBHOOK_ID,
            "originalDeliveryId": delivery_id,
            "isRedelivery": False,
            "type": type,
            "timestamp": int(time.time()),
            "storeId": self.store_id,
            "invoiceId": invoice_id,
            "metadata": dict(self.invoices.get(invoice_id, {}).get("metadata", {})),
        }
        if type == "InvoiceSettled":
            payload.update({"manuallyMarked": False, "overPaid": False})
        elif type == "InvoiceProcessing":
            payload.update({"overPaid": False})
        elif type == "InvoiceExpired":
            payload.update({"partiallyPaid": False})
        elif type == "InvoiceInvalid":
            payload.update({"manuallyMarked": False})
        payload.update(overrides)
        return self.deliver(payload)

    def redeliver(self, delivery: Delivery) -> Delivery:
        """BTCPay's redelivery of the same event: a new delivery id, the same original one."""
        payload = {**delivery.payload, "deliveryId": new_id(), "isRedelivery": True}
        return self.deliver(payload)

    def deliver(self, payload: dict[str, Any]) -> Delivery:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return Delivery(body=body, headers={"BTCPay-Sig": self.sign(body)}, payload=payload)
