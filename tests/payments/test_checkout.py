"""The one Stripe.js checkout: CSP, the emulator's Stripe.js and its publishable-key calls, the
return page (idempotent with the webhook), 3-D Secure and declines -- over HTTP, no browser
(tests/e2e/test_checkout_browser.py drives the same pages in Chromium)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import stripe_js_url
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import JournalEntry, Milestone, MilestoneState
from app.payments.webhooks import handle_event
from app.web import content_security_policy
from tests.checkout_support import (
    DECLINED,
    THREE_D_SECURE,
    VISA,
    page_checkout,
    pay_page,
    stripe_js_confirm,
)
from tests.factories import api_token, login, make_business

from .helpers import assert_ledger_ok, first_milestone, make_contract

S = MilestoneState


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def _state(session: Session, milestone_id: int) -> str:
    session.expire_all()
    return str(session.get(Milestone, milestone_id).state)  # type: ignore[union-attr]


def _fund_entries(session: Session, milestone_id: int) -> int:
    """Journal entries about this milestone (funding is its only one here)."""
    query = select(func.count()).where(JournalEntry.key.like(f"milestone-{milestone_id}-%"))
    return int(session.scalar(query) or 0)


@pytest.fixture()
def business_page(app: Flask, session: Session, gateway: PaymentGateway) -> Any:
    contract = make_contract(session, amount=12_345)
    milestone = first_milestone(session, contract)
    client = app.test_client()
    login(client, contract.business)
    return client, contract, milestone


def test_csp_allows_exactly_the_configured_stripe_js_origin(
    app: Flask, client: FlaskClient
) -> None:
    emulator = app.config["STRIPE_API_BASE"].rstrip("/")
    assert app.config["STRIPE_JS_URL"] == f"{emulator}/js.stripe.com/v3/"
    header = client.get("/").headers["Content-Security-Policy"]
    directives = _directives(header)
    assert directives["script-src"] == ["'self'", emulator]
    assert directives["connect-src"] == ["'self'", emulator]
    assert directives["frame-src"] == [emulator]
    # Nothing else external anywhere in the policy.
    external = {w for words in directives.values() for w in words if "://" in w}
    assert external == {emulator}
    assert directives["default-src"] == ["'self'"] and directives["style-src"] == ["'self'"]


def test_with_real_stripe_the_csp_names_stripe_and_nothing_else() -> None:
    assert stripe_js_url(None) == "https://js.stripe.com/v3/"
    directives = _directives(content_security_policy("https://js.stripe.com/v3/"))
    assert directives["script-src"] == ["'self'", "https://js.stripe.com"]
    # Stripe's documented extra hosts: its API, and the 3-D Secure frames.
    assert directives["connect-src"] == [
        "'self'",
        "https://js.stripe.com",
        "https://api.stripe.com",
    ]
    assert directives["frame-src"] == ["https://js.stripe.com", "https://hooks.stripe.com"]


def test_the_emulator_serves_a_stripe_js_with_confirm_card_payment(app: Flask) -> None:
    with urllib.request.urlopen(app.config["STRIPE_JS_URL"], timeout=10) as response:  # noqa: S310
        script = response.read().decode()
        assert response.headers["Content-Type"].startswith("application/javascript")
    assert "localstripe" in script  # localstripe's own fake Element and 3-D Secure dialog
    assert "stripe.confirmCardPayment = async" in script  # our real confirmation
    assert "retrievePaymentIntent" in script


def test_the_fund_page_hands_stripe_js_the_intent_and_never_asks_for_a_card(
    business_page: Any, session: Session
) -> None:
    client, _contract, milestone = business_page
    first = client.get(f"/milestones/{milestone.id}/fund")
    body = first.get_data(as_text=True)
    assert first.status_code == 200
    assert 'name="card_number"' not in body and "<input" in body  # only the hidden intent id
    assert 'type="text"' not in body and 'inputmode="numeric"' not in body
    data = page_checkout(body)
    assert data["data-client-secret"].startswith("pi_") and "_secret_" in data["data-client-secret"]
    assert data["data-publishable-key"].startswith("pk_")
    assert '<script src="http://127.0.0.1' in body and "/js.stripe.com/v3/" in body
    # A reload resumes the same PaymentIntent.
    again = page_checkout(client.get(f"/milestones/{milestone.id}/fund").get_data(as_text=True))
    assert again == data
    session.expire_all()
    assert (
        session.get(Milestone, milestone.id).payment_intent_id
        == data[  # type: ignore[union-attr]
            "data-client-secret"
        ].split("_secret_")[0]
    )


def test_paid_milestone_lands_on_the_contract_once_however_often_it_returns(
    business_page: Any, session: Session
) -> None:
    client, contract, milestone = business_page
    landed = pay_page(client, f"/milestones/{milestone.id}/fund", VISA)
    assert landed.status_code == 303
    assert landed.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert _state(session, milestone.id) == S.FUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 12_345
    # Back button / reload of the return page: the same answer, nothing booked twice.
    url = f"/payments/return?payment_intent={milestone.payment_intent_id}"
    again = client.get(url)
    assert again.status_code == 303 and again.headers["Location"] == landed.headers["Location"]
    assert _fund_entries(session, milestone.id) == 1
    # The fund page itself now sends the business back to the contract.
    assert client.get(f"/milestones/{milestone.id}/fund").status_code == 302
    assert_ledger_ok(session)


def test_webhook_first_then_the_return_page_book_once(
    app: Flask, business_page: Any, session: Session, gateway: PaymentGateway
) -> None:
    client, contract, milestone = business_page
    data = page_checkout(client.get(f"/milestones/{milestone.id}/fund").get_data(as_text=True))
    intent = stripe_js_confirm(data["data-client-secret"], VISA)
    assert intent["status"] == "succeeded"
    event = {"id": "evt_checkout_1", "type": "payment_intent.succeeded", "data": {"object": intent}}
    assert handle_event(session, gateway, event)[0] == 200
    assert _state(session, milestone.id) == S.FUNDED
    landed = client.get(data["data-return-url"])
    assert landed.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert _fund_entries(session, milestone.id) == 1
    # And the other way round for a second delivery of the event: still one entry.
    event["id"] = "evt_checkout_2"
    assert handle_event(session, gateway, event)[0] == 200
    assert _fund_entries(session, milestone.id) == 1
    assert_ledger_ok(session)


def test_three_d_secure_passed_funds_the_milestone(business_page: Any, session: Session) -> None:
    client, contract, milestone = business_page
    landed = pay_page(client, f"/milestones/{milestone.id}/fund", THREE_D_SECURE, True)
    assert landed.headers["Location"].endswith(f"/contracts/{contract.id}")
    assert _state(session, milestone.id) == S.FUNDED and _fund_entries(session, milestone.id) == 1


@pytest.mark.parametrize(
    ("answer", "message"),
    [(False, "failed authentication"), (None, "3-D Secure authentication was not completed")],
    ids=["failed", "abandoned"],
)
def test_three_d_secure_failed_or_abandoned_charges_nothing(
    business_page: Any, session: Session, answer: bool | None, message: str
) -> None:
    client, _contract, milestone = business_page
    before = ledger.snapshot(session)
    landed = pay_page(client, f"/milestones/{milestone.id}/fund", THREE_D_SECURE, answer)
    assert landed.status_code == 303
    assert landed.headers["Location"].endswith(f"/milestones/{milestone.id}/fund")
    page = client.get(landed.headers["Location"]).get_data(as_text=True)
    assert message in page and "Nothing was charged" in page
    assert _state(session, milestone.id) == S.PENDING and ledger.snapshot(session) == before
    # The same PaymentIntent can then be paid with another card.
    paid = pay_page(client, f"/milestones/{milestone.id}/fund", VISA)
    assert paid.status_code == 303 and _state(session, milestone.id) == S.FUNDED
    assert _fund_entries(session, milestone.id) == 1


def test_declined_card_is_refused_by_stripe_and_the_page_says_so(
    business_page: Any, session: Session
) -> None:
    client, _contract, milestone = business_page
    before = ledger.snapshot(session)
    data = page_checkout(client.get(f"/milestones/{milestone.id}/fund").get_data(as_text=True))
    declined = stripe_js_confirm(data["data-client-secret"], DECLINED)
    assert declined["status"] == 402 and declined["error"]["type"] == "card_error"
    assert declined["error"]["code"] == "card_declined"
    assert declined["error"]["payment_intent"]["status"] == "requires_payment_method"
    landed = client.get(data["data-return-url"])
    assert landed.headers["Location"].endswith(f"/milestones/{milestone.id}/fund")
    page = client.get(landed.headers["Location"]).get_data(as_text=True)
    assert "Your card was declined." in page
    assert _state(session, milestone.id) == S.PENDING and ledger.snapshot(session) == before


def test_stripe_js_calls_need_the_intents_own_client_secret(business_page: Any) -> None:
    client, _contract, milestone = business_page
    data = page_checkout(client.get(f"/milestones/{milestone.id}/fund").get_data(as_text=True))
    intent_id = data["data-client-secret"].split("_secret_")[0]
    forged = stripe_js_confirm(f"{intent_id}_secret_notthisone", VISA)
    assert forged["status"] == 400 and forged["error"]["param"] == "client_secret"
    bad_number = stripe_js_confirm(data["data-client-secret"], "4242424242424241")
    assert bad_number["status"] == 402 and bad_number["error"]["code"] == "incorrect_number"
    assert stripe_js_confirm(data["data-client-secret"], VISA)["status"] == "succeeded"
    # Paid: a second confirmation (a double click) is refused, so there is one charge.
    twice = stripe_js_confirm(data["data-client-secret"], VISA)
    assert twice["status"] == 400
    assert twice["error"]["code"] == "payment_intent_unexpected_state"


def test_only_the_buyer_can_use_the_return_page(
    app: Flask, business_page: Any, session: Session
) -> None:
    client, _contract, milestone = business_page
    data = page_checkout(client.get(f"/milestones/{milestone.id}/fund").get_data(as_text=True))
    stripe_js_confirm(data["data-client-secret"], VISA)
    stranger = app.test_client()
    login(stranger, make_business(session))
    assert stranger.get(data["data-return-url"]).status_code == 404
    assert _state(session, milestone.id) == S.PENDING  # nothing booked on their visit
    for bad in ("", "pi_", "pi_unknown123", "x" * 300, "pi_a'b"):
        assert (
            client.get("/payments/return", query_string={"payment_intent": bad}).status_code == 404
        )


def test_api_sync_books_the_payment_like_the_return_page(
    app: Flask, business_page: Any, session: Session
) -> None:
    _client, _contract, milestone = business_page
    headers = api_token(session, milestone.contract.business)
    api = app.test_client()
    body = api.post(f"/api/v1/milestones/{milestone.id}/fund", headers=headers).get_json()
    assert set(body) >= {"client_secret", "publishable_key", "payment_intent_id"}
    assert stripe_js_confirm(body["client_secret"], VISA)["status"] == "succeeded"
    synced = api.post(f"/api/v1/payments/{body['payment_intent_id']}/sync", headers=headers)
    assert synced.status_code == 200 and synced.get_json()["paid"] is True
    assert api.post(f"/api/v1/payments/{body['payment_intent_id']}/sync", headers=headers).json[
        "paid"
    ]
    assert _state(session, milestone.id) == S.FUNDED and _fund_entries(session, milestone.id) == 1
    assert "sk_" not in json.dumps(body)  # the secret key never leaves the server
