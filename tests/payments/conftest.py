"""Payments fixtures: the local Stripe emulator (a real subprocess, over HTTP), an app pointed
at it, a committing session for concurrency/live-server tests, and builders."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from app.devtools.stripe_emulator import EmulatorProcess, run_in_subprocess
from app.extensions import db
from app.models import metadata
from app.payments.gateway import PaymentGateway, gateway_for
from tests.conftest import make_test_app

WEBHOOK_SECRET = "whsec_payments_tests"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    state_file = tmp_path_factory.mktemp("stripe-payments") / "state.pickle"
    with run_in_subprocess(state_file) as emu:
        yield emu


@pytest.fixture(scope="session")
def app(database_url: str, instance_path: Path, emulator: EmulatorProcess) -> Flask:
    """Overrides the root ``app``: same database, Stripe = the emulator, no SDK retries (the
    tests want to see each failure; jobs retry with the same idempotency key)."""
    return make_test_app(
        database_url,
        instance_path,
        STRIPE_API_BASE=emulator.api_base,
        STRIPE_SECRET_KEY="sk_test_payments",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAYMENTS_LOCAL_TEST_CARDS=True,
    )


@pytest.fixture(autouse=True)
def gateway(app: Flask) -> Iterator[PaymentGateway]:
    """The app's gateway, with a fresh idempotency-key namespace per test: rolled-back tests
    reuse database ids while the emulator remembers keys (as Stripe does for 24 hours)."""
    gateway = gateway_for(app)
    gateway.key_prefix = f"t{uuid.uuid4().hex[:10]}-"  # type: ignore[attr-defined]
    yield gateway


def _truncate_all() -> None:
    assert db.engine is not None
    tables = [t.name for t in metadata.sorted_tables]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - our own table names


@pytest.fixture()
def committed(app: Flask) -> Iterator[Session]:
    """Sessions bound to the engine as in production (real commits); every table is emptied
    afterwards. Threads get their own session from ``db.session`` (thread-local scope)."""
    assert db.engine is not None
    db.bind(db.engine)
    try:
        with app.app_context():
            yield db.session()
    finally:
        db.session.remove()
        _truncate_all()


class LiveServer:
    """The app on a real port (threaded werkzeug). ``close`` waits for requests in flight, so a
    late webhook never holds the SQLite write lock into the next test."""

    def __init__(self, app: Flask) -> None:
        self.active = 0
        self._lock = threading.Lock()

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
        time.sleep(1.5)  # the emulator delivers each event about 1 s after it happens
        self.server.shutdown()
        self.server.server_close()
        deadline = time.monotonic() + 15
        while self.active and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture()
def live_server(app: Flask, committed: Session) -> Iterator[LiveServer]:
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.close()


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``payload`` (Stripe's documented v1 scheme)."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event_payload(event_id: str, event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "data": {"object": obj},
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2024-06-20",
        }
    ).encode()


@pytest.fixture(autouse=True)
def ledger_stays_consistent(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every payments test that used the database, the ledger invariants hold."""
    yield
    if "session" not in request.fixturenames:
        return
    from app.extensions import db
    from app.payments import ledger

    report = ledger.check(db.session())
    assert report.ok, report.problems
