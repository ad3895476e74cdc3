"""Fixtures shared by several test packages, defined once (registered by tests/conftest.py).

Package conftests opt into the autouse ones by importing them: ``money_checked`` gives each
test a fresh Stripe idempotency namespace and checks the ledger invariants afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.payments.gateway import PaymentGateway


def count(session: Session, model: type[Any], *where: Any) -> int:
    """Rows of ``model`` (matching ``where``): tests compare counts to prove nothing changed."""
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture()
def money_checked(
    request: pytest.FixtureRequest, gateway: PaymentGateway
) -> Iterator[PaymentGateway]:
    """A fresh idempotency namespace (rolled-back tests reuse ids; Stripe remembers keys for
    24 h), and after a test that used the database, the ledger invariants still hold."""
    yield gateway
    if "session" not in request.fixturenames:
        return
    from app.extensions import db
    from app.payments import ledger

    report = ledger.check(db.session())
    assert report.ok, report.problems


@pytest.fixture()
def media_root(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """Each test stores uploads in its own folder (ids repeat after rollbacks)."""
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    try:
        yield tmp_path / "media"
    finally:
        app.config["MEDIA_ROOT"] = previous


@pytest.fixture()
def storage(app: Flask, tmp_path: Path) -> Iterator[Any]:
    """Stock-media storage in a private folder for this test."""
    from app.media.storage import LocalStorage

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


@pytest.fixture()
def matching(app: Flask, session: Session, tmp_path: Path) -> Iterator[Path]:
    """Matching switched on with an empty index directory and a fresh in-process index.

    The app is shared by the whole run while each test's rows are rolled back, so the
    process-local index must not outlive the test either.
    """
    saved = {key: app.config[key] for key in ("MATCHING_ENABLED", "INDEX_DIR")}
    app.config.update(MATCHING_ENABLED=True, INDEX_DIR=str(tmp_path / "index"))
    app.extensions.pop("live_index", None)
    try:
        yield tmp_path / "index"
    finally:
        app.extensions.pop("live_index", None)
        app.config.update(saved)


@pytest.fixture()
def counter(session: Session) -> Callable[..., int]:
    """``counter(Model, *where)``: the row count, bound to the test's session."""
    return lambda model, *where: count(session, model, *where)
