"""The contracts/milestones/earnings JSON API, checked against its own OpenAPI description."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.api.openapi import build_spec
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone, MilestoneState
from tests.checkout_support import stripe_js_confirm
from tests.factories import api_token, make_business, make_creator

from .helpers import (
    DECLINED,
    VISA,
    assert_ledger_ok,
    delivered_milestone,
    event_count,
    first_milestone,
    funded_milestone,
    make_contract,
)

S = MilestoneState
SPEC = build_spec()
PYTHON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _conforms(value: Any, schema: dict[str, Any]) -> None:
    """A structural check of ``value`` against a JSON schema (types, required, enums, anyOf)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                _conforms(value, option)
                return
            except AssertionError as exc:
                failures.append(exc)
        raise AssertionError(failures)
    types = schema.get("type")
    if types:
        allowed = types if isinstance(types, list) else [types]
        assert any(
            isinstance(value, PYTHON_TYPES[t]) and not (t != "boolean" and isinstance(value, bool))
            for t in allowed
        ), (value, schema)
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, (key, value)
        for key, item in value.items():
            if key in schema.get("properties", {}):
                _conforms(item, schema["properties"][key])
            elif isinstance(schema.get("additionalProperties"), dict):
                _conforms(item, schema["additionalProperties"])
    if isinstance(value, list) and "items" in schema:
        for item in value:
            _conforms(item, schema["items"])


def documented(response: Any, method: str, template: str) -> Any:
    """Assert that the spec documents this status for the operation and the body fits it."""
    operation = SPEC["paths"][template][method]
    spec = operation["responses"].get(str(response.status_code))
    assert spec is not None, f"{method.upper()} {template} -> {response.status_code} undocumented"
    assert response.mimetype in spec["content"], (response.mimetype, spec["content"].keys())
    _conforms(response.get_json(), spec["content"][response.mimetype]["schema"])
    return response


def _state(session: Session, milestone: Milestone) -> str:
    session.expire_all()
    return str(session.get(Milestone, milestone.id).state)  # type: ignore[union-attr]


# --- contracts ------------------------------------------------------------------------------


def test_contracts_are_listed_for_both_parties_only(client: FlaskClient, session: Session) -> None:
    contract = make_contract(session)
    make_contract(session)  # someone else's
    outsider = make_business(session)
    for user, role in ((contract.business, "business"), (contract.creator, "creator")):
        response = documented(
            client.get("/api/v1/contracts", headers=api_token(session, user)), "get", "/contracts"
        )
        body = response.get_json()
        assert response.status_code == 200 and body["total"] == 1
        assert [(c["id"], c["role"]) for c in body["items"]] == [(contract.id, role)]
        detail = client.get(f"/api/v1/contracts/{contract.id}", headers=api_token(session, user))
        documented(detail, "get", "/contracts/{contract_id}")
        assert detail.status_code == 200 and detail.get_json()["total_minor"] == 10_000
        milestones = client.get(
            f"/api/v1/contracts/{contract.id}/milestones", headers=api_token(session, user)
        )
        documented(milestones, "get", "/contracts/{contract_id}/milestones")
        assert [m["state"] for m in milestones.get_json()["items"]] == ["pending"]
    headers = api_token(session, outsider)
    assert client.get("/api/v1/contracts", headers=headers).get_json()["items"] == []
    for path, template in (
        (f"/api/v1/contracts/{contract.id}", "/contracts/{contract_id}"),
        (f"/api/v1/contracts/{contract.id}/milestones", "/contracts/{contract_id}/milestones"),
        ("/api/v1/contracts/999999999", "/contracts/{contract_id}"),
        (f"/api/v1/contracts/{2**63}", "/contracts/{contract_id}"),
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404
        documented(response, "get", template)


def test_contract_list_pagination(client: FlaskClient, session: Session) -> None:
    business = make_business(session)
    ids = [make_contract(session, business=business).id for _ in range(3)]
    headers = api_token(session, business)
    body = client.get("/api/v1/contracts?per_page=2&page=2", headers=headers).get_json()
    assert body["total"] == 3 and [c["id"] for c in body["items"]] == [min(ids)]
    bad = client.get("/api/v1/contracts?per_page=0", headers=headers)
    assert bad.status_code == 400
    documented(bad, "get", "/contracts")
    deep = client.get("/api/v1/contracts?page=10001", headers=headers)
    assert deep.status_code == 422
    documented(deep, "get", "/contracts")


# --- funding --------------------------------------------------------------------------------


def test_fund_returns_the_payment_intent(client: FlaskClient, session: Session) -> None:
    contract = make_contract(session, amount=7_500)
    milestone = first_milestone(session, contract)
    headers = api_token(session, contract.business)
    response = client.post(f"/api/v1/milestones/{milestone.id}/fund", headers=headers)
    documented(response, "post", "/milestones/{milestone_id}/fund")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["client_secret"] and body["payment_intent_id"].startswith("pi_")
    assert body["amount_minor"] == 7_500 and body["publishable_key"].startswith("pk_")
    assert "test_cards" not in body
    assert _state(session, milestone) == S.PENDING


def test_fund_confirm_with_stripe_js_then_sync(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    headers = api_token(session, contract.business)
    url = f"/api/v1/milestones/{milestone.id}/fund"
    before = ledger.snapshot(session)
    intent = client.post(url, headers=headers).get_json()
    sync = f"/api/v1/payments/{intent['payment_intent_id']}/sync"
    declined = stripe_js_confirm(intent["client_secret"], DECLINED)
    assert declined["status"] == 402 and declined["error"]["code"] == "card_declined"
    response = client.post(sync, headers=headers)
    documented(response, "post", "/payments/{payment_intent_id}/sync")
    assert response.status_code == 200 and response.get_json()["paid"] is False
    assert "declined" in response.get_json()["message"]
    assert _state(session, milestone) == S.PENDING and ledger.snapshot(session) == before
    # The same PaymentIntent, paid with another card.
    assert (
        client.post(url, headers=headers).get_json()["payment_intent_id"]
        == intent["payment_intent_id"]
    )
    assert stripe_js_confirm(intent["client_secret"], VISA)["status"] == "succeeded"
    response = client.post(sync, headers=headers)
    documented(response, "post", "/payments/{payment_intent_id}/sync")
    assert response.status_code == 200 and response.get_json()["paid"] is True
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 10_000
    again = client.post(url, headers=headers)
    documented(again, "post", "/milestones/{milestone_id}/fund")
    assert again.status_code == 409
    # Someone else's payment: 404, nothing learnt.
    stranger = api_token(session, make_business(session))
    response = client.post(sync, headers=stranger)
    documented(response, "post", "/payments/{payment_intent_id}/sync")
    assert response.status_code == 404
    assert_ledger_ok(session)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"test_card": VISA}, "test_card"),  # no card path of any kind
        ({"card_number": VISA}, "card_number"),
        ({"card": VISA}, "card"),
    ],
)
def test_fund_rejects_bad_json_types(
    client: FlaskClient, session: Session, body: dict[str, Any], field: str
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    before = ledger.snapshot(session)
    response = client.post(
        f"/api/v1/milestones/{milestone.id}/fund",
        json=body,
        headers=api_token(session, contract.business),
    )
    documented(response, "post", "/milestones/{milestone_id}/fund")
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert _state(session, milestone) == S.PENDING and ledger.snapshot(session) == before


def test_fund_rejects_bodies_that_are_not_json_objects(
    client: FlaskClient, session: Session
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    headers = api_token(session, contract.business)
    url = f"/api/v1/milestones/{milestone.id}/fund"
    not_json = client.post(url, data="test_card=4242", headers=headers)
    assert not_json.status_code == 415
    documented(not_json, "post", "/milestones/{milestone_id}/fund")
    array = client.post(url, json=[VISA], headers=headers)
    assert array.status_code == 400
    documented(array, "post", "/milestones/{milestone_id}/fund")
    assert _state(session, milestone) == S.PENDING


# --- delivery and review --------------------------------------------------------------------


def test_deliver_accept_and_earnings(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway, amount=20_000)
    creator, business = milestone.contract.creator, milestone.contract.business
    response = client.post(
        f"/api/v1/milestones/{milestone.id}/deliver",
        json={"message": "All done"},
        headers=api_token(session, creator),
    )
    documented(response, "post", "/milestones/{milestone_id}/deliver")
    assert response.status_code == 200 and response.get_json()["state"] == "delivered"
    assert response.get_json()["delivery_message"] == "All done"

    response = client.post(
        f"/api/v1/milestones/{milestone.id}/accept", headers=api_token(session, business)
    )
    documented(response, "post", "/milestones/{milestone_id}/accept")
    assert response.status_code == 200 and response.get_json()["state"] == "released"
    assert response.get_json()["fee_minor"] == 2_000
    again = client.post(
        f"/api/v1/milestones/{milestone.id}/accept", headers=api_token(session, business)
    )
    documented(again, "post", "/milestones/{milestone_id}/accept")
    assert again.status_code == 409

    response = client.get("/api/v1/earnings", headers=api_token(session, creator))
    documented(response, "get", "/earnings")
    body = response.get_json()
    # Every map lists every currency, in the order of ``currencies``.
    assert body["currencies"] == ["EUR", "GBP", "USD"]
    assert body["pending"] == {"EUR": 0, "GBP": 0, "USD": 18_000}
    assert body["in_escrow"] == {"EUR": 0, "GBP": 0, "USD": 0}
    assert body["terms"]["fee_bp"] == 1000 and body["terms"]["hold_hours"] == 192
    assert body["clearing"][0]["net_minor"] == 18_000 and body["payouts_ready"] is False
    assert_ledger_ok(session)


def test_request_changes(client: FlaskClient, session: Session, gateway: PaymentGateway) -> None:
    milestone = delivered_milestone(session, gateway)
    headers = api_token(session, milestone.contract.business)
    url = f"/api/v1/milestones/{milestone.id}/request-changes"
    template = "/milestones/{milestone_id}/request-changes"
    events = event_count(session)
    for body in ({}, {"note": "   "}, {"note": 5}, {"note": "x", "extra": 1}):
        response = documented(client.post(url, json=body, headers=headers), "post", template)
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
    assert client.post(url, json={}, headers=headers).get_json()["errors"]["note"]
    assert _state(session, milestone) == S.DELIVERED and event_count(session) == events
    response = documented(
        client.post(url, json={"note": "Make it blue"}, headers=headers), "post", template
    )
    assert response.status_code == 200 and response.get_json()["state"] == "changes_requested"
    assert response.get_json()["revisions_used"] == 1


def test_deliver_rejects_bad_json(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    headers = api_token(session, milestone.contract.creator)
    url = f"/api/v1/milestones/{milestone.id}/deliver"
    template = "/milestones/{milestone_id}/deliver"
    for body in ({}, {"message": ["a"]}, {"message": "a\x00b"}, {"message": "x" * 5001}):
        response = documented(client.post(url, json=body, headers=headers), "post", template)
        assert response.status_code == 422, body
    assert _state(session, milestone) == S.FUNDED


# --- who may do what ------------------------------------------------------------------------


def test_non_parties_get_404_and_nothing_changes(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    before, events = ledger.snapshot(session), event_count(session)
    business = api_token(session, make_business(session))
    creator = api_token(session, make_creator(session))
    calls = [
        ("fund", {}, business),
        ("accept", None, business),
        ("request-changes", {"note": "No"}, business),
        ("deliver", {"message": "Mine"}, creator),
    ]
    for action, body, headers in calls:
        response = client.post(
            f"/api/v1/milestones/{milestone.id}/{action}", json=body, headers=headers
        )
        assert response.status_code == 404, action
        documented(response, "post", f"/milestones/{{milestone_id}}/{action}")
    assert _state(session, milestone) == S.DELIVERED
    assert ledger.snapshot(session) == before and event_count(session) == events


def test_wrong_role_gets_403(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    creator = api_token(session, milestone.contract.creator)
    business = api_token(session, milestone.contract.business)
    before = ledger.snapshot(session)
    calls = [
        ("/milestones/{milestone_id}/fund", {}, creator),
        ("/milestones/{milestone_id}/accept", None, creator),
        ("/milestones/{milestone_id}/request-changes", {"note": "x"}, creator),
        ("/milestones/{milestone_id}/deliver", {"message": "x"}, business),
    ]
    for template, body, headers in calls:
        path = "/api/v1" + template.format(milestone_id=milestone.id)
        response = documented(client.post(path, json=body, headers=headers), "post", template)
        assert response.status_code == 403, template
    response = documented(client.get("/api/v1/earnings", headers=business), "get", "/earnings")
    assert response.status_code == 403
    assert _state(session, milestone) == S.DELIVERED and ledger.snapshot(session) == before


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/contracts"),
        ("get", "/contracts/{contract_id}"),
        ("get", "/contracts/{contract_id}/milestones"),
        ("post", "/milestones/{milestone_id}/fund"),
        ("post", "/milestones/{milestone_id}/deliver"),
        ("post", "/milestones/{milestone_id}/accept"),
        ("post", "/milestones/{milestone_id}/request-changes"),
        ("get", "/earnings"),
    ],
)
def test_anonymous_gets_401(
    client: FlaskClient, session: Session, method: str, template: str
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    path = "/api/v1" + template.format(contract_id=contract.id, milestone_id=milestone.id)
    response = documented(getattr(client, method)(path), method, template)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert _state(session, milestone) == S.PENDING


def test_every_payments_path_is_in_the_spec(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/contracts",
        "/contracts/{contract_id}",
        "/contracts/{contract_id}/milestones",
        "/milestones/{milestone_id}/fund",
        "/milestones/{milestone_id}/deliver",
        "/milestones/{milestone_id}/accept",
        "/milestones/{milestone_id}/request-changes",
        "/earnings",
    ):
        assert path in spec["paths"], path
    for name in ("Contract", "Milestone", "Funding", "Earnings", "ChangesIn"):
        assert name in spec["components"]["schemas"]
