"""/healthz and /readyz: JSON probes that report, never raise."""

from __future__ import annotations

from app.extensions import db
from app.observability import health
from tests.conftest import make_test_app


def test_healthz_answers_anonymously_with_json(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json and response.json == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client, app, monkeypatch):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"ok": True}
    migrations = body["checks"]["migrations"]
    assert migrations["ok"] and migrations["current"] == migrations["expected"] != []


def test_readyz_refuses_traffic_when_a_migration_is_missing(client, monkeypatch):
    heads = health.expected_heads() | {"9999_not_applied"}
    monkeypatch.setattr(health, "expected_heads", lambda: heads)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["migrations"]["ok"] is False
    assert "9999_not_applied" in response.json["checks"]["migrations"]["expected"]


def test_readyz_loads_the_matching_index_when_matching_is_on(client, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MATCHING_ENABLED", True)
    monkeypatch.setitem(app.config, "INDEX_DIR", str(tmp_path / "index"))
    app.extensions.pop("live_index", None)
    try:
        response = client.get("/readyz")
    finally:
        app.extensions.pop("live_index", None)
    assert response.status_code == 200, response.json
    assert response.json["checks"]["index"] == {"ok": True, "documents": 0}


def test_readyz_reports_an_unreachable_database(tmp_path):
    engine = db.engine
    try:
        broken = make_test_app(f"sqlite:///{tmp_path}/missing/dir/db.sqlite", tmp_path)
        response = broken.test_client().get("/readyz")
    finally:
        assert engine is not None
        db.engine = engine  # the extension is process-wide: give the suite its database back
        db.bind(engine)
    assert response.status_code == 503
    checks = response.json["checks"]
    assert checks["database"]["ok"] is False and "OperationalError" in checks["database"]["error"]
    assert "migrations" not in checks  # not attempted without a database
