"""A small stateful stand-in for Stripe's API on a local port, and Stripe's webhooks.

The real ``stripe`` library talks to it over HTTP: form-encoded requests with bracketed keys,
``Authorization: Bearer <secret key>``, ``Idempotency-Key``; JSON answers in Stripe's documented
shapes and error envelope. It answers what the app asks Stripe: Checkout Sessions, Billing
portal sessions, the invoice payments a refund is looked up by, and the Products, Prices and
Payment Links of the fallback links. It remembers the sessions it made (and can open one
through a Payment Link, as a reader following it does) so a test can "complete" one and build
the events Stripe would then send, in the shapes of both API generations (``LEGACY`` before
2025-03-31, ``BASIL`` since).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_KEY = "sk_test_51Lantern0000000000000000"
WEBHOOK_SECRET = "whsec_lantern_test_0000000000000000"
LEGACY = "2024-06-20"
BASIL = "2025-03-31.basil"
DAY = 24 * 3600


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def nest(form: dict[str, str]) -> dict[str, Any]:
    """``{"line_items[0][price_data][currency]": "usd"}`` → nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in form.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]  # exactly as sent: bracketed keys, text values
    params: dict[str, Any] = field(default_factory=dict)  # the same, nested


class FakeStripe:
    """Start it, point ``STRIPE_API_BASE`` at ``base_url``, look at ``requests`` afterwards.

    ``failure`` makes it misbehave: ``"error"`` (500 api_error), ``"drop"`` (close the
    connection without answering) or ``"refuse"`` (400 card_error)."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.failure: str | None = None
        self.requests: list[Recorded] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.invoice_payments: list[dict[str, Any]] = []
        self.products: dict[str, dict[str, Any]] = {}
        self.prices: dict[str, dict[str, Any]] = {}
        self.payment_links: dict[str, dict[str, Any]] = {}
        self._replays: dict[str, tuple[int, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # Running

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() it first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # The API

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else parts.query
        form = dict(parse_qsl(body, keep_blank_values=True))
        recorded = Recorded(
            method=handler.command,
            path=parts.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            form=form,
            params=nest(form),
        )
        with self._lock:
            self.requests.append(recorded)
        if self.failure == "drop":
            handler.close_connection = True
            return
        status, answer = self._answer(recorded)
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", new_id("req"))
        handler.send_header("Stripe-Version", recorded.headers.get("stripe-version", BASIL))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(self, request: Recorded) -> tuple[int, Any]:
        if self.failure == "error":
            return 500, error("api_error", "An unknown error occurred")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            key = request.headers.get("authorization", "").removeprefix("Bearer ")
            return 401, error(
                "invalid_request_error", f"Invalid API Key provided: {key[:8]}{'*' * 12}"
            )
        if self.failure == "refuse":
            return 400, error(
                "card_error", "Your card was declined.", code="card_declined",
                decline_code="generic_decline",
            )  # fmt: skip
        route = (request.method, request.path)
        if route == ("POST", "/v1/checkout/sessions"):
            return self._idempotent(request, self._create_session)
        if route == ("POST", "/v1/billing_portal/sessions"):
            return self._idempotent(request, self._create_portal_session)
        if route == ("GET", "/v1/invoice_payments"):
            return 200, self._list_invoice_payments(request.params)
        if route == ("POST", "/v1/products"):
            return self._idempotent(request, self._create_product)
        if route == ("POST", "/v1/prices"):
            return self._idempotent(request, self._create_price)
        if route == ("POST", "/v1/payment_links"):
            return self._idempotent(request, self._create_payment_link)
        if request.method == "POST" and request.path.startswith("/v1/payment_links/"):
            return self._update_payment_link(request.path.rsplit("/", 1)[1], request.params)
        return 404, error(
            "invalid_request_error", f"Unrecognized request URL ({request.method}: {request.path})."
        )

    def _idempotent(self, request: Recorded, create: Any) -> tuple[int, Any]:
        """Stripe replays the first answer for a repeated Idempotency-Key."""
        key = request.headers.get("idempotency-key")
        with self._lock:
            if key and key in self._replays:
                return self._replays[key]
            answer = create(request.params)
            if key:
                self._replays[key] = answer
        return answer

    def _create_session(self, params: dict[str, Any]) -> tuple[int, Any]:
        mode = params.get("mode")
        items = params.get("line_items") or []
        if mode not in {"payment", "subscription"} or not items:
            return 400, error(
                "invalid_request_error", "Missing required param: mode.", param="mode"
            )
        amount = sum(
            int(item["price_data"]["unit_amount"]) * int(item.get("quantity", "1"))
            for item in items
        )
        session_id = new_id("cs")
        now = int(time.time())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": amount,
            "amount_total": amount,
            "automatic_tax": {"enabled": False, "liability": None, "status": None},
            "billing_address_collection": None,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "client_secret": None,
            "consent": None,
            "consent_collection": None,
            "created": now,
            "currency": items[0]["price_data"]["currency"],
            "custom_fields": [],
            "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                            "terms_of_service_acceptance": None},
            "customer": None,
            "customer_creation": "if_required" if mode == "payment" else "always",
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": now + DAY,
            "invoice": None,
            "livemode": False,
            "locale": params.get("locale"),
            "metadata": params.get("metadata", {}),
            "mode": mode,
            "payment_intent": None,
            "payment_link": None,
            "payment_method_collection": "if_required" if mode == "payment" else "always",
            "payment_method_types": ["card", "sepa_debit"],
            "payment_status": "unpaid",
            "phone_number_collection": {"enabled": False},
            "recovered_from": None,
            "setup_intent": None,
            "shipping_address_collection": None,
            "shipping_cost": None,
            "shipping_options": [],
            "status": "open",
            "submit_type": params.get("submit_type"),
            "subscription": None,
            "success_url": params.get("success_url"),
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}#fidkdWxOYHwnPyd1blpxYHZxWjA0",
        }  # fmt: skip
        self.sessions[session_id] = {"session": session, "params": params}
        return 200, session

    def _create_portal_session(self, params: dict[str, Any]) -> tuple[int, Any]:
        customer = params.get("customer", "")
        if not customer.startswith("cus_"):
            return 400, error(
                "invalid_request_error", f"No such customer: '{customer}'",
                code="resource_missing", param="customer",
            )  # fmt: skip
        session_id = new_id("bps")
        return 200, {
            "id": session_id,
            "object": "billing_portal.session",
            "configuration": "bpc_test_lantern",
            "created": int(time.time()),
            "customer": customer,
            "flow": None,
            "livemode": False,
            "locale": params.get("locale"),
            "on_behalf_of": None,
            "return_url": params.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/{session_id}",
        }

    def _create_product(self, params: dict[str, Any]) -> tuple[int, Any]:
        if not params.get("name"):
            return 400, error(
                "invalid_request_error", "Missing required param: name.", param="name"
            )
        now = int(time.time())
        product = {
            "id": new_id("prod"), "object": "product", "active": True, "created": now,
            "default_price": None, "description": None, "images": [], "livemode": False,
            "marketing_features": [], "metadata": params.get("metadata", {}),
            "name": params["name"], "package_dimensions": None, "shippable": None,
            "statement_descriptor": None, "tax_code": None, "unit_label": None,
            "updated": now, "url": None,
        }  # fmt: skip
        self.products[product["id"]] = product
        return 200, product

    def _create_price(self, params: dict[str, Any]) -> tuple[int, Any]:
        product = params.get("product", "")
        if product not in self.products:
            return 400, error(
                "invalid_request_error", f"No such product: '{product}'",
                code="resource_missing", param="product",
            )  # fmt: skip
        recurring = params.get("recurring")
        amount = int(params["unit_amount"])
        price = {
            "id": new_id("price"), "object": "price", "active": True,
            "billing_scheme": "per_unit", "created": int(time.time()),
            "currency": params["currency"], "custom_unit_amount": None, "livemode": False,
            "lookup_key": None, "metadata": params.get("metadata", {}), "nickname": None,
            "product": product,
            "recurring": {"interval": recurring["interval"], "interval_count": 1,
                          "meter": None, "trial_period_days": None, "usage_type": "licensed"}
            if recurring else None,
            "tax_behavior": "unspecified", "tiers_mode": None, "transform_quantity": None,
            "type": "recurring" if recurring else "one_time", "unit_amount": amount,
            "unit_amount_decimal": str(amount),
        }  # fmt: skip
        self.prices[price["id"]] = price
        return 200, price

    def _create_payment_link(self, params: dict[str, Any]) -> tuple[int, Any]:
        items = params.get("line_items") or []
        if not items or any(item.get("price") not in self.prices for item in items):
            return 400, error(
                "invalid_request_error", "Missing required param: line_items.",
                param="line_items",
            )  # fmt: skip
        price = self.prices[items[0]["price"]]
        recurring = price["type"] == "recurring"
        after = params.get("after_completion") or {"type": "hosted_confirmation"}
        if recurring and "payment_intent_data" in params:
            return 400, error(
                "invalid_request_error", "You may only specify `payment_intent_data` for "
                "payment links that are in `payment` mode.", param="payment_intent_data",
            )  # fmt: skip
        link_id = new_id("plink")
        link = {
            "id": link_id, "object": "payment_link", "active": True,
            "after_completion": {
                "hosted_confirmation": {"custom_message": None}
                if after["type"] == "hosted_confirmation" else None,
                "redirect": after.get("redirect"), "type": after["type"],
            },
            "allow_promotion_codes": False, "application": None,
            "application_fee_amount": None, "application_fee_percent": None,
            "automatic_tax": {"enabled": False, "liability": None},
            "billing_address_collection": "auto", "consent_collection": None,
            "currency": price["currency"], "custom_fields": [],
            "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                            "terms_of_service_acceptance": None},
            "customer_creation": "if_required", "inactive_message": None,
            "invoice_creation": None, "livemode": False,
            "metadata": params.get("metadata", {}), "on_behalf_of": None,
            "payment_intent_data": None if recurring else {
                "capture_method": "automatic",
                "metadata": params.get("payment_intent_data", {}).get("metadata", {}),
                "setup_future_usage": None, "statement_descriptor": None,
                "statement_descriptor_suffix": None, "transfer_group": None},
            "payment_method_collection": "always", "payment_method_types": None,
            "phone_number_collection": {"enabled": False}, "restrictions": None,
            "shipping_address_collection": None, "shipping_options": [],
            "submit_type": params.get("submit_type", "auto"),
            "subscription_data": {
                "description": None, "invoice_settings": {"issuer": {"type": "self"}},
                "metadata": params.get("subscription_data", {}).get("metadata", {}),
                "trial_period_days": None, "trial_settings": None} if recurring else None,
            "tax_id_collection": {"enabled": False, "required": "never"},
            "transfer_data": None,
            "url": f"https://buy.stripe.com/test_{secrets.token_hex(8)}",
        }  # fmt: skip
        self.payment_links[link_id] = {"link": link, "params": params}
        return 200, link

    def _update_payment_link(self, link_id: str, params: dict[str, Any]) -> tuple[int, Any]:
        found = self.payment_links.get(link_id)
        if found is None:
            return 404, error(
                "invalid_request_error", f"No such payment_link: '{link_id}'",
                code="resource_missing", param="id",
            )  # fmt: skip
        if "active" in params:
            found["link"]["active"] = params["active"] == "true"
        return 200, found["link"]

    def open_link(self, link_id: str) -> str:
        """A reader follows a Payment Link: Stripe opens a Checkout Session for it (with the
        link's metadata copied onto it); the session id, to ``complete``."""
        found = self.payment_links[link_id]
        link, price = found["link"], self.prices[found["params"]["line_items"][0]["price"]]
        recurring = price["type"] == "recurring"
        price_data: dict[str, Any] = {
            "currency": price["currency"], "unit_amount": str(price["unit_amount"]),
            "product_data": {"name": self.products[price["product"]]["name"]},
        }  # fmt: skip
        if recurring:
            price_data["recurring"] = {"interval": price["recurring"]["interval"]}
        params: dict[str, Any] = {
            "mode": "subscription" if recurring else "payment",
            "line_items": [{"price_data": price_data, "quantity": "1"}],
            "metadata": dict(link["metadata"]),
            "success_url": link["after_completion"]["redirect"]["url"],
        }
        if recurring:
            params["subscription_data"] = {"metadata": dict(link["subscription_data"]["metadata"])}
        status, session = self._create_session(params)
        assert status == 200, session
        session.update(payment_link=link_id, submit_type=link["submit_type"])
        return str(session["id"])

    def _list_invoice_payments(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = params.get("payment", {})
        rows = [
            row
            for row in self.invoice_payments
            if row["payment"]["type"] == wanted.get("type")
            and row["payment"]["payment_intent"] == wanted.get("payment_intent")
        ]
        return {"object": "list", "data": rows[: int(params.get("limit", 10))],
                "has_more": False, "url": "/v1/invoice_payments"}  # fmt: skip

    # What happens on Stripe's side after the reader pays: the objects its events carry.

    def complete(
        self,
        session_id: str,
        *,
        payment_status: str = "paid",
        email: str = "reader@example.org",
        card_holder: str = "CARD HOLDER",
    ) -> dict[str, Any]:
        """The session once the reader has paid (or started a bank debit)."""
        session = dict(self.sessions[session_id]["session"])
        session.update(
            status="complete",
            payment_status=payment_status,
            customer=new_id("cus"),
            customer_details={"address": {"country": "DE"}, "email": email,
                              "name": card_holder, "phone": None, "tax_exempt": "none",
                              "tax_ids": []},
            url=None,
        )  # fmt: skip
        if session["mode"] == "payment":
            session["payment_intent"] = new_id("pi")
        else:
            session["subscription"] = new_id("sub")
            session["invoice"] = new_id("in")
        self.sessions[session_id]["session"] = session
        return session

    def invoice(
        self,
        session_id: str,
        *,
        shape: str = BASIL,
        paid: bool = True,
        invoice_id: str | None = None,
        payment_intent: str | None = None,
        billing_reason: str = "subscription_create",
        period_start: int | None = None,
    ) -> dict[str, Any]:
        """An invoice of the subscription a completed session started."""
        session = self.sessions[session_id]["session"]
        params = self.sessions[session_id]["params"]
        price = params["line_items"][0]["price_data"]
        interval = price["recurring"]["interval"]
        amount = int(price["unit_amount"])
        start = period_start or int(time.time())
        end = start + (365 if interval == "year" else 30) * DAY
        invoice_id = invoice_id or new_id("in")
        intent = payment_intent or new_id("pi")
        metadata = dict(params.get("subscription_data", {}).get("metadata", {}))
        price_object = {
            "id": new_id("price"), "object": "price", "active": False, "currency": price["currency"],
            "product": new_id("prod"), "recurring": {"interval": interval, "interval_count": 1,
            "usage_type": "licensed"}, "type": "recurring", "unit_amount": amount,
        }  # fmt: skip
        line: dict[str, Any] = {
            "id": new_id("il"), "object": "line_item", "amount": amount,
            "currency": price["currency"], "description": f"1 × {price['product_data']['name']}",
            "invoice": invoice_id, "livemode": False, "metadata": metadata,
            "period": {"start": start, "end": end}, "quantity": 1,
        }  # fmt: skip
        invoice: dict[str, Any] = {
            "id": invoice_id,
            "object": "invoice",
            "account_country": "DE",
            "amount_due": amount,
            "amount_paid": amount if paid else 0,
            "amount_remaining": 0 if paid else amount,
            "attempt_count": 1,
            "attempted": True,
            "billing_reason": billing_reason,
            "collection_method": "charge_automatically",
            "created": start,
            "currency": price["currency"],
            "customer": session["customer"],
            "customer_email": session["customer_details"]["email"],
            "customer_name": session["customer_details"]["name"],
            "last_finalization_error": None,
            "lines": {"object": "list", "data": [line], "has_more": False,
                      "url": f"/v1/invoices/{invoice_id}/lines"},
            "livemode": False,
            "metadata": {},
            "next_payment_attempt": None if paid else start + 3 * DAY,
            "period_end": start,
            "period_start": start,
            "status": "paid" if paid else "open",
            "subtotal": amount,
            "total": amount,
        }  # fmt: skip
        if shape == LEGACY:
            line.update(type="subscription", subscription=session["subscription"],
                        price=price_object, plan={**price_object, "object": "plan",
                                                  "interval": interval})  # fmt: skip
            invoice.update(subscription=session["subscription"], payment_intent=intent,
                           charge=new_id("ch") if paid else None,
                           subscription_details={"metadata": metadata})  # fmt: skip
        else:
            line.update(
                parent={"type": "subscription_item_details", "invoice_item_details": None,
                        "subscription_item_details": {"subscription": session["subscription"],
                                                      "subscription_item": new_id("si"),
                                                      "proration": False}},
                pricing={"type": "price_details", "unit_amount_decimal": str(amount),
                         "price_details": {"price": price_object["id"],
                                           "product": price_object["product"]}},
            )  # fmt: skip
            invoice["parent"] = {
                "type": "subscription_details", "quote_details": None,
                "subscription_details": {"metadata": metadata,
                                         "subscription": session["subscription"]},
            }  # fmt: skip
            if paid:  # Stripe knows which payment paid it, whether or not the event says
                self.invoice_payments.append({
                    "id": new_id("inpay"), "object": "invoice_payment", "amount_paid": amount,
                    "amount_requested": amount, "created": start, "currency": price["currency"],
                    "invoice": invoice_id, "is_default": True, "livemode": False,
                    "payment": {"type": "payment_intent", "payment_intent": intent},
                    "status": "paid",
                })  # fmt: skip
        return invoice

    def subscription(
        self,
        session_id: str,
        *,
        shape: str = BASIL,
        status: str = "active",
        quantity: int = 1,
        canceled_at: int | None = None,
    ) -> dict[str, Any]:
        """The subscription a completed session started, as its events show it."""
        session = self.sessions[session_id]["session"]
        params = self.sessions[session_id]["params"]
        price = params["line_items"][0]["price_data"]
        interval = price["recurring"]["interval"]
        start = session["created"]
        end = start + (365 if interval == "year" else 30) * DAY
        item: dict[str, Any] = {
            "id": new_id("si"), "object": "subscription_item", "quantity": quantity,
            "price": {"id": new_id("price"), "object": "price", "currency": price["currency"],
                      "recurring": {"interval": interval, "interval_count": 1},
                      "type": "recurring", "unit_amount": int(price["unit_amount"])},
            "subscription": session["subscription"],
        }  # fmt: skip
        subscription: dict[str, Any] = {
            "id": session["subscription"],
            "object": "subscription",
            "cancel_at": None,
            "cancel_at_period_end": False,
            "canceled_at": canceled_at,
            "collection_method": "charge_automatically",
            "created": start,
            "currency": price["currency"],
            "customer": session["customer"],
            "ended_at": canceled_at,
            "items": {"object": "list", "data": [item], "has_more": False},
            "latest_invoice": session["invoice"],
            "livemode": False,
            "metadata": dict(params.get("subscription_data", {}).get("metadata", {})),
            "start_date": start,
            "status": status,
        }
        if shape == LEGACY:
            subscription.update(current_period_start=start, current_period_end=end)
        else:
            item.update(current_period_start=start, current_period_end=end)
        return subscription

    def charge(
        self,
        *,
        payment_intent: str,
        amount: int,
        currency: str,
        refunded: int | None = None,
        shape: str = BASIL,
        invoice: str | None = None,
    ) -> dict[str, Any]:
        """A charge, as ``charge.refunded`` shows it once (part of) it was refunded."""
        refunded = amount if refunded is None else refunded
        charge: dict[str, Any] = {
            "id": new_id("ch"), "object": "charge", "amount": amount,
            "amount_captured": amount, "amount_refunded": refunded,
            "balance_transaction": new_id("txn"), "captured": True, "created": int(time.time()),
            "currency": currency, "livemode": False, "metadata": {}, "paid": True,
            "payment_intent": payment_intent, "refunded": refunded == amount, "status": "succeeded",
        }  # fmt: skip
        if shape == LEGACY:
            charge["invoice"] = invoice
        return charge


def error(kind: str, message: str, **extra: str) -> dict[str, Any]:
    """Stripe's error envelope."""
    return {"error": {"type": kind, "message": message, **extra}}


def event(
    type: str,
    obj: dict[str, Any],
    *,
    created: int | None = None,
    api_version: str = BASIL,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An event as Stripe posts it to a webhook endpoint."""
    return {
        "id": event_id or f"evt_{secrets.token_hex(12)}",
        "object": "event",
        "api_version": api_version,
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": None},
        "type": type,
    }


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's ``Stripe-Signature`` header: HMAC-SHA256 of ``"<t>.<body>"``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signed(payload: dict[str, Any], **kwargs: Any) -> tuple[bytes, str]:
    """The body and ``Stripe-Signature`` header of one webhook delivery."""
    body = json.dumps(payload, indent=2).encode()
    return body, sign(body, **kwargs)
