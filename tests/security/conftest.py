"""An app with CSRF protection on (the suite's app turns it off for convenience), bound to
the test's rolled-back transaction like the ``session`` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.extensions import db
from tests.conftest import make_test_app

STRIPE_SETTINGS = (
    "STRIPE_API_BASE",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_MAX_NETWORK_RETRIES",
)


@pytest.fixture()
def csrf_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Any]]:
    """(app with WTF_CSRF_ENABLED, session); building it rebinds the process-wide ``db``, so
    this fixture binds it to a connection itself and must be used instead of ``session``."""
    settings = {key: app.config[key] for key in STRIPE_SETTINGS if key in app.config}
    protected = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, **settings)
    assert db.engine is not None
    connection = db.engine.connect()
    outer = connection.begin()
    db.bind(connection, join_transaction_mode="create_savepoint")
    try:
        with protected.app_context():
            yield protected, db.session()
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        db.bind(db.engine)


@pytest.fixture()
def configured_app(app: Flask, database_url: str, tmp_path: Path) -> Iterator[Any]:
    """``configured_app(**settings)``: an app built with extra settings (PROXY_COUNT, rate
    limits...), bound to the test's rolled-back transaction like ``csrf_app``."""
    settings = {key: app.config[key] for key in STRIPE_SETTINGS if key in app.config}
    connection = None

    def build(**overrides: Any) -> Flask:
        nonlocal connection
        built = make_test_app(database_url, tmp_path, **{**settings, **overrides})
        assert db.engine is not None
        connection = db.engine.connect()
        connection.begin()
        db.bind(connection, join_transaction_mode="create_savepoint")
        return built

    try:
        yield build
    finally:
        db.session.remove()
        if connection is not None:
            connection.close()
        db.bind(db.engine)
