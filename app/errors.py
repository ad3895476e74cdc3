"""Typed domain errors and how they reach users: HTML pages or RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


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
    return problem(error.status, _TITLES.get(error.status, "Error"), error.message, **extra)


_TITLES = {
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


def is_transient_db_error(error: BaseException) -> bool:
    """A deadlock, a serialization failure or a busy SQLite file: the request lost a race and
    can simply be tried again (nothing was committed)."""
    from sqlalchemy.exc import DBAPIError

    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return code in {"40P01", "40001", "55P03"} or "database is locked" in str(error.orig)


RETRY_MESSAGE = "Someone changed this at the same moment. Nothing was saved: please try again."


def init_error_handlers(app: Flask) -> None:
    """The one mapping of errors to answers: problem+json under /api and /stripe, pages
    elsewhere. Every handler first discards the request's unit of work (app.web)."""
    from app.web import discard_unit_of_work

    def page(status: int, message: str, *, standalone: bool = False) -> Any:
        template = "errors/fatal.html" if standalone else "errors/error.html"
        return render_template(template, status=status, message=message), status

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        discard_unit_of_work()
        if wants_json():
            response = domain_error_response(error)
            if error.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        return page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        discard_unit_of_work()
        status = error.code or 500
        if wants_json():
            response = problem(status, _TITLES.get(status, error.name), error.description)
            # Keep the headers the error carries (e.g. Allow on 405), minus its content type.
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers[name] = value
            return response
        return page(status, error.description or "")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        # Rendered without the database (the session may be what broke) and without the
        # signed-in navigation: a plain page that still gets the request id and CSP headers.
        discard_unit_of_work()
        if is_transient_db_error(error):
            app.logger.warning("request lost a database race: %s", error)
            if wants_json():
                return problem(409, "Conflict", RETRY_MESSAGE, code="retry")
            return page(409, RETRY_MESSAGE, standalone=True)
        app.logger.exception("unhandled error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        if wants_json():
            return problem(500, "Internal Server Error", "Something went wrong on our side.")
        return page(500, "Something went wrong on our side.", standalone=True)
