"""Disputes fixtures: a fresh Stripe idempotency namespace per test, and the ledger
invariants checked after every test that used the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def media_root(app: Any, tmp_path: Path) -> Iterator[Path]:
    """Each test stores uploads in its own folder (ids repeat after rollbacks)."""
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    try:
        yield tmp_path / "media"
    finally:
        app.config["MEDIA_ROOT"] = previous
