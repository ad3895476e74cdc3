"""Forgot password: the emailed link works once, expires, belongs to one user, and the form
answers the same whether or not an account exists."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import clock, mail
from app.accounts import passwords
from app.accounts.reset import make_token
from app.audit import AuditEvent
from tests.factories import PASSWORD, login, make_business, make_creator

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture()
def outbox(app):
    box = mail.outbox(app)
    box.clear()
    return box


def _ask(client, email: str):
    return client.post("/forgot-password", data={"email": email})


def _link(outbox) -> str:
    assert len(outbox) == 1, list(outbox)
    match = re.search(r"http://localhost(/reset-password/\S+)", outbox[0].body)
    assert match, outbox[0].body
    return match.group(1)


def _reset(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "confirm": password})


def test_login_page_links_to_forgot_password(client):
    assert 'href="/forgot-password"' in client.get("/login").get_data(as_text=True)


def test_the_emailed_link_sets_a_new_password_once(client, session, outbox):
    user = make_creator(session)
    version = user.session_version
    response = _ask(client, user.email.upper())
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert outbox[0].to == user.email
    path = _link(outbox)
    assert client.get(path).status_code == 200
    response = _reset(client, path)
    assert response.status_code == 302, response.get_data(as_text=True)
    session.refresh(user)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    assert user.session_version == version + 1  # every other session is signed out
    # Used once: the password hash it was keyed with is gone.
    again = _reset(client, path, "yet another passphrase")
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    session.refresh(user)
    assert passwords.verify_password(user.password_hash, NEW_PASSWORD)
    login(client, user, NEW_PASSWORD)


def test_reset_signs_out_existing_sessions(app, client, session, outbox):
    user = make_creator(session)
    other = app.test_client()
    login(other, user)
    assert other.get("/dashboard").status_code == 200
    _ask(client, user.email)
    assert _reset(client, _link(outbox)).status_code == 302
    assert other.get("/dashboard").status_code == 302  # back to the login page


def test_an_expired_link_is_refused(client, session, outbox, app):
    user = make_creator(session)
    start = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        _ask(client, user.email)
        path = _link(outbox)
        clock.advance(timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] - 5))
        assert client.get(path).status_code == 200  # still valid just before the hour
        clock.advance(timedelta(seconds=10))
        response = _reset(client, path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_a_token_only_works_for_the_user_it_was_made_for(client, session, app):
    victim, attacker = make_creator(session), make_business(session)
    token = make_token(app.config["SECRET_KEY"], attacker)
    # Splice the attacker's signature onto a payload naming the victim: refused.
    forged_payload = make_token(app.config["SECRET_KEY"], victim).split(".")[0]
    forged = ".".join([forged_payload, *token.split(".")[1:]])
    for path in (f"/reset-password/{forged}", "/reset-password/not-a-token"):
        response = _reset(client, path)
        assert response.status_code == 400, path
    # A token signed with another secret (another installation) is refused too.
    foreign = make_token("another-secret", victim)
    assert _reset(client, f"/reset-password/{foreign}").status_code == 400
    session.refresh(victim)
    assert passwords.verify_password(victim.password_hash, PASSWORD)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, session, outbox):
    user = make_creator(session)
    answers, sent = [], []
    for email in (user.email, "nobody-here@example.com"):
        outbox.clear()
        response = _ask(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append(
            (response.status_code, response.headers["Location"], "If an account" in page)
        )
        sent.append(len(outbox))
    assert answers[0] == answers[1] == (302, "/login", True)
    assert sent == [1, 0]  # ...but only the real account got an email


def test_suspended_accounts_get_no_link(client, session, outbox):
    user = make_creator(session)
    user.suspended_at = clock.now()
    assert _ask(client, user.email).status_code == 302
    assert not outbox


def test_weak_or_mismatched_new_passwords_change_nothing(client, session, outbox):
    user = make_creator(session)
    _ask(client, user.email)
    path = _link(outbox)
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    assert _reset(client, path, "short").status_code == 422
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 422
    session.refresh(user)
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert _reset(client, path).status_code == 302  # the link still works after the mistakes
