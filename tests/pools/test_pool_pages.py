"""Demand pools through the pages: pledge with the Stripe.js card field (SetupIntent), the
close, completing a charge the bank wants authenticated with the saved card, deliver,
accept, withdraw and cancel buttons; lists reachable from the nav."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.jobs import run_due
from app.pools.models import DemandPool, PoolPledge
from tests.checkout_support import (
    ALWAYS_AUTHENTICATE,
    VISA,
    page_checkout,
    pay_page,
    stripe_js_confirm,
)
from tests.factories import login, make_business
from tests.pools.support import DEADLINE, T0, make_pool


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _as(client, user) -> None:
    client.post("/logout")
    login(client, user)


def _pledge_page(client, session, pool, card: str = VISA):
    business = make_business(session)
    _as(client, business)
    page = client.get(f"/pools/{pool.id}")
    assert 'id="pledge-button"' in page.text
    landed = pay_page(client, f"/pools/{pool.id}/pledge", card)
    assert landed.status_code == 303 and landed.headers["Location"].endswith(f"/pools/{pool.id}")
    return business


def test_pledge_close_complete_deliver_accept_through_pages(
    session, client, gateway, frozen
) -> None:
    pool = make_pool(session)
    businesses = [
        _pledge_page(client, session, pool, card) for card in (VISA, VISA, ALWAYS_AUTHENTICATE)
    ]
    mine = client.get("/pools")
    assert "Your pledges" in mine.text and pool.title in mine.text
    assert 'id="my-pledge"' in client.get(f"/pools/{pool.id}").text
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    session.expire_all()
    late = session.scalars(
        select(PoolPledge).where(PoolPledge.business_id == businesses[2].id)
    ).one()
    assert late.state == "action_required"
    page = client.get(f"/pools/pledges/{late.id}/complete")
    assert page.status_code == 200 and "data-payment-method" in page.text
    data = page_checkout(page.text)
    method = html.unescape(re.search(r'data-payment-method="([^"]+)"', page.text).group(1))
    assert 'id="card-element"' not in page.text
    paid = stripe_js_confirm(
        data["data-client-secret"],
        payment_method=method,
        api_base=data["api_base"],
        publishable_key=data["data-publishable-key"],
    )
    assert paid["status"] == "succeeded"
    back = client.get(data["data-return-url"])
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/pools/{pool.id}")
    clock.advance(timedelta(hours=49))
    run_due(session, gateway)
    session.expire_all()
    pool = session.get(DemandPool, pool.id)
    assert pool.state == "delivering" and [p.state.value for p in pool.pledges] == ["charged"] * 3
    _as(client, pool.creator)
    assert "Your pools" in client.get("/pools").text
    delivered = client.post(f"/pools/{pool.id}/deliver", data={"note": "https://example.com/pack"})
    assert delivered.status_code == 303
    _as(client, businesses[0])
    assert client.post(f"/pools/{pool.id}/accept").status_code == 303
    session.expire_all()
    assert session.get(DemandPool, pool.id).pledges[0].state == "released"


def test_withdraw_and_cancel_buttons(session, client, gateway, frozen) -> None:
    pool = make_pool(session)
    business = _pledge_page(client, session, pool)
    assert client.post(f"/pools/{pool.id}/withdraw").status_code == 303
    session.expire_all()
    assert session.get(DemandPool, pool.id).pledges[0].state == "withdrawn"
    # Not the creator: refused, nothing changes.
    assert client.post(f"/pools/{pool.id}/cancel").status_code == 403
    _as(client, pool.creator)
    assert client.post(f"/pools/{pool.id}/cancel").status_code == 303
    session.expire_all()
    assert session.get(DemandPool, pool.id).state == "cancelled"
    _as(client, business)
    again = client.get(f"/pools/{pool.id}/pledge")
    assert again.status_code == 303
