"""JSON bodies bounded before parsing, odd query values, safe redirects.

Findings: a deeply nested JSON body answered 500 (RecursionError) on every endpoint that reads
JSON, the Stripe webhook included (its SDK parses before checking the signature); odd
``limit`` values answered 500; a crafted ``next`` after login redirected off-site.
"""

from __future__ import annotations

import json

import pytest

from app.security.json_limits import MAX_JSON_BYTES, MAX_JSON_DEPTH, JsonTooDeep, check_json_text
from tests.factories import PASSWORD, api_token, make_business, make_creator

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/offers"),
        ("POST", "/api/v1/briefs"),
        ("POST", "/api/v1/contests"),
        ("POST", "/api/v1/brief-assistant"),
    ],
)
def test_a_deeply_nested_json_body_is_a_400_problem(client, session, method, path):
    user = make_creator(session) if path == "/api/v1/offers" else make_business(session)
    headers = {**api_token(session, user), "Content-Type": "application/json"}
    response = client.open(path, method=method, data=DEEP, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "body_too_deep"


def test_a_deep_body_to_the_stripe_webhook_is_a_400_not_a_500(client):
    response = client.post(
        "/stripe/webhook",
        data=DEEP,
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=x"},
    )
    assert response.status_code == 400


def test_an_oversized_json_body_is_a_413_problem(client, session):
    headers = {**api_token(session, make_business(session)), "Content-Type": "application/json"}
    body = json.dumps({"title": "x" * (MAX_JSON_BYTES + 10)})
    response = client.post("/api/v1/briefs", data=body, headers=headers)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_the_depth_check_ignores_brackets_inside_strings():
    check_json_text(json.dumps({"text": "[" * 10_000, "nested": [[[{"a": "}}}}"}]]]}))
    with pytest.raises(JsonTooDeep):
        check_json_text("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    check_json_text("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)


@pytest.mark.parametrize("limit", ["²", "9" * 5000, "-3", "0", "1e3", "١٢"])
def test_odd_limit_values_are_4xx_not_500(client, session, limit):
    from tests.factories import make_brief

    business = make_business(session)
    brief = make_brief(session, business)
    api = client.get(
        f"/api/v1/briefs/{brief.id}/matches",
        query_string={"limit": limit},
        headers=api_token(session, business),
    )
    assert 400 <= api.status_code < 500, api.status_code
    client.post("/login", data={"email": business.email, "password": PASSWORD})
    page = client.get(f"/briefs/{brief.id}/recommendations", query_string={"limit": limit})
    assert 400 <= page.status_code < 500, page.status_code


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/%09/evil.example",
        "https://evil.example/",
        "/ /evil.example",
        "\x00//evil.example",
    ],
)
def test_login_never_redirects_off_site(client, session, target):
    user = make_creator(session)
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil.example" not in location, location


def test_login_keeps_a_same_site_next(client, session):
    user = make_creator(session)
    response = client.post(
        "/login",
        query_string={"next": "/briefs?page=2"},
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/briefs?page=2"
