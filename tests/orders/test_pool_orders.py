"""Demand pools on the Orders page: the creator's pools and each business's pledges, with
their state, a link and the next thing to do; nobody sees anyone else's pledge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import clock
from app.jobs import run_due
from app.orders import queries
from app.pools import pledging
from tests.checkout_support import ALWAYS_AUTHENTICATE, VISA
from tests.factories import login, make_business
from tests.pools.support import DEADLINE, T0, make_pool, pledge


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _pool_rows(session: Session, user, **kw):  # type: ignore[no-untyped-def]
    return [r for r in queries.orders_for(session, user, **kw) if r.kind == "pool"]


def test_pools_and_pledges_walk_through_both_sides_orders(
    session: Session, app: Flask, gateway, emulator, frozen
) -> None:
    pool = make_pool(session)
    paid = pledge(session, gateway, pool, VISA)
    needs_auth = pledge(session, gateway, pool, ALWAYS_AUTHENTICATE)
    unsaved_business = make_business(session)
    unsaved, _ = pledging.start_pledge(session, gateway, pool.id, unsaved_business)
    with app.test_request_context():
        (row,) = _pool_rows(session, pool.creator)
        assert (row.title, row.state, row.needs_me, row.finished) == (
            f"Pool: {pool.title}",
            "Pool open",
            False,
            False,
        )
        assert row.url == f"/pools/{pool.id}" and row.other == "2 pledges"
        (row,) = _pool_rows(session, paid.business)
        assert (row.state, row.action, row.url) == (
            "Pledge active",
            "Pledged: charged only if the pool succeeds",
            f"/pools/{pool.id}",
        )
        (row,) = _pool_rows(session, unsaved_business, show="action")
        assert row.state == "Pledge saving" and row.action_url == f"/pools/{pool.id}/pledge"
        assert _pool_rows(session, make_business(session), show="all") == []

        clock.advance(DEADLINE - T0 + timedelta(minutes=1))
        run_due(session, gateway)
        session.expire_all()
        # The off-session charge needed authentication: the business is asked to complete it.
        (row,) = _pool_rows(session, needs_auth.business, show="action")
        assert (row.state, row.action, row.action_url) == (
            "Pledge action required",
            "Complete your payment",
            f"/pools/pledges/{needs_auth.id}/complete",
        )
        (row,) = _pool_rows(session, paid.business)
        assert row.state == "Pledge charged" and row.amount_minor == 8000
        (row,) = _pool_rows(session, unsaved_business, show="done")
        assert row.state == "Pledge void" and not row.needs_me
        (row,) = _pool_rows(session, pool.creator)
        assert (row.state, row.action) == (
            "Pool funded",
            "Waiting: businesses complete their payments",
        )
        assert _pool_rows(session, pool.creator, kind="pool") == [row]
        assert _pool_rows(session, pool.creator, kind="licence") == []


def test_orders_page_lists_pledges_and_pools_with_links(
    session: Session, client: FlaskClient, gateway, emulator, frozen
) -> None:
    pool = make_pool(session, title="Template set: bakery menus")
    mine = pledge(session, gateway, pool, VISA)
    login(client, mine.business)
    html = client.get("/orders?kind=pool").get_data(as_text=True)
    assert "Pledge: Template set: bakery menus" in html
    assert f'href="/pools/{pool.id}"' in html and "Pledge active" in html
    login(client, pool.creator)
    html = client.get("/orders").get_data(as_text=True)
    assert "Pool: Template set: bakery menus" in html and "Pool open" in html
    assert 'data-kind="pool"' in html
