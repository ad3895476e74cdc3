"""Request plumbing shared by every blueprint: the unit of work, loading helpers, the one
mapping of domain errors to pages, and security headers.

Unit of work: a request commits when its view *returns* (whatever the status: a re-rendered
form with its errors is a normal answer) and rolls back when the view *raises* (the error
handlers call ``discard_unit_of_work``). A service call that may fail runs in ``attempt()``, a
SAVEPOINT: its domain error undoes exactly its own writes and uploads, so the page can show
the error and nothing half-done is ever committed. A row that must be stored even when the
request fails (a login failure) is handed to ``keep()``. Views never commit or roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from flask import Response, abort, flash, g, redirect, request
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app import uploads
from app.errors import DomainError
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors

T = TypeVar("T")
P = TypeVar("P")
# Ids are BIGINT: a larger path id cannot exist, and asking the driver about it would overflow.
MAX_ID = 2**63 - 1
Page = str | tuple[str, int]
_KEEP = "unit_of_work_keep"
_DISCARDED = "unit_of_work_discarded"


def commit_unit_of_work(response: Response) -> Response:
    """after_request: commit what a view that returned has done (nothing if it raised).

    A failing commit propagates (500) and nothing is half-written; uploads of the request
    are dropped then (``uploads.teardown``).
    """
    if not g.get(_DISCARDED):
        db.session().commit()
        uploads.forget_tracked()
    return response


def discard_unit_of_work() -> None:
    """The view raised: roll back everything it did, then store the rows it asked to keep.

    Never raises: an error page must render even when the database connection is broken.
    """
    setattr(g, _DISCARDED, True)
    uploads.discard_tracked()
    kept: list[Any] = g.pop(_KEEP, [])
    try:
        session = db.session()
        session.rollback()
        if kept:
            for row in kept:
                session.merge(row)
            session.commit()
    except Exception:  # noqa: BLE001 - logged by the caller's error handler
        with suppress(Exception):
            db.session.remove()


def keep(session: Session, row: Any) -> None:
    """Store ``row`` with this request whatever happens: committed with the request, or on
    its own if the request is rolled back (e.g. the record of a failed login)."""
    session.add(row)
    g.setdefault(_KEEP, []).append(row)


@contextmanager
def attempt() -> Iterator[None]:
    """Run a service call in a SAVEPOINT: a DomainError undoes exactly its writes (and drops
    the files it stored) before it propagates to the view."""
    session = db.session()
    stored_before = uploads.tracked_count()
    try:
        with session.begin_nested():
            yield
    except DomainError:
        uploads.discard_tracked(since=stored_before)
        raise


def status_for(error: DomainError) -> int:
    """The status of a page that shows ``error``: input problems (400, 402 declined card,
    422) are form errors (422); conflicts, permissions and provider failures keep theirs."""
    return FORM_ERROR_STATUS if error.status in (400, 402, 422) else error.status


def submit(
    form: FlaskForm | None,
    action: Callable[[], Any],
    *,
    done: str,
    then: Callable[[Any], str] | str,
    render: Callable[[int], P],
    code: int = 303,
) -> P | BaseResponse:
    """The POST half of every form view and action button: validate ``form`` (None for a
    button: its CSRF token is checked for every POST), run ``action`` in ``attempt()``, then
    flash ``done`` and redirect (``then`` is a URL or a function of the action's result); on
    a domain error put it on the form (or flash it) and re-render with ``render(status)``."""
    if form is not None and not form.validate_on_submit():
        return render(FORM_ERROR_STATUS)
    try:
        with attempt():
            result = action()
    except DomainError as error:
        if form is not None:
            apply_errors(form, error)
        else:
            flash(error.message, "error")
        return render(status_for(error))
    flash(done, "success")
    return redirect(then(result) if callable(then) else then, code)


def load_or_404(model: type[T], ident: int, allowed: Callable[[T], bool] | None = None) -> T:
    """Load ``model`` row ``ident``, answering 404 when it does not exist or ``allowed`` says
    no: other people's private objects are reported missing, so their ids cannot be probed."""
    obj = db.session.get(model, ident) if 0 < ident <= MAX_ID else None
    if obj is None or (allowed is not None and not allowed(obj)):
        abort(404)
    return obj


def get_or_404(session: Session, model: type[T], ident: Any) -> T:
    obj = session.get(model, ident) if 0 < int(ident) <= MAX_ID else None
    if obj is None:
        abort(404)
    return obj


def get_owned_or_404(
    session: Session, model: type[T], ident: Any, owner_id: int, *, owner_attr: str = "owner_id"
) -> T:
    """Load ``model`` by id, answering 404 unless ``owner_id`` owns it."""
    obj = get_or_404(session, model, ident)
    if getattr(obj, owner_attr) != owner_id:
        abort(404)
    return obj


def safe_next(target: str | None, default: str) -> str:
    """A same-site relative path to continue to, never "//evil.example" or an absolute URL."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


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
