"""Stripe-side test support shared by every test package: webhook signing, event payloads,
a live server for the emulator's webhooks, and emptying the database after committing tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from typing import Any

from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server

from app.devtools.stripe_emulator import wait_for_webhooks
from app.extensions import db
from app.models import metadata

WEBHOOK_SECRET = "whsec_payments_tests"
CONNECT_WEBHOOK_SECRET = "whsec_payments_tests_connect"
CACHE_VERSIONS = ("catalog", "demand")  # rows of page_cache_versions seeded by migrations


def truncate_all() -> None:
    assert db.engine is not None
    tables = [t.name for t in metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - our own table names
        # The cache-version rows are made by the migrations, not by any test: put them back,
        # or every later test in this process would run with the caches switched off.
        conn.execute(
            text("INSERT INTO page_cache_versions (name, version) VALUES (:name, :version)"),
            [{"name": name, "version": secrets.randbits(62)} for name in CACHE_VERSIONS],
        )


class LiveServer:
    """The app on a real port (threaded werkzeug). ``close`` waits for requests in flight, so a
    late webhook never holds the SQLite write lock into the next test."""

    def __init__(self, app: Flask) -> None:
        self.active = 0
        self._lock = threading.Lock()
        self.emulator_api_base = app.config.get("STRIPE_API_BASE")

        def counting(environ: Any, start_response: Any) -> Any:
            with self._lock:
                self.active += 1
            try:
                return list(app(environ, start_response))
            finally:
                with self._lock:
                    self.active -= 1

        self.server = make_server("127.0.0.1", 0, counting, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        # The emulator delivers each event a moment after it happens: let the ones made so far
        # arrive before the port closes.
        if self.emulator_api_base:
            wait_for_webhooks(self.emulator_api_base)
        else:
            time.sleep(1.5)
        self.server.shutdown()
        self.server.server_close()
        deadline = time.monotonic() + 15
        while self.active and time.monotonic() < deadline:
            time.sleep(0.05)


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``payload`` (Stripe's documented v1 scheme)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event_payload(
    event_id: str,
    event_type: str,
    obj: dict[str, Any],
    *,
    account: str | None = None,
    livemode: bool = False,
) -> bytes:
    event: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "data": {"object": obj},
        "created": int(time.time()),
        "livemode": livemode,
        "api_version": "2024-06-20",
    }
    if account is not None:
        event["account"] = account  # an event on a connected account (Connect endpoint)
    return json.dumps(event).encode()
