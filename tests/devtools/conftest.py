"""Fixtures: a real emulator subprocess, SDK clients pointed at it, a webhook receiver."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from app.devtools.stripe_emulator import EmulatorProcess, run_in_subprocess

API_KEY = "sk_test_emulator"


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    path: str = ""

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class WebhookReceiver:
    """A tiny HTTP server recording every webhook POST it gets."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.deliveries.append(Delivery(dict(self.headers), body, self.path))
                self.send_response(200)
                self.end_headers()

            def do_GET(self) -> None:  # return_url / refresh_url targets
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> Delivery:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for delivery in self.deliveries:
                    if predicate(delivery.event):
                        return delivery
            time.sleep(0.05)
        types = [d.event.get("type") for d in self.deliveries]
        raise AssertionError(f"no matching webhook within {timeout}s; got {types}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    state_file = tmp_path_factory.mktemp("stripe") / "state.pickle"
    with run_in_subprocess(state_file) as emu:
        yield emu


@pytest.fixture(scope="session")
def webhooks(emulator: EmulatorProcess) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    emulator.register_webhook(receiver.url + "/stripe/webhook", WEBHOOK_SECRET)
    emulator.register_webhook(
        receiver.url + "/stripe/connect-webhook",
        CONNECT_WEBHOOK_SECRET,
        webhook_id="connect",
        connect=True,
    )
    yield receiver
    receiver.close()


WEBHOOK_SECRET = "whsec_test_emulator_secret"
CONNECT_WEBHOOK_SECRET = "whsec_test_emulator_connect_secret"


def make_client(api_base: str, **kwargs: Any) -> stripe.StripeClient:
    # No automatic SDK retries: the tests want to see each failure themselves.
    kwargs.setdefault("max_network_retries", 0)
    return stripe.StripeClient(API_KEY, base_addresses={"api": api_base}, **kwargs)


@pytest.fixture()
def client(emulator: EmulatorProcess) -> stripe.StripeClient:
    return make_client(emulator.api_base)


def new_key() -> str:
    return "test-" + uuid.uuid4().hex


def onboarded_account(client: stripe.StripeClient, emulator: EmulatorProcess) -> str:
    account = client.v1.accounts.create(
        {
            "type": "express",
            "country": "FR",
            "email": "seller@example.test",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    emulator.complete_onboarding(account.id)
    return account.id


def paid_charge(client: stripe.StripeClient, amount: int, group: str | None = None) -> str:
    """A succeeded card payment on the platform; returns its charge id."""
    params: Any = {
        "amount": amount,
        "currency": "eur",
        "payment_method": "pm_card_visa",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "confirm": True,
    }
    if group:
        params["transfer_group"] = group
    intent = client.v1.payment_intents.create(params)
    assert intent.status == "succeeded"
    charge = intent.latest_charge
    # localstripe returns latest_charge expanded; real Stripe returns the id unless expanded.
    assert charge is not None
    return charge if isinstance(charge, str) else charge.id


def charge_id_of(intent: stripe.PaymentIntent) -> str:
    charge = intent.latest_charge
    assert charge is not None
    return charge if isinstance(charge, str) else charge.id


def with_amount(params: Any, amount: int) -> Any:
    """A copy of transfer params with another amount (Any: the SDK's TypedDicts are strict)."""
    return {**params, "amount": amount}
