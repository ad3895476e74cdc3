"""Typed domain errors and how they reach users: HTML pages or RFC 9457 problem+json."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, jsonify, request


class DomainError(Exception):
    """Base of every error a service raises on purpose; carries an HTTP status for views."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422
    code = "validation_failed"

    def __init__(self, errors: dict[str, list[str]] | str, *, field: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {field or "_": [errors]}
        self.errors = errors
        first = next(iter(errors.values()))[0] if errors else "Invalid input."
        super().__init__(first, field=field)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class RateLimited(DomainError):
    """Too many of something in a window (spam protection); try again later."""

    status = 429
    code = "rate_limited"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/stripe/")


def domain_error_response(error: DomainError) -> Response:
    extra: dict[str, Any] = {"code": error.code}
    if isinstance(error, ValidationFailed):
        extra["errors"] = error.errors
    elif error.field:
        extra["errors"] = {error.field: [error.message]}
    response = problem(error.status, TITLES.get(error.status, "Error"), error.message, **extra)
    response.headers.update(retry_after_headers(error))
    return response


def retry_after_headers(error: DomainError) -> dict[str, str]:
    """A 429/503 error that knows when to come back says so (``retry_after`` seconds)."""
    seconds = error.extra.get("retry_after")
    if isinstance(seconds, int | float) and seconds > 0:
        return {"Retry-After": str(math.ceil(seconds))}
    return {}


TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
