"""Pins the problem+json answers integrators rely on, written before the API moved to schemas.

Each row: a request (as whom, with what body) and the answer it must keep getting: the status,
the media type, the top-level keys, ``code`` and which fields ``errors`` names. Moving the
validation to declared schemas must not change any of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import api_token, make_business, make_creator, make_offer

SERVICE = {
    "kind": "service",
    "title": "Landing page copywriting",
    "description": "Conversion-focused copy for one landing page, with two rounds of edits.",
    "category": "Writing & Translation",
    "packages": [{"tier": "basic", "price_minor": 5000, "delivery_days": 3}],
}
TERMS = {"price_minor": 7_000, "delivery_days": 6}
PROBLEM = {"type", "title", "status", "detail", "code"}

# (name, method, path, role, json body or raw data, status, code, error fields or None)
CASES: list[tuple[str, str, str, str, Any, int, str, set[str] | None]] = [
    ("no token", "POST", "/offers", "anonymous", SERVICE, 401, "unauthorized", None),
    ("bad token", "GET", "/offers/{offer}", "revoked", None, 401, "unauthorized", None),
    ("wrong role", "POST", "/offers", "business", SERVICE, 403, "forbidden", None),
    ("not json", "POST", "/offers", "creator", b"title=x", 415, "unsupported_media_type", None),
    ("not an object", "POST", "/offers", "creator", [1, 2], 400, "invalid_request", None),
    ("bad kind", "POST", "/offers", "creator", {"kind": "gig"}, 422, "validation_failed", {"kind"}),
    (
        "missing and unknown",
        "POST",
        "/offers",
        "creator",
        {"kind": "service", "title": "Landing page copy", "colour": "red"},
        422,
        "validation_failed",
        {"description", "category", "packages", "colour"},
    ),
    (
        "float money",
        "POST",
        "/offers",
        "creator",
        {**SERVICE, "packages": [{"tier": "basic", "price_minor": 5000.0, "delivery_days": 3}]},
        422,
        "validation_failed",
        {"packages.0.price_minor"},
    ),
    ("unknown offer", "GET", "/offers/999999", "anonymous", None, 404, "not_found", None),
    (
        "bad catalog kind",
        "GET",
        "/offers?kind=gig",
        "anonymous",
        None,
        422,
        "validation_failed",
        {"kind"},
    ),
    (
        "bad page size",
        "GET",
        "/offers?per_page=1000",
        "anonymous",
        None,
        400,
        "invalid_request",
        None,
    ),
    (
        "page too deep",
        "GET",
        "/offers?page=10001",
        "anonymous",
        None,
        422,
        "validation_failed",
        {"page"},
    ),
    (
        "string price",
        "POST",
        "/offers/{offer}/negotiations",
        "business",
        {"price_minor": "70", "delivery_days": 6},
        422,
        "validation_failed",
        {"price_minor"},
    ),
    (
        "bool price",
        "POST",
        "/offers/{offer}/negotiations",
        "business",
        {"price_minor": True, "delivery_days": 6},
        422,
        "validation_failed",
        {"price_minor"},
    ),
    (
        "extra term",
        "POST",
        "/offers/{offer}/negotiations",
        "business",
        {**TERMS, "extra": 1},
        422,
        "validation_failed",
        {"extra"},
    ),
    (
        "missing terms",
        "POST",
        "/offers/{offer}/negotiations",
        "business",
        {},
        422,
        "validation_failed",
        {"price_minor", "delivery_days"},
    ),
    (
        "creator negotiates",
        "POST",
        "/offers/{offer}/negotiations",
        "creator",
        TERMS,
        403,
        "forbidden",
        None,
    ),
    ("insights for business", "GET", "/insights", "business", None, 403, "forbidden", None),
]


@pytest.mark.parametrize(
    ("method", "path", "role", "body", "status", "code", "fields"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_problem_answers_keep_their_shape(
    client, session, method, path, role, body, status, code, fields
):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    headers = {
        "anonymous": {},
        "revoked": {"Authorization": "Bearer c2b_not_a_token"},
        "creator": api_token(session, creator),
        "business": api_token(session, make_business(session)),
    }[role]
    session.commit()
    url = "/api/v1" + path.format(offer=offer.id)
    if isinstance(body, bytes):
        response = client.open(
            url,
            method=method,
            data=body,
            headers=headers,
            content_type="application/x-www-form-urlencoded",
        )
    else:
        response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert set(problem) == PROBLEM | ({"errors"} if fields is not None else set())
    assert (problem["status"], problem["code"], problem["type"]) == (status, code, "about:blank")
    if fields is not None:
        assert set(problem["errors"]) == fields
        assert all(
            isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
            for messages in problem["errors"].values()
        )


def test_field_messages_integrators_match_on(client, session):
    """The wording of the two commonest field errors is part of the contract."""
    headers = api_token(session, make_creator(session))
    session.commit()
    response = client.post(
        "/api/v1/offers",
        json={"kind": "service", "title": "Landing page copy", "colour": "red"},
        headers=headers,
    )
    errors = response.get_json()["errors"]
    assert errors["colour"] == ["Unknown field."]
    assert errors["packages"] == ["This field is required."]
