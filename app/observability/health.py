"""Probes for process managers and load balancers (JSON, no authentication, no side effects).

/healthz: the process answers (liveness: restart it when this fails).
/readyz: it can serve (readiness: route traffic to it only when this is 200): the database
answers, its schema is at every migration head, and the matching index loads.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@functools.cache
def expected_heads() -> frozenset[str]:
    """Heads of the migration scripts shipped with this code (read once per process)."""
    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def _database(session: Session) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    return {"ok": True}


def _migrations(session: Session) -> dict[str, Any]:
    from alembic.runtime.migration import MigrationContext

    current = set(MigrationContext.configure(session.connection()).get_current_heads())
    expected = expected_heads()
    return {"ok": current == expected, "current": sorted(current), "expected": sorted(expected)}


def _index(session: Session) -> dict[str, Any]:
    if not current_app.config["MATCHING_ENABLED"]:
        return {"ok": True, "detail": "matching disabled"}
    from app.matching.index import current_matcher

    # Loads the snapshot once per process (later probes only check its version), so a ready
    # process has its index in memory before the first search reaches it.
    matcher = current_matcher(session)
    return {"ok": True, "documents": len(matcher)}


CHECKS = {"database": _database, "migrations": _migrations, "index": _index}


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    session = db.session()
    results: dict[str, dict[str, Any]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check(session)
        except Exception as exc:  # a probe reports every failure instead of raising
            session.rollback()
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
            if name == "database":
                break  # the other checks need the database
    ready = len(results) == len(CHECKS) and all(r["ok"] for r in results.values())
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return jsonify(body), 200 if ready else 503
