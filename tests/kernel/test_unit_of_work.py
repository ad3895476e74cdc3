"""The unit of work: a request commits when its view returns and rolls back when it raises;
a failed service call undoes exactly its own writes; some rows are kept whatever happens; the
error pages render without the database."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.accounts.models import LoginFailure
from app.audit import AuditEvent, record
from app.errors import Conflict
from app.extensions import db
from app.web import attempt, commit_unit_of_work, discard_unit_of_work, keep
from tests.fixtures import count


def _row(note: str) -> AuditEvent:
    return AuditEvent(actor_id=None, action=f"test.{note}", subject_type="test", subject_id=1)


def test_a_failed_attempt_undoes_its_writes_and_the_request_keeps_the_rest(
    app: Flask, session: Session
) -> None:
    before = count(session, AuditEvent)
    with app.test_request_context("/"):
        record(session, "test.kept", ("test", 1), actor_id=None)
        with pytest.raises(Conflict), attempt():
            session.add(_row("half-done"))
            session.flush()
            raise Conflict("refused after writing")
        commit_unit_of_work(app.response_class(status=409))  # the view returned an error page
    assert count(session, AuditEvent) == before + 1
    assert count(session, AuditEvent, AuditEvent.action == "test.half-done") == 0


def test_a_view_that_raises_rolls_back_but_kept_rows_stay(app: Flask, session: Session) -> None:
    before = (count(session, AuditEvent), count(session, LoginFailure))
    with app.test_request_context("/"):
        session.add(_row("lost"))
        keep(session, LoginFailure(email="x@example.com", remote_addr="10.0.0.1"))
        discard_unit_of_work()  # what every error handler does first
        commit_unit_of_work(app.response_class(status=500))
    assert count(session, AuditEvent) == before[0]
    assert count(session, LoginFailure) == before[1] + 1


def _broken(error: Exception) -> Any:
    def view(*_args: Any, **_kwargs: Any) -> Any:
        db.session().connection()  # the request has used the database...
        raise error  # ...and then it broke

    return view


@pytest.fixture()
def broken_home(app: Flask) -> Any:
    original = app.view_functions["pages.home"]
    saved = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def install(error: Exception) -> None:
        app.view_functions["pages.home"] = _broken(error)

    yield install
    app.view_functions["pages.home"] = original
    app.config["PROPAGATE_EXCEPTIONS"] = saved


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_lost_race_answers_409_try_again_and_a_crash_a_plain_500(
    client: Any, broken_home: Any
) -> None:
    broken_home(OperationalError("UPDATE milestones ...", {}, _Deadlock("deadlock detected")))
    response = client.get("/")
    assert response.status_code == 409 and "try again" in response.text
    assert response.headers["Content-Security-Policy"] and response.headers["X-Request-ID"]
    broken_home(RuntimeError("boom"))
    response = client.get("/")
    assert response.status_code == 500 and "Something broke" in response.text
    assert response.headers["Content-Security-Policy"] and response.headers["X-Request-ID"]
    api = client.get("/api/v1/openapi.json")
    assert api.status_code == 200  # the app carries on


def test_the_error_page_needs_no_database(client: Any, broken_home: Any, monkeypatch: Any) -> None:
    broken_home(RuntimeError("the connection is gone"))

    def no_database(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "rollback", no_database)
    response = client.get("/")
    assert response.status_code == 500 and "Something broke" in response.text
