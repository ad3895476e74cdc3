"""Onboarding as Stripe Connect behaves (issue 13): supported countries, requirements that come
due later (stored from account.updated and shown), refresh_url minting a new link, and the
Express dashboard link, all through the emulator over HTTP."""

from __future__ import annotations

import pytest
import stripe
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import countries
from app.devtools.stripe_emulator import EmulatorProcess
from app.errors import ValidationFailed
from app.payments import services
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount
from tests.factories import login, make_creator
from tests.payments.helpers import onboard, stripe_client
from tests.payments.test_webhooks import post_event


def test_the_app_offers_exactly_the_countries_stripe_accepts(emulator: EmulatorProcess) -> None:
    specs = stripe_client(emulator).v1.country_specs.list({"limit": 100}).data
    assert {spec.id for spec in specs} == countries.STRIPE_CONNECT_COUNTRIES
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client(emulator).v1.accounts.create(
            {"type": "express", "country": "KP", "capabilities": {"transfers": {"requested": True}}}
        )
    assert info.value.code == "country_unsupported"


def test_an_unsupported_country_is_refused_before_stripe(
    session: Session, gateway: PaymentGateway
) -> None:
    creator = make_creator(session)
    with pytest.raises(ValidationFailed):
        services.start_onboarding(
            session,
            gateway,
            creator=creator,
            refresh_url="http://x/r",
            return_url="http://x/ok",
            country="KP",
        )
    assert session.get(ConnectedAccount, creator.id) is None


def test_requirements_due_later_are_stored_shown_and_pause_payouts(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    creator = make_creator(session)
    account_id = onboard(session, gateway, emulator, creator)
    account = session.get(ConnectedAccount, creator.id)
    assert account is not None and account.ready and account.currently_due == []
    session.commit()

    emulator.set_requirements(
        account_id,
        currently_due=["individual.verification.document"],
        past_due=["external_account"],
        disabled_reason="requirements.past_due",
    )
    obj = {"id": account_id, "object": "account"}
    response = post_event(client, "account.updated", obj, account=account_id)
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    account = session.get(ConnectedAccount, creator.id)
    assert account is not None and not account.ready
    assert account.currently_due == ["individual.verification.document"]
    assert account.past_due == ["external_account"]
    assert account.disabled_reason == "requirements.past_due"

    login(client, creator)
    page = client.get("/earnings").get_data(as_text=True)
    assert "individual.verification.document" in page and "external_account" in page
    assert "Payouts are paused by Stripe" in page

    emulator.set_requirements(account_id)  # the creator gave Stripe what it asked for
    post_event(client, "account.updated", obj, account=account_id)
    session.expire_all()
    account = session.get(ConnectedAccount, creator.id)
    assert account is not None and account.ready and account.disabled_reason is None


def test_refresh_url_mints_a_new_link_and_the_express_dashboard_opens(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    creator = make_creator(session)
    session.commit()
    login(client, creator)
    earnings = client.get("/earnings").get_data(as_text=True)
    assert (
        'name="country"' in earnings and 'value="DE"' in earnings and 'value="KP"' not in earnings
    )
    assert client.post("/payouts/dashboard").status_code == 302  # not onboarded: back to earnings

    first = client.post("/payouts/onboarding", data={"country": "DE"})
    assert first.status_code == 303 and "/_onboarding/" in first.location
    account = session.get(ConnectedAccount, creator.id)
    assert account is not None
    assert stripe_client(emulator).v1.accounts.retrieve(account.stripe_account_id).country == "DE"
    again = client.get("/payouts/onboarding/refresh")
    assert again.status_code == 303 and "/_onboarding/" in again.location
    assert again.location != first.location

    emulator.complete_onboarding(account.stripe_account_id)
    services.refresh_account(session, gateway, account.stripe_account_id)
    session.commit()
    dashboard = client.post("/payouts/dashboard")
    assert dashboard.status_code == 303 and "/_express/" in dashboard.location
