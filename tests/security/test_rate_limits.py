"""Rate limits: login per account with growing delays (no lockout an attacker can trigger)
and per client, password-reset mails, sign-up, and the API per token; 429 with Retry-After,
problem+json on the API.

Findings: 5 failures locked any chosen account for 15 minutes; password-reset mails and the
API had no limit at all.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app import clock, mail
from app.accounts.models import User
from tests.factories import PASSWORD, api_token, make_creator


def _fail(client, email: str):
    return client.post("/login", data={"email": email, "password": "wrong password!"})


def test_failed_logins_slow_an_account_down_but_never_lock_it_for_long(app, client, session):
    """An attacker failing on purpose delays the owner by at most the maximum delay (a minute),
    not the 15-minute window the old hard lockout imposed."""
    user = make_creator(session)
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    start = clock.now()
    with clock.frozen_at(start):
        for _ in range(limit):
            assert _fail(client, user.email).status_code == 401
        blocked = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert blocked.status_code == 429
        first_wait = int(blocked.headers["Retry-After"])
        assert 1 <= first_wait <= 2
        # The attacker keeps going whenever a delay ends: the delays grow...
        waits = []
        for _ in range(8):
            clock.advance(timedelta(seconds=61))
            assert _fail(client, user.email).status_code == 401
            response = _fail(client, user.email)
            waits.append(int(response.headers["Retry-After"]))
        assert waits == sorted(waits) and waits[0] < waits[-1]
        # ...but never past the cap: the owner gets in a minute later, inside the old window.
        max_delay = app.config["LOGIN_THROTTLE_MAX_DELAY_SECONDS"]
        assert max(waits) <= max_delay
        clock.advance(timedelta(seconds=max_delay + 1))
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]


def test_login_attempts_per_client_are_limited_across_accounts(app, client, session):
    """Two limits per client address: failures across accounts (the login_failures table,
    shared by every process) and attempts of any outcome (the limits store)."""
    failures = 4 * app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    attempts = app.extensions["rate_limits"].rules["login.client"].amount
    for n in range(min(failures, attempts)):
        assert _fail(client, f"someone{n}@example.com").status_code == 401
    response = _fail(client, "another@example.com")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_password_reset_mails_are_limited_per_address(app, client, session):
    user = make_creator(session)
    box = mail.outbox(app)
    box.clear()
    allowed = app.extensions["rate_limits"].rules["reset.email"].amount
    for _ in range(allowed):
        assert client.post("/forgot-password", data={"email": user.email}).status_code == 302
    response = client.post("/forgot-password", data={"email": user.email.upper()})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert len(box) == allowed  # no mail-bombing the victim


def test_password_reset_requests_are_limited_per_client(app, client, session):
    allowed = app.extensions["rate_limits"].rules["reset.client"].amount
    for n in range(allowed):
        response = client.post("/forgot-password", data={"email": f"n{n}@example.com"})
        assert response.status_code == 302
    assert client.post("/forgot-password", data={"email": "x@example.com"}).status_code == 429


def test_sign_ups_are_limited_per_client(app, client, session):
    allowed = app.extensions["rate_limits"].rules["signup.client"].amount
    before = session.scalar(select(func.count()).select_from(User))
    for n in range(allowed + 1):
        response = client.post(
            "/register",
            data={
                "email": f"new{n}@example.com",
                "password": "a long enough passphrase",
                "display_name": f"New {n}",
                "as_creator": "y",
            },
        )
        client.post("/logout")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert session.scalar(select(func.count()).select_from(User)) == before + allowed


def test_the_api_is_limited_per_token_with_a_problem_response(app, client, session, monkeypatch):
    limits = app.extensions["rate_limits"]
    monkeypatch.setitem(limits.rules, "api.token", _item("3/minute"))
    user = make_creator(session)
    mine, other = api_token(session, user), api_token(session, make_creator(session))
    for _ in range(3):
        assert client.get("/api/v1/contracts", headers=mine).status_code == 200
    response = client.get("/api/v1/contracts", headers=mine)
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    # Another token has its own budget.
    assert client.get("/api/v1/contracts", headers=other).status_code == 200


def test_anonymous_api_calls_are_limited_per_client(app, client, session, monkeypatch):
    limits = app.extensions["rate_limits"]
    monkeypatch.setitem(limits.rules, "api.client", _item("2/minute"))
    assert client.get("/api/v1/offers").status_code == 200
    assert client.get("/api/v1/offers").status_code == 200
    response = client.get("/api/v1/offers")
    assert response.status_code == 429 and "Retry-After" in response.headers


def _item(text: str):
    from limits import parse

    return parse(text)


def test_attempts_of_any_outcome_are_limited_per_client(app, client, session, monkeypatch):
    limits = app.extensions["rate_limits"]
    monkeypatch.setitem(limits.rules, "login.client", _item("3/minute"))
    user = make_creator(session)
    for _ in range(3):
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
        client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_limits_can_be_switched_off_and_overridden(configured_app):
    app = configured_app(RATELIMITS={"reset.email": "1/day"}, RATELIMIT_ENABLED=False)
    limits = app.extensions["rate_limits"]
    assert limits.rules["reset.email"].amount == 1 and not limits.enabled
