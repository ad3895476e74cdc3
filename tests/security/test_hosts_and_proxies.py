"""Host headers, reverse proxies, /metrics and unsafe start-up settings.

Findings: the reset link was built from the request's Host header (reset poisoning) and no
Host was refused; behind a reverse proxy every client had the proxy's address, so 20 failed
logins by anyone locked the whole site out; /metrics answered through a proxy that sets only
X-Real-IP; the default webhook secret was accepted with a real Stripe key.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app import mail
from app.accounts.models import LoginFailure
from app.config import load_config
from app.extensions import db
from app.security import UnsafeConfiguration, check_configuration
from tests.conftest import make_test_app
from tests.factories import PASSWORD, make_creator


@pytest.fixture()
def outbox(app):
    box = mail.outbox(app)
    box.clear()
    return box


def test_reset_link_comes_from_public_base_url_not_the_host_header(
    app, client, session, outbox, monkeypatch
):
    user = make_creator(session)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://market.example")
    # 127.0.0.1 is a trusted host (loopback), but still not where links must point.
    response = client.post(
        "/forgot-password", data={"email": user.email}, headers={"Host": "127.0.0.1"}
    )
    assert response.status_code == 302
    links = re.findall(r"\S+/reset-password/\S+", outbox[0].body)
    assert links and all(link.startswith("https://market.example/") for link in links), links


def test_a_forged_host_header_is_refused_and_sends_nothing(client, session, outbox):
    user = make_creator(session)
    for path, method in (("/forgot-password", "post"), ("/", "get"), ("/api/v1/offers", "get")):
        response = getattr(client, method)(
            path, data={"email": user.email}, headers={"Host": "attacker.example"}
        )
        assert response.status_code == 400, (path, response.status_code)
    assert list(outbox) == []


def test_trusted_hosts_default_to_the_public_url_and_loopback(app):
    assert "localhost" in app.config["TRUSTED_HOSTS"]
    assert "attacker.example" not in app.config["TRUSTED_HOSTS"]


def _fail_login(client, email: str, forwarded_for: str):
    return client.post(
        "/login",
        data={"email": email, "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
    )


def test_behind_a_proxy_one_clients_failures_do_not_lock_out_everyone(configured_app):
    app = configured_app(PROXY_COUNT=1)
    session = db.session()
    client = app.test_client()
    attacker_failures = 4 * app.config["LOGIN_THROTTLE_MAX_FAILURES"]  # the per-address cap
    for n in range(attacker_failures):
        response = _fail_login(client, f"nobody{n}@example.com", "203.0.113.5")
        assert response.status_code == 401
    # The attacker's address is now throttled...
    assert _fail_login(client, "nobody@example.com", "203.0.113.5").status_code == 429
    # ...but another client behind the same proxy signs in.
    user = make_creator(session)
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    addresses = set(session.scalars(select(LoginFailure.remote_addr)))
    assert addresses == {"203.0.113.5"}


def test_only_the_trusted_proxys_entry_counts(configured_app):
    """A client cannot pick its address by sending its own X-Forwarded-For: with one proxy,
    only the entry that proxy appended (the last) is used."""
    app = configured_app(PROXY_COUNT=1)
    session = db.session()
    client = app.test_client()
    _fail_login(client, "x@example.com", "10.9.9.9, 203.0.113.77")
    assert session.scalars(select(LoginFailure.remote_addr)).all() == ["203.0.113.77"]


def test_without_a_configured_proxy_forwarded_headers_are_ignored(client, session):
    _fail_login(client, "x@example.com", "203.0.113.5")
    assert session.scalars(select(LoginFailure.remote_addr)).all() == ["127.0.0.1"]


@pytest.mark.parametrize(
    "header",
    ["X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto", "Via", "True-Client-IP"],
)
def test_metrics_refuse_any_request_that_came_through_a_proxy(client, header):
    response = client.get("/metrics", headers={header: "203.0.113.9"})
    assert response.status_code == 403


def test_a_real_stripe_key_with_the_default_webhook_secret_refuses_to_start(tmp_path):
    config = load_config(str(tmp_path), {"STRIPE_SECRET_KEY": "sk_live_51abc", "SECRET_KEY": "k"})
    with pytest.raises(UnsafeConfiguration, match="STRIPE_WEBHOOK_SECRET"):
        check_configuration(config)
    config["STRIPE_WEBHOOK_SECRET"] = "whsec_real_signing_secret"
    check_configuration(config)  # a real secret: fine
    # The development default with the local emulator's key is fine too.
    check_configuration(load_config(str(tmp_path), {"SECRET_KEY": "k"}))


def test_create_app_refuses_a_live_key_with_the_default_webhook_secret(app, database_url, tmp_path):
    try:
        with pytest.raises(UnsafeConfiguration):
            make_test_app(
                database_url,
                tmp_path,
                STRIPE_SECRET_KEY="sk_live_51abc",
                STRIPE_API_BASE=None,
                STRIPE_WEBHOOK_SECRET="whsec_local_emulator",
            )
    finally:
        db.bind(db.engine)
