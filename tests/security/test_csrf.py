"""Every HTML form action refuses a POST without a CSRF token (400) and changes nothing.

The routes come from the URL map (a new form is covered the day it exists); /api/ (bearer
tokens, no cookies) and /stripe/ (signed webhooks) are the only exemptions. The caller is
logged in as the owner of every object, so only the missing token can explain a refusal.
"""

from __future__ import annotations

import re

from app.accounts.models import User
from tests.factories import PASSWORD
from tests.security.snapshot import database_snapshot
from tests.test_access_control import _routes, _world

EXEMPT_PREFIXES = ("/api/", "/stripe/")


def _token(client, path: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).text)
    assert match, "no CSRF token on " + path
    return match.group(1)


def _login_with_token(client, email: str) -> None:
    token = _token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.text[:300]


def test_every_html_post_without_a_token_is_refused_and_changes_nothing(csrf_app, gateway, storage):
    app, session = csrf_app
    ids = _world(session, gateway, storage)
    owner = session.get(User, ids["creator_id"])
    owner.is_business = True  # owner of the offers and, below, of everything the forms touch
    session.commit()
    client = app.test_client()
    _login_with_token(client, owner.email)
    before = database_snapshot(session)
    posts = [
        (path, endpoint)
        for method, path, endpoint in _routes(app, ids)
        if method == "POST" and not path.startswith(EXEMPT_PREFIXES)
    ]
    assert len(posts) > 25  # the sweep really covers the forms
    for path, endpoint in posts:
        response = client.post(path, data={"title": "x", "message": "y", "body": "z"})
        assert response.status_code == 400, (path, endpoint, response.status_code)
        assert "CSRF" in response.text, path
    session.expire_all()
    assert database_snapshot(session) == before
    # Control: the same client, with the token, is let through (the 400s were the token's).
    token = _token(client, "/settings")
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
