import pytest
from sqlalchemy import func, select

from app.accounts.models import LoginFailure, User
from tests.conftest import make_test_app
from tests.factories import PASSWORD, login, make_business, make_creator, sign_up


def test_register_then_the_emailed_link_signs_in(client, session):
    user = sign_up(client, "new@example.com", name="New Person")
    assert user.is_creator
    assert client.get("/dashboard").status_code == 200


def test_register_with_a_taken_email_answers_like_a_new_one_and_writes_nothing(client, session):
    make_creator(session, email="taken@example.com")
    before = session.scalar(select(func.count()).select_from(User))
    response = client.post(
        "/register",
        data={
            "email": "Taken@example.com",
            "display_name": "Someone",
            "password": PASSWORD,
            "as_business": "y",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-email")
    assert "already exists" not in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_wrong_password_is_recorded_and_throttles(client, session, app):
    user = make_creator(session)
    limit = app.config["LOGIN_THROTTLE_MAX_FAILURES"]
    for _ in range(limit):
        response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
        # A failed login is an error answer, and its record is kept all the same.
        assert response.status_code == 401
        assert "Wrong email or password" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(LoginFailure)) == limit
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # still logged out


def test_login_rejects_open_redirect(client, session):
    user = make_creator(session)
    response = client.post(
        "/login?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")


def test_logout_requires_post(client, session):
    user = make_creator(session)
    login(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_password_change_signs_out_other_sessions(app, session):
    user = make_creator(session)
    first, second = app.test_client(), app.test_client()
    login(first, user)
    login(second, user)
    response = first.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": "a brand new secret"},
    )
    assert response.status_code == 302
    assert first.get("/settings").status_code == 200
    assert second.get("/settings").status_code == 302


def test_public_profile_visible_for_creators_only(client, session):
    creator = make_creator(session, headline="Illustrator <script>alert(1)</script>")
    business = make_business(session)
    page = client.get(f"/creators/{creator.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert client.get(f"/creators/{business.id}").status_code == 404
    assert client.get("/creators/999999").status_code == 404


def test_profile_settings_saves_and_validates(client, session):
    creator = make_creator(session)
    login(client, creator)
    response = client.post(
        "/settings/profile",
        data={
            "headline": "Motion designer",
            "bio": "Ten years of motion.",
            "skills": "After Effects, Cinema 4D",
            "portfolio_links": "https://example.com/reel",
            "country": "FR",
            "languages": "French, English",
            "hourly_rate": "75.50",
            "currency": "EUR",
            "availability": "limited",
        },
    )
    assert response.status_code == 302
    session.refresh(creator.profile)
    assert creator.profile.hourly_rate_minor == 7550
    assert creator.profile.skills == ["After Effects", "Cinema 4D"]
    bad = client.post(
        "/settings/profile",
        data={
            "headline": "x",
            "portfolio_links": "ftp://example.com",
            "currency": "EUR",
            "availability": "limited",
        },
    )
    assert bad.status_code == 422
    session.refresh(creator.profile)
    assert creator.profile.headline == "Motion designer"


@pytest.mark.parametrize(
    "path", ["/dashboard", "/settings", "/settings/profile", "/settings/tokens"]
)
def test_private_pages_require_login(client, session, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_revoking_another_users_token_is_404_and_changes_nothing(client, session):
    from app.accounts import services

    owner, intruder = make_creator(session), make_creator(session)
    token, secret = services.create_api_token(session, owner, name="mine")
    login(client, intruder)
    assert client.post(f"/settings/tokens/{token.id}/revoke").status_code == 404
    assert services.user_for_api_token(session, secret) is not None


def test_security_headers_and_cookie_flags(client, session):
    user = make_creator(session)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_csrf_is_enforced_on_forms(database_url, tmp_path, session):
    app = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post(
        "/register",
        data={
            "email": "csrf@example.com",
            "display_name": "No Token",
            "password": PASSWORD,
            "as_creator": "y",
        },
    )
    assert response.status_code == 400
    assert session.scalar(select(User).where(User.email == "csrf@example.com")) is None
