"""Request plumbing shared by every blueprint: unit of work, loading helpers, headers."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, abort, request
from sqlalchemy.orm import Session

from app.extensions import db

T = TypeVar("T")


def commit_unit_of_work(response: Response) -> Response:
    """Commit the request's work when it succeeded; roll it back on any 4xx/5xx.

    Views never commit. A failure to commit propagates (500) and nothing is half-written.
    """
    session = db.session()
    if response.status_code < 400:
        session.commit()
    else:
        session.rollback()
    return response


def get_or_404(session: Session, model: type[T], ident: Any) -> T:
    obj = session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def get_owned_or_404(
    session: Session, model: type[T], ident: Any, owner_id: int, *, owner_attr: str = "owner_id"
) -> T:
    """Load ``model`` by id, answering 404 unless ``owner_id`` owns it.

    Other people's private objects are reported as missing (not forbidden) so ids of private
    objects cannot be probed.
    """
    obj = session.get(model, ident)
    if obj is None or getattr(obj, owner_attr) != owner_id:
        abort(404)
    return obj


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith("/api/") or request.endpoint in {"accounts.login"}:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
