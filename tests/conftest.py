"""Test harness: a real database built by the migrations, one transaction per test.

TEST_DATABASE_URL (CI: PostgreSQL) selects the database; without it a SQLite file is used.
The schema is made once per run by ``alembic upgrade head``; each test runs inside an outer
transaction that is rolled back, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The emulator delivers webhooks 0.2 s after the event instead of ~1 s: Stripe promises no
# delivery time, so the app must not depend on it, and the browser walks wait for fewer seconds.
os.environ.setdefault("STRIPE_EMULATOR_WEBHOOK_DELAY", "0.2")

from app import create_app  # noqa: E402
from app import migrate as migrations  # noqa: E402
from app.accounts import passwords  # noqa: E402
from app.devtools.stripe_emulator import EmulatorProcess, run_in_subprocess  # noqa: E402
from app.extensions import db  # noqa: E402
from app.payments.gateway import PaymentGateway, gateway_for  # noqa: E402
from ml.heap import freeze_long_lived  # noqa: E402
from tests.stripe_support import (  # noqa: E402
    CONNECT_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    LiveServer,
    truncate_all,
)

passwords.use_cheap_hashing_for_tests()

pytest_plugins = ["tests.fixtures"]

# Packages whose tests move money: each gets a fresh Stripe idempotency namespace and the
# ledger invariants checked after it (``tests.fixtures.money_checked``); the disputes and
# messaging tests also store uploads in a private folder.
MONEY_PACKAGES = {
    "api",
    "payments",
    "disputes",
    "media",
    "contests",
    "campaigns",
    "negotiation",
    "insights",
    "messaging",
    "kernel",
    "notifications",
    "orders",
    "receipts",
    "pools",
}
UPLOAD_PACKAGES = {"disputes", "messaging"}

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own database next to TEST_DATABASE_URL's
    (``test`` -> ``test_gw0``), created on first use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        url = _worker_database(TEST_DATABASE_URL)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


class CommittingClient(FlaskClient):
    """Commits the test's setup before each request, as if earlier requests had made it.

    Requests share the test's session (same thread); a request that fails rolls that session
    back, which must not take the test's own setup with it. Committing here only releases a
    SAVEPOINT: the outer transaction is still rolled back after the test.

    The ``session`` fixture keeps an app context pushed, which Flask reuses for requests
    instead of pushing a fresh one; ``g`` (flask-login's cached user, CSRF state) is therefore
    emptied around each request, as a fresh app context would be.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if db.engine is not None and db.session.registry.has():
            db.session().commit()
        context = _cv_app.get(None)
        saved = dict(vars(context.g)) if context is not None else {}
        if context is not None:
            vars(context.g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            if context is not None:
                vars(context.g).clear()
                vars(context.g).update(saved)


def make_test_app(database_url: str, instance_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "MATCHING_ENABLED": False,
        "SERVER_NAME": "localhost",
        "PUBLIC_BASE_URL": "http://localhost",
        # A lock taken out of the app's order (app.workflow) fails the test that takes it.
        "LOCK_ORDER_STRICT": True,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = CommittingClient
    return app


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The local Stripe emulator, a real HTTP server in a subprocess, for the whole run."""
    state_file = tmp_path_factory.mktemp("stripe") / "state.pickle"
    with run_in_subprocess(state_file) as emu:
        yield emu


@pytest.fixture(scope="session")
def app(database_url: str, instance_path: Path, emulator: EmulatorProcess) -> Flask:
    """The app on the test database, talking to the emulator; no SDK retries (tests want to
    see each failure; jobs retry with the same idempotency key)."""
    app = make_test_app(
        database_url,
        instance_path,
        STRIPE_API_BASE=emulator.api_base,
        STRIPE_SECRET_KEY="sk_test_payments",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_CONNECT_WEBHOOK_SECRET=CONNECT_WEBHOOK_SECRET,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    # What is loaded now (pytest, the app, its libraries) lives for the whole run: full
    # collections skip it from here on, as in a server process (ml.heap). They cost about
    # 6 % of a test process's time (13 of them, 3.6 s, in a one-minute run of the payment
    # and dispute tests).
    freeze_long_lived()
    return app


@pytest.fixture()
def gateway(app: Flask) -> PaymentGateway:
    """The app's gateway, with a fresh idempotency-key namespace: rolled-back tests reuse
    database ids while the emulator remembers keys (as Stripe does for 24 hours)."""
    gateway = gateway_for(app)
    gateway.key_prefix = f"t{uuid.uuid4().hex[:10]}-"  # type: ignore[attr-defined]
    return gateway


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
        truncate_all()


@pytest.fixture()
def live_server(app: Flask, committed: Session) -> Iterator[LiveServer]:
    """The app on a real port, for the emulator to deliver webhooks to."""
    server = LiveServer(app)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def session(app: Flask) -> Iterator[Session]:
    """The app's session, bound to one connection whose outer transaction is rolled back.

    Commits made by the code under test only release SAVEPOINTs inside that transaction.
    """
    assert db.engine is not None
    connection = db.engine.connect()
    outer = connection.begin()
    db.bind(connection, join_transaction_mode="create_savepoint")
    try:
        with app.app_context():
            yield db.session()
    finally:
        db.session.remove()
        outer.rollback()
        connection.close()
        db.bind(db.engine)


@pytest.fixture()
def client(app: Flask, session: Session, gateway: PaymentGateway) -> FlaskClient:
    # ``gateway``: pages create PaymentIntents, and rolled-back tests reuse their ids.
    return app.test_client()


@pytest.fixture()
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request: pytest.FixtureRequest) -> None:
    """Rate limits count per process (memory storage): each test starts with none used."""
    if "app" in request.fixturenames:
        from app.security.ratelimit import limits_of

        limits_of(request.getfixturevalue("app")).reset()


@pytest.fixture(autouse=True)
def _package_fixtures(request: pytest.FixtureRequest) -> None:
    package = request.node.path.parent.name
    if package in MONEY_PACKAGES:
        request.getfixturevalue("money_checked")
    if package in UPLOAD_PACKAGES:
        request.getfixturevalue("media_root")


# ``make test`` runs ``--dist loadscope``: a module's tests stay on one worker, biggest modules
# first. These modules share nothing between their tests (each builds its own world), and as one
# unit they kept a worker busy for a large part of the run (the fuzz: 22 % of all test time; the
# HTML-route number bounds: 7 %): each of their tests is a unit of its own, so both workers share
# them and end together.
SPLIT_MODULES = {"tests/fuzz/test_api_fuzz.py", "tests/security/test_number_bounds.py"}
# Browser journeys are few tests per module (sorted last by size) but among the longest: they
# are handed out first, so none of them is the last thing running while the other worker idles.
FIRST_SCOPES = ("tests/e2e/",)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SplitScopeScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if module in SPLIT_MODULES else super()._split_scope(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            first = [scope for scope in self.workqueue if scope.startswith(FIRST_SCOPES)]
            for scope in reversed(first):
                self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return SplitScopeScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_page_cache(request: pytest.FixtureRequest) -> None:
    """Signed-out pages are cached per app (app.pagecache), keyed by the catalogue version
    row; each test's rows roll back (the version with them), so a page one test cached must
    not answer the next test's request for the same path."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").extensions.pop("page_cache", None)
        request.getfixturevalue("app").extensions.pop("demand_clusters", None)
