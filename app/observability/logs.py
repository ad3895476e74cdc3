"""Structured logs: one JSON object per line, each carrying the request id.

``X-Request-ID`` is taken from the request when it looks like an id (a proxy or the caller
made it) or generated, kept in ``g``, echoed in the response and added to every log line
written while the request is handled, whichever logger wrote it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from outside end up in logs and headers: accept only short, plain tokens.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# Secrets that travel in URLs or headers and must never reach a log line: password-reset
# tokens (in the path), API tokens (c2b_...), and token-like query parameters.
_SECRETS = (
    (re.compile(r"(?i)(Bearer\s+)[A-Za-z0-9._~+/\-]+=*"), r"\1[redacted]"),
    (re.compile(r"(/reset-password/)[^/?#\s\"']+"), r"\1[redacted]"),
    (re.compile(r"\bc2b_[A-Za-z0-9_\-]{8,}"), "c2b_[redacted]"),
    (re.compile(r"(?i)\b((?:access_)?token|secret|password|key)=[^&\s\"']+"), r"\1=[redacted]"),
)


def redact(text: str) -> str:
    """``text`` with every secret that looks like ours replaced by [redacted]."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """For loggers that do not use JsonFormatter (werkzeug's development server access
    lines): the rendered message is redacted in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    return g.get("request_id")


def assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex


def echo_request_id(response: Response) -> Response:
    request_id = current_request_id()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id", ...extra}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        # The console mail backend (development only) exists to show mails, links included.
        clean = (lambda text: text) if getattr(record, "mail", False) else redact
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": clean(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = clean(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = clean(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def install_json_logging(level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Route the root logger (and so every library's loggers) to one JSON handler on stderr.

    Idempotent: a second app in the same process reuses the handler.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, JsonFormatter):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries that narrate routine start-up at INFO (which CPU kernel FAISS picked, each
    # migration step) would bury the application's own lines.
    for chatty in ("faiss.loader", "alembic.runtime.migration"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return handler


def init_logging(app: Flask) -> None:
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(RedactingFilter())
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)
    # The test suite captures logs itself (a stream handler would outlive its captured stderr).
    if app.config["LOG_FORMAT"] == "json" and not app.testing:
        install_json_logging(app.config["LOG_LEVEL"])
