"""Revocation: a password change or reset revokes API tokens and signs out every session and
remember-me cookie; logging out ends the session on the server, so a copied cookie replayed
afterwards is refused.

Findings: API tokens survived a password change or reset; session and remember-me cookies
replayed after logout still worked (the session lives in a signed cookie, nothing on the
server said it had ended).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app import mail
from app.accounts.models import ApiToken, AuthSession
from tests.factories import PASSWORD, api_token, make_creator

NEW_PASSWORD = "another long passphrase"


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _login(client, user, *, remember: bool = False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _replay(app, cookies: dict[str, str]):
    """A fresh browser presenting copied cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value, domain="localhost")
    return other.get("/settings")


def test_a_session_cookie_replayed_after_logout_is_refused(app, client, session):
    user = make_creator(session)
    _login(client, user)
    stolen = _cookies(client)
    assert _replay(app, stolen).status_code == 200  # the copy works while signed in
    client.post("/logout")
    response = _replay(app, stolen)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remember_me_cookie_replayed_after_logout_is_refused(app, client, session):
    user = make_creator(session)
    _login(client, user, remember=True)
    remember = {k: v for k, v in _cookies(client).items() if k == "remember_token"}
    assert remember, _cookies(client)
    assert _replay(app, remember).status_code == 200  # remember-me alone signs in
    client.post("/logout")
    assert _replay(app, remember).status_code == 302


def test_logout_ends_only_this_browsers_session(app, client, session):
    user = make_creator(session)
    other = app.test_client()
    _login(other, user)
    _login(client, user)
    client.post("/logout")
    assert other.get("/settings").status_code == 200
    rows = session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).all()
    assert sorted(row.revoked_at is None for row in rows) == [False, True]


def test_password_change_revokes_tokens_and_every_other_session(app, client, session):
    user = make_creator(session)
    headers = api_token(session, user)
    assert client.get("/api/v1/contracts", headers=headers).status_code == 200
    other = app.test_client()
    _login(other, user, remember=True)
    remember = {k: v for k, v in _cookies(other).items() if k == "remember_token"}
    _login(client, user)
    response = client.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert client.get("/settings").status_code == 200  # this browser stays signed in
    assert other.get("/settings").status_code == 302
    assert _replay(app, remember).status_code == 302
    assert client.get("/api/v1/contracts", headers=headers).status_code == 401
    tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert tokens and all(token.revoked_at is not None for token in tokens)


def test_password_reset_revokes_tokens_and_every_session(app, client, session):
    user = make_creator(session)
    headers = api_token(session, user)
    _login(client, user, remember=True)
    stolen = _cookies(client)
    box = mail.outbox(app)
    box.clear()
    anonymous = app.test_client()
    anonymous.post("/forgot-password", data={"email": user.email})
    path = re.search(r"http://localhost(/reset-password/\S+)", box[0].body).group(1)
    response = anonymous.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/settings").status_code == 302
    assert _replay(app, stolen).status_code == 302
    assert anonymous.get("/api/v1/contracts", headers=headers).status_code == 401
