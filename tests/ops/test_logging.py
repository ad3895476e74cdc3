"""Request ids: accepted or generated, echoed, and on every JSON log line of the request."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from app.observability.logs import JsonFormatter, assign_request_id
from tests.factories import make_creator


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.42"


@pytest.mark.parametrize("incoming", [None, "", "has space", "x" * 129, "<script>"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(client, incoming):
    headers = {"X-Request-ID": incoming} if incoming is not None else {}
    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_error_responses_carry_the_request_id_too(client):
    response = client.get("/no/such/page", headers={"X-Request-ID": "lost-1"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "lost-1"


def test_log_lines_written_during_a_request_are_json_with_its_id(client, session):
    """The console mail backend logs the reset email inside the forgot-password request."""
    user = make_creator(session)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("app.mail")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        response = client.post(
            "/forgot-password", data={"email": user.email}, headers={"X-Request-ID": "rq-9"}
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert response.status_code == 302
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "the reset email was not logged"
    entry = lines[0]
    assert entry["request_id"] == "rq-9" == response.headers["X-Request-ID"]
    assert entry["level"] == "INFO" and entry["logger"] == "app.mail"
    assert user.email in entry["message"] and entry["mail"] is True
    assert entry["ts"].endswith("+00:00")


def test_formatter_outside_a_request_has_no_id_and_keeps_exceptions(app):
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("job",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed job" and "request_id" not in entry
    assert "ValueError: boom" in entry["exception"]
    with app.test_request_context(headers={"X-Request-ID": "ctx-1"}):
        assign_request_id()
        plain = logging.LogRecord("x", logging.INFO, __file__, 1, "hi", (), None)
        assert json.loads(JsonFormatter().format(plain))["request_id"] == "ctx-1"


def test_tokens_are_redacted_from_access_and_application_logs():
    """Finding: password-reset tokens were written to access logs (the path carries them)."""
    token = "eyJ1aWQiOjF9.Z5y7Qg.Ak1x-Secret_Part"
    access = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "request", (), None)
    access.path = f"/reset-password/{token}"
    access.query = "token=abc123&page=2"
    entry = json.loads(JsonFormatter().format(access))
    assert token not in json.dumps(entry)
    assert entry["path"] == "/reset-password/[redacted]"
    assert entry["query"] == "token=[redacted]&page=2"
    api = logging.LogRecord(
        "app", logging.WARNING, __file__, 1, "bad header %s", ("Bearer c2b_AbCdEf123456789",), None
    )
    assert "c2b_AbCdEf" not in JsonFormatter().format(api)


def test_the_development_servers_access_lines_are_redacted(app):
    """werkzeug's own text access log (``make run``) goes through RedactingFilter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    try:
        logger.info(
            '%s - - "%s" %s', "127.0.0.1", "GET /reset-password/tok.en.secret HTTP/1.1", 200
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    assert "tok.en.secret" not in stream.getvalue()
    assert "/reset-password/[redacted]" in stream.getvalue()
