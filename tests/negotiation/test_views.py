"""Name-your-price through the browser pages: propose, counter, accept -> contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.contracts.models import Contract
from app.negotiation.models import Negotiation, NegotiationRound
from tests.factories import login, make_business, make_creator, make_offer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _counts(session: Session) -> tuple:
    session.expire_all()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Negotiation, NegotiationRound, Contract, AuditEvent)
    )


def _open(session: Session, client) -> dict:
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    business = make_business(session)
    login(client, business)
    page = client.get(f"/offers/{offer.id}")
    assert "Propose your price" in page.text
    response = client.post(
        f"/offers/{offer.id}/negotiate",
        data={"price": "70.00", "delivery_days": "6", "terms": "Two concepts"},
    )
    assert response.status_code == 303, response.text[:500]
    negotiation = session.scalars(select(Negotiation).where(Negotiation.offer_id == offer.id)).one()
    assert response.headers["Location"].endswith(f"/negotiations/{negotiation.id}")
    return {"n": negotiation, "creator": creator, "business": business, "offer": offer}


def _switch(client, user) -> None:
    client.post("/logout")
    login(client, user)


def test_propose_counter_accept_leads_to_the_contract(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"].id
    page = client.get(f"/negotiations/{nid}")
    assert (
        page.status_code == 200 and "$70.00" in page.text and "Waiting for the other" in page.text
    )
    assert "2026-03-05 09:00 UTC" in page.text  # expiry shown (72 h)
    own = client.post(f"/negotiations/{nid}/accept")
    assert own.status_code == 403  # nobody accepts their own offer
    _switch(client, ctx["creator"])
    assert "Your turn" in client.get(f"/negotiations/{nid}").text
    countered = client.post(
        f"/negotiations/{nid}/counter",
        data={"price": "90", "delivery_days": "5", "terms": "Three concepts"},
    )
    assert countered.status_code == 303
    listing = client.get("/negotiations")
    assert listing.status_code == 200 and ctx["offer"].title in listing.text
    _switch(client, ctx["business"])
    accepted = client.post(f"/negotiations/{nid}/accept")
    assert accepted.status_code == 303
    session.expire_all()
    negotiation = session.get(Negotiation, nid)
    assert negotiation.state == "accepted"
    assert accepted.headers["Location"].endswith(f"/contracts/{negotiation.contract_id}")
    contract = session.get(Contract, negotiation.contract_id)
    assert (contract.total_minor, contract.delivery_days) == (9_000, 5)
    assert client.get(accepted.headers["Location"]).status_code == 200


def test_bad_counter_is_422_with_the_error_and_changes_nothing(session, client, frozen) -> None:
    ctx = _open(session, client)
    _switch(client, ctx["creator"])
    before = _counts(session)
    for data in (
        {"price": "0", "delivery_days": "5"},
        {"price": "12.345", "delivery_days": "5"},
        {"price": "10", "delivery_days": "400"},
    ):
        response = client.post(f"/negotiations/{ctx['n'].id}/counter", data=data)
        assert response.status_code == 422, data
        assert 'class="field-error"' in response.text
    assert _counts(session) == before


def test_expired_counter_offer_is_refused_via_the_page(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"].id
    _switch(client, ctx["creator"])
    client.post(f"/negotiations/{nid}/counter", data={"price": "90", "delivery_days": "5"})
    _switch(client, ctx["business"])
    clock.advance(timedelta(hours=72))
    page = client.get(f"/negotiations/{nid}")
    assert "expired" in page.text and "can no longer be accepted" in page.text
    assert f'action="/negotiations/{nid}/accept"' not in page.text
    before = _counts(session)
    refused = client.post(f"/negotiations/{nid}/accept")
    assert refused.status_code == 409
    assert "This offer has expired and can no longer be answered." in refused.text
    assert _counts(session) == before


def test_non_parties_get_404_and_nothing_changes(session, client, frozen) -> None:
    ctx = _open(session, client)
    nid = ctx["n"].id
    intruder = make_business(session)
    intruder.is_creator = True
    _switch(client, intruder)
    before = _counts(session)
    assert client.get(f"/negotiations/{nid}").status_code == 404
    for action in ("accept", "decline"):
        assert client.post(f"/negotiations/{nid}/{action}").status_code == 404
    response = client.post(
        f"/negotiations/{nid}/counter", data={"price": "1", "delivery_days": "1"}
    )
    assert response.status_code == 404
    assert ctx["offer"].title not in client.get("/negotiations").text
    assert _counts(session) == before


def test_a_second_open_negotiation_redirects_to_the_first(session, client, frozen) -> None:
    ctx = _open(session, client)
    before = _counts(session)
    again = client.post(
        f"/offers/{ctx['offer'].id}/negotiate", data={"price": "80", "delivery_days": "6"}
    )
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/negotiations/{ctx['n'].id}")
    assert _counts(session) == before
