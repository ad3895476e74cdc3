"""The Orders page of each side: state, lifecycle and the next action move with the contract;
nobody sees anyone else's orders."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.orders import queries
from app.payments import services
from tests.checkout_support import pay_milestone
from tests.factories import login, make_business, make_creator
from tests.payments.helpers import first_milestone, make_contract


def _row(session: Session, user, **kw):  # type: ignore[no-untyped-def]
    rows = queries.orders_for(session, user, **kw)
    assert len(rows) == 1, rows
    return rows[0]


def test_a_contract_walks_through_both_sides_orders(session: Session, app: Flask, gateway) -> None:
    contract = make_contract(session)
    creator, business = contract.creator, contract.business
    milestone = first_milestone(session, contract)
    with app.test_request_context():
        row = _row(session, business)
        assert (row.state, row.action, row.needs_me, row.step) == (
            "Waiting for funding",
            f"Fund “{milestone.title}”",
            True,
            0,
        )
        assert row.action_url == f"/milestones/{milestone.id}/fund"
        row = _row(session, creator)
        assert (row.action, row.needs_me) == ("Waiting for the business to fund", False)
        assert queries.orders_for(session, creator, show="action") == []

        pay_milestone(session, gateway, milestone.id, business)
        row = _row(session, creator, show="action")
        assert (row.state, row.action_url, row.step) == (
            "Funded, in progress",
            f"/milestones/{milestone.id}/deliver",
            1,
        )
        services.deliver(session, milestone.id, creator=creator, message="Done", files=[])
        row = _row(session, business, show="action")
        assert (row.state, row.action) == ("Delivered, in review", "Review the delivery")
        services.accept(session, milestone.id, business=business)
        for user in (creator, business):
            row = _row(session, user, show="action")
            assert (row.state, row.action) == ("Accepted, payout clearing", "Leave your review")
            assert row.action_url == f"/contracts/{contract.id}/review"
        stranger = make_creator(session)
        assert queries.orders_for(session, stranger, show="all") == []
        assert queries.orders_for(session, make_business(session), show="all") == []


def test_orders_page_and_contract_lifecycle_render(session: Session, client: FlaskClient) -> None:
    contract = make_contract(session)
    login(client, contract.business)
    page = client.get("/orders")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert contract.title in html and "Waiting for funding" in html and "next-action" in html
    assert client.get("/orders?show=done&kind=licence").status_code == 200
    assert client.get("/orders?show=bogus&kind=bogus").status_code == 200
    detail = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert 'data-phase="awaiting_funding"' in detail and "Waiting for funding" in detail
    assert '<li class="todo">Funded</li>' in detail
