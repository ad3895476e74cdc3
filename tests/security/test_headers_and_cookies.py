"""Security headers on every HTML page, and the flags of the cookies that authenticate.

Login throttling is covered by tests/accounts/test_views.py
(test_wrong_password_is_recorded_and_throttles); it is not repeated here.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from tests.conftest import make_test_app
from tests.factories import PASSWORD, login
from tests.test_access_control import _routes, _world


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def _check_headers(path: str, response) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, path
    policy = _directives(csp)
    for directive in ("script-src", "style-src"):
        sources = policy.get(directive) or policy["default-src"]
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (path, csp)
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["object-src"] == ["'none'"], path
    assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_every_html_page_sends_the_security_headers(app, client, session, gateway, storage):
    ids = _world(session, gateway, storage)
    owner_id = ids["creator_id"]
    from app.accounts.models import User

    login(client, session.get(User, owner_id))
    pages = 0
    for method, path, _endpoint in _routes(app, ids):
        if method != "GET" or path.startswith("/api/"):
            continue
        response = client.get(path)
        if response.mimetype == "text/html":
            _check_headers(path, response)
            pages += 1
    _check_headers("/missing", client.get("/definitely/missing"))  # error pages too
    assert pages > 20


def _set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            cookies[name] = header
    return cookies


def _flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]} | {
        part.strip().lower() for part in header.split(";")[1:]
    }


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(client, session):
    from tests.factories import make_creator

    user = make_creator(session)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    cookies = _set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert "httponly" in flags and "samesite=lax" in flags, cookies[name]
        assert "secure" not in flags  # plain http in development


def test_cookies_are_secure_when_configured(app, database_url, tmp_path, session):
    from app.extensions import db

    engine = db.engine
    try:
        secure_app = make_test_app(database_url, tmp_path, SESSION_COOKIE_SECURE=True)
        from tests.factories import make_creator

        user = make_creator(session)
        session.commit()
        client = secure_app.test_client()
        response = client.post(
            "https://localhost/login",
            data={"email": user.email, "password": PASSWORD, "remember": "y"},
        )
    finally:
        assert engine is not None
        db.engine = engine
    assert response.status_code == 302, response.text[:300]
    cookies = _set_cookies(response)
    for name in ("session", "remember_token"):
        flags = _flags(cookies[name])
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookies[name]
