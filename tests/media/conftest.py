"""Media fixtures: a private storage folder per test, a fresh Stripe idempotency namespace,
and the ledger invariants checked after every test that used the database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.media.storage import LocalStorage
from app.payments.gateway import PaymentGateway


@pytest.fixture()
def storage(app: Flask, tmp_path: Path) -> Iterator[LocalStorage]:
    saved = app.extensions.get("media_storage")
    store = LocalStorage(tmp_path / "media")
    app.extensions["media_storage"] = store
    try:
        yield store
    finally:
        if saved is None:
            app.extensions.pop("media_storage", None)
        else:
            app.extensions["media_storage"] = saved


def stored_files(store: LocalStorage) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


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
