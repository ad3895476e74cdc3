"""Name-your-price negotiations over the JSON API, down to a funded contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.contracts.models import Contract
from app.jobs import run_due
from app.negotiation.models import Negotiation, NegotiationRound
from app.payments import ledger
from tests.checkout_support import VISA, api_pay_milestone
from tests.factories import api_token, make_business, make_creator, make_offer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _open(session: Session, client) -> dict:
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    business = make_business(session)
    biz, cr = api_token(session, business), api_token(session, creator)
    response = client.post(
        f"/api/v1/offers/{offer.id}/negotiations",
        json={"price_minor": 7_000, "delivery_days": 6, "terms": "Two concepts"},
        headers=biz,
    )
    assert response.status_code == 201, response.json
    return {"n": response.json, "biz": biz, "cr": cr, "offer": offer, "business": business}


def _counts(session: Session) -> tuple:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Negotiation, NegotiationRound, Contract, AuditEvent)
    )


def test_counter_then_accept_makes_a_contract_that_funds(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"]["id"]
    own = client.post(f"/api/v1/negotiations/{nid}/accept", headers=ctx["biz"])
    assert own.status_code == 403  # nobody accepts their own offer
    countered = client.post(
        f"/api/v1/negotiations/{nid}/counter",
        json={"price_minor": 9_000, "delivery_days": 5, "terms": "Three concepts"},
        headers=ctx["cr"],
    )
    assert countered.status_code == 200, countered.json
    rounds = countered.json["rounds"]
    assert [(r["side"], r["status"]) for r in rounds] == [
        ("business", "countered"),
        ("creator", "pending"),
    ]
    accepted = client.post(f"/api/v1/negotiations/{nid}/accept", headers=ctx["biz"])
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    contract = session.get(Contract, accepted.json["contract_id"])
    assert (contract.total_minor, contract.delivery_days, contract.offer_id) == (
        9_000,
        5,
        ctx["offer"].id,
    )
    milestones = client.get(f"/api/v1/contracts/{contract.id}/milestones", headers=ctx["biz"])
    milestone_id = milestones.json["items"][0]["id"]
    intent, synced = api_pay_milestone(client, milestone_id, ctx["biz"], VISA)
    assert synced["paid"] is True and intent["amount_minor"] == 9_000
    assert ledger.balance(session, ledger.escrow(milestone_id), "USD") == 9_000
    assert ledger.check(session).ok


def test_expired_counter_offer_cannot_be_accepted(session, client, gateway, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"]["id"]
    client.post(
        f"/api/v1/negotiations/{nid}/counter",
        json={"price_minor": 9_000, "delivery_days": 5},
        headers=ctx["cr"],
    )
    clock.advance(timedelta(hours=72))
    before = _counts(session)
    # Checked at accept time with clock.now(), before any timer ran.
    refused = client.post(f"/api/v1/negotiations/{nid}/accept", headers=ctx["biz"])
    assert refused.status_code == 409 and refused.json["code"] == "offer_expired"
    assert _counts(session) == before
    run_due(session, gateway)
    session.expire_all()
    shown = client.get(f"/api/v1/negotiations/{nid}", headers=ctx["biz"]).json
    assert shown["state"] == "expired" and shown["rounds"][-1]["status"] == "expired"
    again = client.post(f"/api/v1/negotiations/{nid}/accept", headers=ctx["biz"])
    assert again.status_code == 409
    assert session.scalar(select(func.count()).select_from(Contract)) == before[2]


def test_decline_ends_it_and_a_new_one_may_start(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"]["id"]
    declined = client.post(f"/api/v1/negotiations/{nid}/decline", headers=ctx["cr"])
    assert declined.json["state"] == "declined"
    assert client.post(f"/api/v1/negotiations/{nid}/accept", headers=ctx["biz"]).status_code == 409
    again = client.post(
        f"/api/v1/offers/{ctx['offer'].id}/negotiations",
        json={"price_minor": 8_000, "delivery_days": 6},
        headers=ctx["biz"],
    )
    assert again.status_code == 201


def test_bad_input_is_422_and_changes_nothing(session, client, frozen) -> None:
    ctx = _open(session, client)
    before = _counts(session)
    for body in (
        {"price_minor": "70", "delivery_days": 6},
        {"price_minor": 0, "delivery_days": 6},
        {"price_minor": 100, "delivery_days": 400},
        {"price_minor": 100, "delivery_days": 6, "extra": 1},
        {"price_minor": True, "delivery_days": 6},
    ):
        response = client.post(
            f"/api/v1/negotiations/{ctx['n']['id']}/counter", json=body, headers=ctx["cr"]
        )
        assert response.status_code == 422, body
    assert _counts(session) == before


def test_non_parties_get_404_and_nothing_changes(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"]["id"]
    intruder = make_business(session)
    intruder.is_creator = True
    headers = api_token(session, intruder)
    before = _counts(session)
    assert client.get(f"/api/v1/negotiations/{nid}", headers=headers).status_code == 404
    for action in ("accept", "decline"):
        assert (
            client.post(f"/api/v1/negotiations/{nid}/{action}", headers=headers).status_code == 404
        )
    countered = client.post(
        f"/api/v1/negotiations/{nid}/counter",
        json={"price_minor": 1, "delivery_days": 1},
        headers=headers,
    )
    assert countered.status_code == 404
    assert _counts(session) == before
    draft = make_offer(session, make_creator(session), status="draft")
    hidden = client.post(
        f"/api/v1/offers/{draft.id}/negotiations",
        json={"price_minor": 5, "delivery_days": 1},
        headers=ctx["biz"],
    )
    assert hidden.status_code == 404
