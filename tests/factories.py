"""Factories that build valid objects through the real services (so invariants hold)."""

from __future__ import annotations

import itertools
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.accounts.models import User

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def make_user(
    session: Session,
    *,
    creator: bool = False,
    business: bool = False,
    moderator: bool = False,
    admin: bool = False,
    email: str | None = None,
    name: str | None = None,
    **profile: Any,
) -> User:
    n = next(_counter)
    user = accounts.register(
        session,
        email=email or f"user{n}@example.com",
        password=PASSWORD,
        display_name=name or f"Test User {n}",
        as_creator=creator or not (business or moderator or admin),
        as_business=business,
    )
    user.is_creator = creator
    user.is_moderator = moderator
    user.is_admin = admin
    if user.profile is not None:
        for key, value in profile.items():
            setattr(user.profile, key, value)
    session.flush()
    return user


def make_creator(session: Session, **kwargs: Any) -> User:
    return make_user(session, creator=True, **kwargs)


def make_business(session: Session, **kwargs: Any) -> User:
    return make_user(session, business=True, **kwargs)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def api_token(session: Session, user: User) -> dict[str, str]:
    """Authorization headers with a fresh API token for ``user``."""
    _token, secret = accounts.create_api_token(session, user, name="tests")
    return {"Authorization": f"Bearer {secret}"}
