from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.accounts import services
from app.accounts.errors import AccountSuspended, EmailTaken, InvalidCredentials, LoginThrottled
from app.accounts.models import LoginFailure, User
from app.errors import NotFound, ValidationFailed
from tests.factories import PASSWORD, make_business, make_creator

POLICY = services.ThrottlePolicy(max_failures=3, window=timedelta(minutes=15))


def user_count(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_register_creates_creator_with_profile_and_hashed_password(session):
    user = services.register(
        session,
        email="  Ada@Example.COM ",
        password=PASSWORD,
        display_name="Ada",
        as_creator=True,
        as_business=True,
    )
    assert user.email == "ada@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert user.profile is not None
    assert user.is_creator and user.is_business


@pytest.mark.parametrize(
    ("email", "password", "name", "creator", "field"),
    [
        ("not-an-email", PASSWORD, "Ada", True, "email"),
        ("a@example.com", "short", "Ada", True, "password"),
        ("a@example.com", "aaaaaaaaaaaa", "Ada", True, "password"),
        ("a@example.com", PASSWORD, "A", True, "display_name"),
        ("a@example.com", PASSWORD, "x" * 81, True, "display_name"),
        ("a@example.com", PASSWORD, "Ada", False, "roles"),
    ],
)
def test_register_rejects_invalid_input_and_writes_nothing(
    session, email, password, name, creator, field
):
    before = user_count(session)
    with pytest.raises(ValidationFailed) as info:
        services.register(
            session,
            email=email,
            password=password,
            display_name=name,
            as_creator=creator,
            as_business=False,
        )
    assert field in info.value.errors
    assert user_count(session) == before


def test_duplicate_email_is_refused_case_insensitively(session):
    make_creator(session, email="dup@example.com")
    with pytest.raises(EmailTaken):
        services.register(
            session,
            email="DUP@example.com",
            password=PASSWORD,
            display_name="Other",
            as_creator=True,
            as_business=False,
        )


def test_authenticate_checks_password_and_suspension(session):
    user = make_creator(session)
    found = services.authenticate(
        session, email=user.email.upper(), password=PASSWORD, remote_addr="1.2.3.4", policy=POLICY
    )
    assert found.id == user.id
    with pytest.raises(InvalidCredentials):
        services.authenticate(
            session,
            email=user.email,
            password="wrong password!",
            remote_addr="1.2.3.4",
            policy=POLICY,
        )
    with pytest.raises(InvalidCredentials):
        services.authenticate(
            session,
            email="nobody@example.com",
            password=PASSWORD,
            remote_addr="1.2.3.4",
            policy=POLICY,
        )
    user.suspended_at = clock.now()
    with pytest.raises(AccountSuspended):
        services.authenticate(
            session, email=user.email, password=PASSWORD, remote_addr="1.2.3.4", policy=POLICY
        )


def test_throttle_blocks_after_failures_even_with_right_password_and_expires(session):
    user = make_creator(session)
    start = clock.now()
    with clock.frozen_at(start):
        for _ in range(POLICY.max_failures):
            session.add(services.login_failure(email=user.email, remote_addr="5.6.7.8"))
        with pytest.raises(LoginThrottled):
            services.authenticate(
                session, email=user.email, password=PASSWORD, remote_addr="9.9.9.9", policy=POLICY
            )
        clock.advance(POLICY.window + timedelta(seconds=1))
        assert (
            services.authenticate(
                session, email=user.email, password=PASSWORD, remote_addr="9.9.9.9", policy=POLICY
            ).id
            == user.id
        )


def test_throttle_per_address_across_accounts(session):
    with clock.frozen_at(clock.now()):
        for n in range(POLICY.max_failures_per_address):
            session.add(services.login_failure(email=f"x{n}@example.com", remote_addr="6.6.6.6"))
        user = make_creator(session)
        with pytest.raises(LoginThrottled):
            services.authenticate(
                session, email=user.email, password=PASSWORD, remote_addr="6.6.6.6", policy=POLICY
            )
    assert (
        session.scalar(select(func.count()).select_from(LoginFailure))
        == POLICY.max_failures_per_address
    )


def test_change_password_bumps_session_version(session):
    user = make_creator(session)
    version = user.session_version
    with pytest.raises(InvalidCredentials):
        services.change_password(session, user, current="nope nope nope", new="another secret 1")
    assert user.session_version == version
    services.change_password(session, user, current=PASSWORD, new="another secret 1")
    assert user.session_version == version + 1
    assert services.authenticate(
        session, email=user.email, password="another secret 1", remote_addr="1.1.1.1", policy=POLICY
    )


def test_profile_validation(session):
    user = make_creator(session)
    good = services.ProfileInput(
        headline="Brand designer",
        bio="I design brands.",
        skills=["Logo", "logo", " Figma "],
        portfolio_links=["https://example.com/work"],
        country="de",
        languages=["German"],
        hourly_rate_minor=8000,
        currency="eur",
        availability="available",
    )
    profile = services.update_profile(session, user, good)
    assert profile.skills == ["Logo", "Figma"]
    assert profile.country == "DE" and profile.currency == "EUR"
    for bad, field in [
        ({"portfolio_links": ["javascript:alert(1)"]}, "portfolio_links"),
        ({"country": "Germany"}, "country"),
        ({"currency": "XYZ"}, "hourly_rate"),
        ({"hourly_rate_minor": -5}, "hourly_rate"),
        ({"availability": "sometimes"}, "availability"),
        ({"headline": "x" * 141}, "headline"),
    ]:
        data = services.ProfileInput(**{**good.__dict__, **bad})
        with pytest.raises(ValidationFailed) as info:
            services.update_profile(session, user, data)
        assert field in info.value.errors
    assert user.profile.country == "DE"


def test_business_only_account_has_no_profile(session):
    business = make_business(session)
    assert business.profile is None
    with pytest.raises(ValidationFailed):
        services.update_profile(
            session,
            business,
            services.ProfileInput("h", "b", [], [], None, [], None, "USD", "available"),
        )


def test_api_tokens_are_stored_as_digests_and_revocable(session):
    user = make_creator(session)
    token, secret = services.create_api_token(session, user, name="ci")
    assert secret.startswith("c2b_") and secret not in token.token_digest
    assert services.user_for_api_token(session, secret).id == user.id
    assert services.user_for_api_token(session, secret + "x") is None
    other = make_creator(session)
    with pytest.raises(NotFound):
        services.revoke_api_token(session, other, token.id)
    assert services.user_for_api_token(session, secret) is not None
    services.revoke_api_token(session, user, token.id)
    assert services.user_for_api_token(session, secret) is None
