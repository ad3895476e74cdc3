"""Sign-up answers the same for every address (no email enumeration); the mail tells the
address's owner: a confirmation link for a new address, a notice for an existing account.

Finding: registering an existing address answered 422 "An account with this email already
exists", telling anyone which addresses have accounts.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import clock, mail
from app.accounts import passwords
from app.accounts.models import User
from app.audit import AuditEvent
from tests.factories import PASSWORD, login, mailed_path, make_creator, sign_up

OTHER_PASSWORD = "someone else's passphrase"


@pytest.fixture()
def outbox(app):
    box = mail.outbox(app)
    box.clear()
    return box


def _register(client, email: str, password: str = OTHER_PASSWORD, name: str = "Someone"):
    return client.post(
        "/register",
        data={"email": email, "display_name": name, "password": password, "as_business": "y"},
    )


def _answer(client, response) -> tuple[int, str, str, str]:
    page = client.get(response.headers["Location"])
    return (
        response.status_code,
        response.headers["Location"],
        response.get_data(as_text=True),
        page.get_data(as_text=True),
    )


def _user(session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def test_a_taken_address_gets_the_same_answer_as_a_new_one(client, session, outbox):
    make_creator(session, email="taken@example.com")
    pending = "pending@example.com"
    _register(client, pending)
    answers = [
        _answer(client, _register(client, email))
        for email in ("fresh@example.com", "Taken@Example.com", pending)
    ]
    # Status, redirect, body of the answer and of the page it leads to: all identical.
    assert answers[0] == answers[1] == answers[2]
    status, location, _body, page = answers[0]
    assert (status, location) == (302, "/register/check-email")
    assert "Check your email" in page and "already" not in page


def test_the_owner_of_a_taken_address_is_told_and_nothing_changes(client, session, outbox):
    owner = make_creator(session, email="owner@example.com")
    before_hash, users = owner.password_hash, session.scalar(select(func.count(User.id)))
    assert _register(client, "OWNER@example.com").status_code == 302
    assert [message.to for message in outbox] == ["owner@example.com"]
    body = outbox[0].body
    assert "tried to create a new Cobalt Market account" in body
    assert "http://localhost/login" in body and "http://localhost/forgot-password" in body
    assert "/confirm/" not in body
    session.refresh(owner)
    assert owner.password_hash == before_hash
    assert session.scalar(select(func.count(User.id))) == users
    login(client, owner)  # the owner's password still works


def test_a_new_address_gets_a_link_that_confirms_and_signs_in_once(client, session, outbox):
    assert _register(client, "new@example.com", PASSWORD).status_code == 302
    user = _user(session, "new@example.com")
    assert user is not None and user.email_confirmed_at is None
    path = mailed_path(client.application, "new@example.com")
    # Opening the link (mail scanners do) changes nothing; the button does.
    assert "Confirm and sign in" in client.get(path).get_data(as_text=True)
    session.refresh(user)
    assert user.email_confirmed_at is None
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    session.refresh(user)
    assert user.email_confirmed_at is not None
    confirmed = session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "account.email_confirmed")
    )
    assert confirmed == 1
    again = client.post(path)  # single use
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_the_confirmation_link_expires(client, session, outbox, app):
    start = datetime(2031, 5, 1, 9, 0, tzinfo=UTC)
    with clock.frozen_at(start):
        _register(client, "late@example.com", PASSWORD)
        path = mailed_path(app, "late@example.com")
        clock.advance(timedelta(seconds=app.config["SIGNUP_CONFIRM_MAX_AGE"] - 5))
        assert client.get(path).status_code == 200
        clock.advance(timedelta(seconds=10))
        response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _user(session, "late@example.com").email_confirmed_at is None
    assert client.get("/dashboard").status_code == 302


def test_an_unconfirmed_account_cannot_sign_in(client, session, outbox):
    _register(client, "wait@example.com", PASSWORD)
    response = client.post("/login", data={"email": "wait@example.com", "password": PASSWORD})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Confirm your email address first" in page
    assert 'href="/confirm/resend"' in page
    assert client.get("/dashboard").status_code == 302
    # With a wrong password it says only what it says to everyone.
    wrong = client.post("/login", data={"email": "wait@example.com", "password": "wrong-one!"})
    assert wrong.status_code == 401 and "Confirm" not in wrong.get_data(as_text=True)


def test_resending_the_link_answers_the_same_and_mails_only_the_unconfirmed(
    client, session, outbox, app
):
    confirmed = make_creator(session, email="done@example.com")
    _register(client, "wait@example.com", PASSWORD)
    first = mailed_path(app, "wait@example.com")
    outbox.clear()
    answers = [
        _answer(client, client.post("/confirm/resend", data={"email": email}))
        for email in ("wait@example.com", confirmed.email, "nobody@example.com")
    ]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (302, "/register/check-email")
    assert [message.to for message in outbox] == ["wait@example.com"]
    assert client.post(mailed_path(app, "wait@example.com")).status_code == 302
    assert client.post(first).status_code == 400  # confirmed: every link of it is used up


def test_the_newest_sign_up_of_an_unconfirmed_address_wins(client, session, outbox, app):
    # Someone signs up with another person's address first; its owner signs up later.
    _register(client, "victim@example.com", OTHER_PASSWORD, name="Squatter")
    squatter_link = mailed_path(app, "victim@example.com")
    _register(client, "victim@example.com", PASSWORD, name="Real Owner")
    owner_link = mailed_path(app, "victim@example.com")
    assert client.post(squatter_link).status_code == 400  # made with the old password hash
    assert client.post(owner_link).status_code == 302
    user = _user(session, "victim@example.com")
    assert user.display_name == "Real Owner"
    assert passwords.verify_password(user.password_hash, PASSWORD)
    assert not passwords.verify_password(user.password_hash, OTHER_PASSWORD)


def test_a_password_reset_link_also_confirms_the_address(client, session, outbox, app):
    _register(client, "forgot@example.com", PASSWORD)
    client.post("/forgot-password", data={"email": "forgot@example.com"})
    path = mailed_path(app, "forgot@example.com", "/reset-password/")
    new = "a brand new passphrase"
    assert client.post(path, data={"password": new, "confirm": new}).status_code == 302
    assert _user(session, "forgot@example.com").email_confirmed_at is not None
    login(client, _user(session, "forgot@example.com"), new)


def test_the_password_is_hashed_for_taken_addresses_too(client, session, outbox, monkeypatch):
    """Similar timing: a taken address must not answer visibly faster than a new one.
    Measured in CPU time of this process (argon2 is CPU-bound), so a busy machine does not
    make the comparison flaky; with argon2's real parameters (the suite's cheapest profile
    hashes in microseconds, so the rest of the request, which differs, would decide)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())
    make_creator(session, email="taken@example.com")
    _register(client, "warm@example.com")  # first request warms caches

    def median(emails: list[str]) -> float:
        times = []
        for email in emails:
            started = time.process_time()
            _register(client, email)
            times.append(time.process_time() - started)
        return sorted(times)[len(times) // 2]

    new = median([f"n{i}@example.com" for i in range(3)])
    taken = median(["taken@example.com"] * 3)
    hashing = min(_timed(lambda: passwords.hash_password(OTHER_PASSWORD)) for _ in range(3))
    assert taken >= hashing * 0.8, (taken, new, hashing)
    assert taken >= new * 0.5, (taken, new, hashing)


def _timed(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def test_sign_up_helper_confirms_through_the_mail(client, session, outbox):
    user = sign_up(client, "helper@example.com", business=True, creator=False)
    assert user.is_business and client.get("/dashboard").status_code == 200


def test_sign_up_mails_to_one_address_are_limited(app, client, session, outbox):
    """No mail-bombing an address through sign-up or "resend confirmation"."""
    allowed = app.extensions["rate_limits"].rules["signup.email"].amount
    make_creator(session, email="bombed@example.com")
    for _ in range(allowed):
        assert _register(client, "bombed@example.com").status_code == 302
    assert client.post("/confirm/resend", data={"email": "Bombed@example.com"}).status_code == 429
    response = _register(client, "bombed@example.com")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert len(outbox) == allowed
