"""Session authentication (flask-login) and role checks for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort
from flask_login import current_user, login_required

from app.accounts.models import Role, User
from app.accounts.services import session_is_live
from app.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    # Re-check the session on every request when the client's address changes.
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        ident, version, sid = (user_id.split(":") + ["", ""])[:3]
        if not ident.isdigit() or len(ident) > 19 or not sid:
            return None
        user = db.session.get(User, int(ident))
        # A password change bumps session_version; older sessions stop working.
        if user is None or str(user.session_version) != version:
            return None
        # Logging out revokes the server-side session, so a replayed cookie is refused.
        if not session_is_live(db.session(), user, sid):
            return None
        user.auth_session_id = sid
        return user


def current() -> User:
    """The logged-in user (call only behind ``login_required``)."""
    return cast(User, current_user._get_current_object())


def role_required(role: Role) -> Callable[[F], F]:
    """Require login and ``role``; a logged-in user without it gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current().has_role(role):
                abort(403, description=f"This page is for {role.value} accounts.")
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
