"""Fresh Stripe idempotency namespace per test, and the ledger invariants (incl. contest
escrow) checked after every test that used the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.payments.gateway import PaymentGateway


@pytest.fixture(autouse=True)
def _fresh_gateway(gateway: PaymentGateway) -> PaymentGateway:
    return gateway


@pytest.fixture(autouse=True)
def ledger_stays_consistent(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "session" not in request.fixturenames:
        return
    from app.extensions import db
    from app.payments import ledger

    report = ledger.check(db.session())
    assert report.ok, report.problems
