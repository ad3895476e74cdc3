"""Payments fixtures: a fresh idempotency namespace per test and the ledger invariants
checked after each one. The emulator, the app pointed at it, ``committed`` and
``live_server`` come from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.payments.gateway import PaymentGateway
from tests.stripe_support import WEBHOOK_SECRET, LiveServer, event_payload, sign

__all__ = ["WEBHOOK_SECRET", "LiveServer", "event_payload", "sign"]


@pytest.fixture(autouse=True)
def _fresh_gateway(gateway: PaymentGateway) -> PaymentGateway:
    return gateway


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
