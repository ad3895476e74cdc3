"""Demand pools over the JSON API: open, pledge (SetupIntent + Stripe.js), confirm, list,
withdraw, and bad input refused with problem+json."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.jobs import run_due
from tests.checkout_support import ALWAYS_AUTHENTICATE, VISA, stripe_js_confirm
from tests.factories import api_token, make_business, make_creator
from tests.pools.support import DEADLINE, T0


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


BODY = {
    "title": "Template set: invoices",
    "description": "Twelve invoice templates.",
    "category": "Design & Creative",
    "currency": "EUR",
    "deadline": DEADLINE.isoformat(),
    "min_pledges": 2,
    "tiers": [{"min_pledges": 2, "price_minor": 8000}, {"min_pledges": 3, "price_minor": 6000}],
    "source_cluster": "c-9",
}


def _pledge(client, session, pool_id: int, card: str = VISA) -> dict:
    headers = api_token(session, make_business(session))
    started = client.post(f"/api/v1/pools/{pool_id}/pledge", headers=headers)
    assert started.status_code == 200, started.json
    assert stripe_js_confirm(started.json["client_secret"], card)["status"] == "succeeded"
    done = client.post(
        "/api/v1/pools/pledges/confirm",
        json={"setup_intent_id": started.json["setup_intent_id"]},
        headers=headers,
    )
    assert done.status_code == 200 and done.json["state"] == "active", done.json
    return headers


def test_pool_over_the_api(session, client, gateway, frozen) -> None:
    creator = api_token(session, make_creator(session))
    created = client.post("/api/v1/pools", json=BODY, headers=creator)
    assert created.status_code == 201, created.json
    pool = created.json
    assert pool["state"] == "open" and pool["source_cluster"] == "c-9"
    first = _pledge(client, session, pool["id"])
    second = _pledge(client, session, pool["id"], ALWAYS_AUTHENTICATE)
    _pledge(client, session, pool["id"])
    leave = client.post(f"/api/v1/pools/{pool['id']}/withdraw", headers=first)
    assert leave.status_code == 200 and leave.json["state"] == "withdrawn"
    listed = client.get("/api/v1/pools", headers=second)
    mine = next(p for p in listed.json["items"] if p["id"] == pool["id"])
    assert mine["my_pledge"]["state"] == "active" and mine["pledge_count"] == 2
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    got = client.get(f"/api/v1/pools/{pool['id']}", headers=second).json
    assert got["state"] == "funded" and got["price_minor"] == 8000
    completion = client.get(
        f"/api/v1/pools/pledges/{got['my_pledge']['id']}/completion", headers=second
    )
    assert completion.status_code == 200 and completion.json["payment_method"]
    paid = stripe_js_confirm(
        completion.json["client_secret"], payment_method=completion.json["payment_method"]
    )
    assert paid["status"] == "succeeded"
    synced = client.post(
        f"/api/v1/payments/{completion.json['payment_intent_id']}/sync", headers=second
    )
    assert synced.status_code == 200, synced.json
    assert (
        client.get(f"/api/v1/pools/{pool['id']}", headers=second).json["my_pledge"]["state"]
        == "charged"
    )


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"tiers": []}, 422),
        (
            {
                "tiers": [
                    {"min_pledges": 2, "price_minor": 8000},
                    {"min_pledges": 3, "price_minor": 9000},
                ]
            },
            422,
        ),
        ({"min_pledges": 0}, 422),
        ({"category": "Nope"}, 422),
    ],
)
def test_bad_pool_input_is_refused(session, client, frozen, change: dict, status: int) -> None:
    creator = api_token(session, make_creator(session))
    refused = client.post("/api/v1/pools", json={**BODY, **change}, headers=creator)
    assert refused.status_code == status
    assert refused.content_type.startswith("application/problem+json")


def test_roles_are_enforced(session, client, frozen) -> None:
    business = api_token(session, make_business(session))
    assert client.post("/api/v1/pools", json=BODY, headers=business).status_code == 403
    creator = api_token(session, make_creator(session))
    pool = client.post("/api/v1/pools", json=BODY, headers=creator).json
    assert client.post(f"/api/v1/pools/{pool['id']}/pledge", headers=creator).status_code == 403
    assert client.post(f"/api/v1/pools/{pool['id']}/cancel", headers=business).status_code == 403
    assert client.get("/api/v1/pools/999999", headers=business).status_code == 404
