"""On SQLite (the default database) concurrent writing requests wait for each other.

Finding: concurrent funding and refund on SQLite answered "database is locked": each request
read in a deferred transaction, and the second one to write could not upgrade its snapshot
after the first committed (busy_timeout does not help there). Requests that may write now
begin with ``BEGIN IMMEDIATE`` (app.db / app.web.mark_write_intent) and queue on the lock.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.db import SQLITE_WRITE_INTENT, configure_sqlite


def _race(path: Path, *, write_intent: bool) -> list[str]:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS balance (id INTEGER PRIMARY KEY, v INT)"))
        conn.execute(text("DELETE FROM balance"))
        conn.execute(text("INSERT INTO balance VALUES (1, 100)"))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def request(delta: int) -> None:
        SQLITE_WRITE_INTENT.set(write_intent)
        start.wait()
        try:
            with engine.begin() as conn:
                value = conn.execute(text("SELECT v FROM balance WHERE id = 1")).scalar_one()
                time.sleep(0.3)  # the other request reads meanwhile
                conn.execute(text("UPDATE balance SET v = :v WHERE id = 1"), {"v": value + delta})
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes.append(str(exc).splitlines()[0])

    threads = [threading.Thread(target=request, args=(d,)) for d in (-30, +50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        final = conn.execute(text("SELECT v FROM balance")).scalar_one()
        outcomes.append(f"v={final}")
    engine.dispose()
    return outcomes


def test_writing_requests_wait_for_each_other_instead_of_failing(tmp_path):
    outcomes = _race(tmp_path / "race.db", write_intent=True)
    assert outcomes == ["ok", "ok", "v=120"], outcomes


def test_without_the_write_intent_the_race_fails_as_before(tmp_path):
    """The control: the old plain BEGIN loses one of the two writes to "database is locked"."""
    outcomes = _race(tmp_path / "race.db", write_intent=False)
    assert any("database is locked" in outcome for outcome in outcomes), outcomes


@pytest.mark.parametrize(("method", "intent"), [("POST", True), ("GET", False)])
def test_the_web_layer_marks_writing_requests(app, method, intent):
    with app.test_request_context("/", method=method):
        app.preprocess_request()
        assert SQLITE_WRITE_INTENT.get() is intent
    assert SQLITE_WRITE_INTENT.get() is False  # cleared when the request ends
