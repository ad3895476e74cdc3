"""Offers JSON API: catalog, CRUD with strict types, ownership, transitions, and the spec."""

from __future__ import annotations

from typing import Any

import pytest

from app.api.openapi import build_spec
from app.offers.models import Offer
from tests.factories import api_token, make_business, make_creator, make_offer

SERVICE = {
    "kind": "service",
    "title": "Landing page copywriting",
    "description": "Conversion-focused copy for one landing page, with two rounds of edits.",
    "category": "Writing & Translation",
    "tags": ["copywriting", "saas"],
    "currency": "USD",
    "packages": [
        {"tier": "basic", "price_minor": 5000, "delivery_days": 3, "revisions": 1, "includes": "1"},
        {"tier": "premium", "price_minor": 15000, "delivery_days": 5},
    ],
}
STOCK = {
    "kind": "stock_media",
    "title": "Alpine lake photos",
    "description": "Twelve photos of alpine lakes at sunrise, 8K resolution, model-free.",
    "standard_license_minor": 1500,
    "enhanced_license_minor": 6000,
}
INFLUENCER = {
    "kind": "influencer",
    "title": "TikTok reviews of kitchen gadgets",
    "description": "Honest 60-second reviews of kitchen gadgets for a food-loving audience.",
    "platform": "tiktok",
    "handle": "@chef.ana",
    "audience_size": 250000,
    "engagement_rate_bp": 612,
    "audience_topics": ["cooking"],
    "audience_regions": ["US"],
    "deliverables": [{"kind": "video", "price_minor": 90000, "delivery_days": 10}],
}


# --- a small JSON Schema check, enough for the subset our spec uses -----------------------------

SPEC = build_spec()


def check(value: Any, schema: dict[str, Any], path: str = "$") -> None:
    if "$ref" in schema:
        return check(value, SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], path)
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                check(value, option, path)
                matches += 1
            except AssertionError:
                pass
        assert matches == 1, f"{path}: {matches} oneOf options match"
        return None
    types = schema.get("type")
    if types:
        names = types if isinstance(types, list) else [types]
        kinds = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "null": type(None),
            "boolean": bool,
        }
        assert any(isinstance(value, kinds[n]) for n in names), f"{path}: {value!r} not {names}"
        assert not (isinstance(value, bool) and "boolean" not in names), path
    if "const" in schema:
        assert value == schema["const"], path
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r}"
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{path}: missing {name}"
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                check(item, properties[name], f"{path}.{name}")
            else:
                assert schema.get("additionalProperties", True) is not False, f"{path}.{name}"
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            check(item, schema["items"], f"{path}[{i}]")
    return None


def conforms(response: Any, path: str, method: str) -> Any:
    """Assert that ``response`` is documented for the operation and matches its schema."""
    operation = SPEC["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented, f"{method.upper()} {path}: {response.status_code} is not documented"
    (media_type, content), *_ = documented["content"].items()
    assert response.mimetype == media_type
    check(response.get_json(), content["schema"])
    return response.get_json()


# --- catalog and reading --------------------------------------------------------------------


def test_catalog_lists_published_offers_with_filters_and_pages(client, session):
    creator = make_creator(session)
    cheap = make_offer(session, creator, kind="stock_media", status="published")
    dear = make_offer(session, creator, kind="influencer", status="published")
    make_offer(session, creator, title="A draft nobody sees")
    session.commit()
    body = conforms(client.get("/api/v1/offers"), "/offers", "get")
    assert [o["id"] for o in body["items"]] == [dear.id, cheap.id]
    assert body["total"] == 2
    body = conforms(
        client.get("/api/v1/offers?kind=stock_media&price_max_minor=3000"), "/offers", "get"
    )
    assert [o["id"] for o in body["items"]] == [cheap.id]
    assert body["items"][0]["standard_license_minor"] == 2_500
    body = conforms(client.get("/api/v1/offers?per_page=1&page=2&sort=price_asc"), "/offers", "get")
    assert ([o["id"] for o in body["items"]], body["pages"]) == ([dear.id], 2)
    body = conforms(client.get("/api/v1/offers?q=STUDIO"), "/offers", "get")
    assert body["total"] == 0
    body = conforms(client.get("/api/v1/offers?q=branding"), "/offers", "get")  # a tag
    assert body["total"] == 2


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("kind=gig", 422, "kind"),
        ("category=Nope", 422, "category"),
        ("sort=random", 422, "sort"),
        ("price_min_minor=12.5", 422, "price_min_minor"),
        ("price_min_minor=-1", 422, "price_min_minor"),
        ("max_delivery_days=0", 422, "max_delivery_days"),
        ("per_page=1000", 400, None),
        ("page=0", 400, None),
    ],
)
def test_bad_catalog_parameters(client, session, query, status, field):
    response = client.get(f"/api/v1/offers?{query}")
    body = conforms(response, "/offers", "get")
    assert response.status_code == status
    if field:
        assert field in body["errors"]


def test_get_offer_visibility(client, session):
    owner = make_creator(session)
    listed = make_offer(session, owner, status="published")
    draft = make_offer(session, owner, kind="influencer")
    owner_headers = api_token(session, owner)
    other_headers = api_token(session, make_creator(session))
    session.commit()
    body = conforms(client.get(f"/api/v1/offers/{listed.id}"), "/offers/{offer_id}", "get")
    assert [p["tier"] for p in body["packages"]] == ["basic", "standard", "premium"]
    for headers in ({}, other_headers):
        response = client.get(f"/api/v1/offers/{draft.id}", headers=headers)
        conforms(response, "/offers/{offer_id}", "get")
        assert response.status_code == 404
    response = client.get(f"/api/v1/offers/{draft.id}", headers=owner_headers)
    body = conforms(response, "/offers/{offer_id}", "get")
    assert body["channel"]["handle"] == "studio.kim"
    assert client.get(f"/api/v1/offers/{2**64}").status_code == 404
    response = client.get("/api/v1/offers/1", headers={"Authorization": "Bearer c2b_nope"})
    assert conforms(response, "/offers/{offer_id}", "get")["status"] == 401


# --- creating -------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [SERVICE, STOCK, INFLUENCER], ids=lambda p: p["kind"])
def test_creator_creates_each_kind(client, session, payload, outbox):
    headers = api_token(session, make_creator(session))
    session.commit()
    response = client.post("/api/v1/offers", json=payload, headers=headers)
    body = conforms(response, "/offers", "post")
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/offers/{body['id']}")
    assert (body["kind"], body["status"], body["title"]) == (
        payload["kind"],
        "draft",
        payload["title"],
    )
    assert session.get(Offer, body["id"]) is not None
    assert outbox(body["id"]) == 1


def test_influencer_handle_and_summary(client, session):
    headers = api_token(session, make_creator(session))
    session.commit()
    body = client.post("/api/v1/offers", json=INFLUENCER, headers=headers).get_json()
    assert body["channel"]["handle"] == "chef.ana"
    assert (body["price_from_minor"], body["delivery_days_min"]) == (90_000, 10)
    assert body["category"] == "Marketing & Social Media"


def _with(payload: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**payload, **changes}


def _package(**changes: Any) -> dict[str, Any]:
    return {"tier": "basic", "price_minor": 5000, "delivery_days": 3, **changes}


INVALID = [
    (_with(SERVICE, kind="gig"), "kind"),
    ({k: v for k, v in SERVICE.items() if k != "title"}, "title"),
    ({k: v for k, v in SERVICE.items() if k != "packages"}, "packages"),
    (_with(SERVICE, title="x" * 121), "title"),
    (_with(SERVICE, description="x" * 5001), "description"),
    (_with(SERVICE, currency="XYZ"), "currency"),
    (_with(SERVICE, currency=7), "currency"),
    (_with(SERVICE, tags="logo"), "tags"),
    (_with(SERVICE, title="Nul\u0000byte title"), "title"),
    (_with(SERVICE, surprise=1), "surprise"),
    (_with(SERVICE, packages=[_package(price_minor=50.0)]), "packages.0.price_minor"),
    (_with(SERVICE, packages=[_package(price_minor="5000")]), "packages.0.price_minor"),
    (_with(SERVICE, packages=[_package(price_minor=True)]), "packages.0.price_minor"),
    (_with(SERVICE, packages=[_package(price_minor=0)]), "packages.0.price_minor"),
    (_with(SERVICE, packages=[_package(price_minor=-100)]), "packages.0.price_minor"),
    # Under Stripe's minimum charge for USD (0.50): app.money.MINIMUM_CHARGE_MINOR.
    (_with(SERVICE, packages=[_package(price_minor=49)]), "packages.0.price_minor"),
    (_with(STOCK, standard_license_minor=10, enhanced_license_minor=40), "standard_license_minor"),
    (_with(SERVICE, packages=[_package(price_minor=10**12)]), "packages.0.price_minor"),
    (_with(SERVICE, packages=[_package(delivery_days=3.0)]), "packages.0.delivery_days"),
    (_with(SERVICE, packages=[_package(color="red")]), "packages.0.color"),
    (_with(SERVICE, packages=[{"tier": "basic"}]), "packages.0.price_minor"),
    (_with(SERVICE, packages="basic"), "packages"),
    (_with(SERVICE, packages=["basic"]), "packages.0"),
    (
        _with(
            SERVICE,
            packages=[_package(price_minor=9000), _package(tier="standard", price_minor=8000)],
        ),
        "packages.1.price_minor",
    ),
    (_with(STOCK, enhanced_license_minor=1000), "enhanced_license_minor"),
    (_with(STOCK, packages=[_package()]), "packages"),  # a field of another kind
    (_with(INFLUENCER, engagement_rate_bp=6.12), "engagement_rate_bp"),
    (_with(INFLUENCER, audience_size=-5), "audience_size"),
    (_with(INFLUENCER, handle="@@chef"), "handle"),
    (
        _with(
            INFLUENCER,
            deliverables=[{"kind": k, "price_minor": 1000} for k in ["post"] * 7],
        ),
        "deliverables",
    ),
]


@pytest.mark.parametrize(("payload", "field"), INVALID)
def test_invalid_offers_are_422_and_write_nothing(client, session, counts, payload, field):
    headers = api_token(session, make_creator(session))
    session.commit()
    before = counts()
    response = client.post("/api/v1/offers", json=payload, headers=headers)
    body = conforms(response, "/offers", "post")
    assert response.status_code == 422
    assert field in body["errors"], body["errors"]
    assert counts() == before


def test_create_needs_a_creator_token_and_json(client, session, counts):
    business_headers = api_token(session, make_business(session))
    creator_headers = api_token(session, make_creator(session))
    session.commit()
    before = counts()
    cases = [
        (client.post("/api/v1/offers", json=SERVICE), 401),
        (client.post("/api/v1/offers", json=SERVICE, headers=business_headers), 403),
        (client.post("/api/v1/offers", data="title=x", headers=creator_headers), 415),
        (client.post("/api/v1/offers", json=[SERVICE], headers=creator_headers), 400),
    ]
    for response, status in cases:
        assert response.status_code == status
        conforms(response, "/offers", "post")
    assert cases[0][0].headers["WWW-Authenticate"].startswith("Bearer")
    assert counts() == before


# --- updating and status --------------------------------------------------------------------


def test_owner_patches_some_fields(client, session, outbox):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    headers = api_token(session, creator)
    session.commit()
    before = outbox(offer.id)
    patch = {"title": "Logo design, now faster", "packages": [_package(price_minor=7000)]}
    response = client.patch(f"/api/v1/offers/{offer.id}", json=patch, headers=headers)
    body = conforms(response, "/offers/{offer_id}", "patch")
    assert body["title"] == "Logo design, now faster"
    assert body["description"].startswith("A clean, memorable logo")  # untouched
    assert [p["tier"] for p in body["packages"]] == ["basic"]
    assert (body["price_from_minor"], body["status"]) == (7000, "published")
    assert outbox(offer.id) == before + 1


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"kind": "stock_media"}, "kind"),
        ({"standard_license_minor": 100}, "standard_license_minor"),
        ({"title": 5}, "title"),
        ({"packages": [_package(price_minor=1.5)]}, "packages.0.price_minor"),
    ],
)
def test_invalid_patch_changes_nothing(client, session, counts, patch, field):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    headers = api_token(session, creator)
    session.commit()
    before = counts()
    response = client.patch(f"/api/v1/offers/{offer.id}", json=patch, headers=headers)
    assert response.status_code == 422
    assert field in conforms(response, "/offers/{offer_id}", "patch")["errors"]
    session.expire_all()
    assert session.get(Offer, offer.id).title == "Logo design for small brands"
    assert counts() == before


@pytest.mark.parametrize(("status", "code"), [("draft", 404), ("published", 403)])
def test_another_creator_cannot_patch_or_transition(client, session, counts, status, code):
    offer = make_offer(session, make_creator(session), status=status)
    headers = api_token(session, make_creator(session))
    session.commit()
    before = counts()
    response = client.patch(
        f"/api/v1/offers/{offer.id}", json={"title": "Mine now"}, headers=headers
    )
    assert response.status_code == code
    conforms(response, "/offers/{offer_id}", "patch")
    for action in ("publish", "pause", "remove"):
        response = client.post(f"/api/v1/offers/{offer.id}/{action}", headers=headers)
        assert response.status_code == code
        conforms(response, f"/offers/{{offer_id}}/{action}", "post")
    session.expire_all()
    assert session.get(Offer, offer.id).status == status
    assert counts() == before


def test_owner_transitions_and_illegal_ones_are_409(client, session):
    creator = make_creator(session)
    offer = make_offer(session, creator, kind="stock_media")
    headers = api_token(session, creator)
    session.commit()
    steps = [
        ("pause", 409, "draft"),
        ("publish", 200, "published"),
        ("publish", 409, "published"),
        ("pause", 200, "paused"),
        ("publish", 200, "published"),
        ("remove", 200, "removed"),
        ("publish", 409, "removed"),
    ]
    for action, code, status in steps:
        response = client.post(f"/api/v1/offers/{offer.id}/{action}", headers=headers)
        assert response.status_code == code, action
        conforms(response, f"/offers/{{offer_id}}/{action}", "post")
        session.expire_all()
        assert session.get(Offer, offer.id).status == status
    response = client.patch(
        f"/api/v1/offers/{offer.id}", json={"title": "Back again"}, headers=headers
    )
    assert response.status_code == 409
    conforms(response, "/offers/{offer_id}", "patch")
    assert client.post(f"/api/v1/offers/{offer.id}/publish").status_code == 401


# --- the OpenAPI document -------------------------------------------------------------------


def test_every_offer_route_is_documented(app):
    rules = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and "offer" in rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        ("/api/v1" + path.replace("{offer_id}", "<int:offer_id>"), method.upper())
        for path, operations in SPEC["paths"].items()
        if path.startswith("/offers")
        for method in operations
    }
    assert rules == documented
    assert refs_resolve()


def refs_resolve() -> bool:
    """Every $ref in the document points at a schema that exists."""
    names = set(SPEC["components"]["schemas"])

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref:
                assert ref.rsplit("/", 1)[1] in names, ref
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(SPEC)
    return True


def test_documented_example_bodies_match_the_request_schemas():
    for payload in (SERVICE, STOCK, INFLUENCER):
        check(payload, {"$ref": "#/components/schemas/OfferCreate"})
    check({"title": "New title"}, {"$ref": "#/components/schemas/OfferPatch"})
    with pytest.raises(AssertionError):
        check({**SERVICE, "kind": "stock_media"}, {"$ref": "#/components/schemas/OfferCreate"})
