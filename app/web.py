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

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from functools import partial
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    redirect,
    render_template,
    request,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, SecurityError
from werkzeug.wrappers import Response as BaseResponse

from app import uploads
from app.db import MAX_ID, SQLITE_WRITE_INTENT
from app.errors import (
    TITLES,
    DomainError,
    domain_error_response,
    problem,
    retry_after_headers,
    wants_json,
)
from app.extensions import db
from app.forms import FORM_ERROR_STATUS, apply_errors

T = TypeVar("T")
P = TypeVar("P")
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


def mark_write_intent() -> None:
    """before_request: a request that may write starts its SQLite transaction with the write
    lock (app.db.configure_sqlite); reads stay concurrent. No effect on PostgreSQL."""
    SQLITE_WRITE_INTENT.set(request.method not in ("GET", "HEAD", "OPTIONS"))


def clear_write_intent(_error: BaseException | None = None) -> None:
    """teardown_request: the thread's next transaction (a test, a CLI step) is a plain one."""
    SQLITE_WRITE_INTENT.set(False)


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
    on_error: Callable[[Any, DomainError], None] = apply_errors,
) -> P | BaseResponse:
    """Every form view and action button: a form page not yet submitted renders with 200;
    otherwise validate ``form`` (None for a button: its CSRF token is checked for every POST),
    run ``action`` in ``attempt()``, then flash ``done`` and redirect (``then`` is a URL or a
    function of the action's result); on a domain error put it on the form with ``on_error``
    (or flash it) and re-render with ``render(status)``."""
    if form is not None and not form.is_submitted():
        return render(200)
    if form is not None and not form.validate_on_submit():
        return render(FORM_ERROR_STATUS)
    try:
        with attempt():
            result = action()
    except DomainError as error:
        if form is not None:
            on_error(form, error)
        else:
            flash(error.message, "error")
        return render(status_for(error))
    flash(done, "success")
    return redirect(then(result) if callable(then) else then, code)


def list_page(
    blueprint: Blueprint,
    rule: str,
    endpoint: str,
    render: Callable[[], Any],
    guard: Callable[[Any], Any] = login_required,
) -> None:
    """The GET half of a list page with action buttons: ``rule`` shows ``render()`` (200) to
    whoever ``guard`` lets through; each button's ``submit`` re-renders the same function with
    its error status."""
    blueprint.add_url_rule(rule, endpoint, guard(lambda: render()), methods=["GET"])


def form_page(
    template: str,
    form: FlaskForm,
    action: Callable[[], Any],
    *,
    done: str,
    then: Callable[[Any], str] | str,
    **context: Any,
) -> Page | BaseResponse:
    """A page of one form (``submit``): ``template`` renders it with ``form`` and ``context``
    until ``action`` succeeds."""
    return submit(
        form,
        action,
        done=done,
        then=then,
        render=lambda status: (render_template(template, form=form, **context), status),
    )


def post_actions(
    blueprint: Blueprint,
    rule: str,
    handler: Callable[..., Any],
    actions: Mapping[str, tuple[Callable[..., Any], str]],
    *,
    endpoint: str = "{name}",
) -> None:
    """One signed-in POST route per row of an action table (name -> (service, what the flash
    says)): ``rule`` and ``endpoint`` are formatted with the name, and the view is
    ``handler(<url values>, action=service, done=message)``."""
    for name, (service, done) in actions.items():
        blueprint.add_url_rule(
            rule.format(name=name),
            endpoint=endpoint.format(name=name),
            methods=["POST"],
            view_func=login_required(partial(handler, action=service, done=done)),
        )


def unread_counter(count: Callable[[Session, int], int]) -> Callable[[], int]:
    """A template function: ``count(session, user id)`` for the signed-in user (0 for a
    visitor), run only when a page calls it (the header's unread badges)."""

    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        return count(db.session(), current_user.id)

    return unread


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
    """A same-site relative path to continue to, never "//evil.example", an absolute URL, or
    anything a browser could normalise into one: backslashes, whitespace and control
    characters (browsers drop tabs and newlines from URLs), raw or percent-encoded, refuse."""
    if not target or len(target) > 2048 or not target.startswith("/"):
        return default
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return default
    path = "".join(ch for ch in unquote(target.split("?", 1)[0]) if ch not in "\t\r\n")
    if path.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


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

# Stripe's own Stripe.js also calls api.stripe.com and opens 3-D Secure frames on
# hooks.stripe.com (Stripe's documented CSP); the emulator serves all of it from one origin.
_STRIPE_HOSTED_EXTRA = {
    "connect-src": "https://api.stripe.com",
    "frame-src": "https://hooks.stripe.com",
}


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(stripe_js_url: str | None = None) -> str:
    """The site's CSP; with ``stripe_js_url`` (default: the app's STRIPE_JS_URL) its origin,
    and nothing else, is allowed in script-src, frame-src and connect-src."""
    if stripe_js_url is None:
        stripe_js_url = current_app.config.get("STRIPE_JS_URL") if has_app_context() else None
    if not stripe_js_url:
        return CONTENT_SECURITY_POLICY
    stripe = origin_of(stripe_js_url)
    extra = _STRIPE_HOSTED_EXTRA if stripe == "https://js.stripe.com" else {}

    def sources(directive: str, *base: str) -> str:
        return " ".join([directive, *base, stripe, *filter(None, [extra.get(directive)])])

    return "; ".join(
        [
            "default-src 'self'",
            sources("script-src", "'self'"),
            "style-src 'self'",
            "img-src 'self' data:",
            sources("connect-src", "'self'"),
            sources("frame-src"),
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.path.startswith("/api/") or request.endpoint in {"accounts.login"}:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- the one mapping of errors to answers -----------------------------------------------


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
        body, status = page(error.status, error.message)
        return body, status, retry_after_headers(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        discard_unit_of_work()
        status = error.code or 500
        if isinstance(error, SecurityError):
            # An untrusted Host header (TRUSTED_HOSTS): no URL can be built for it, so no
            # page with links either; a plain answer that echoes nothing back.
            return Response("Bad Request: unknown host.\n", 400, mimetype="text/plain")
        if wants_json():
            response = problem(status, TITLES.get(status, error.name), error.description)
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
