import re
from datetime import timedelta

import pytest

from app import clock
from app.api.openapi import build_spec
from app.briefs.models import Brief, BriefStatus, Proposal, ProposalStatus
from app.contracts.models import Contract
from tests.factories import api_token, make_brief, make_proposal, make_user
from tests.fixtures import count

DEADLINE = (clock.now().date() + timedelta(days=20)).isoformat()
SPEC = build_spec()


def _resolve(schema):
    ref = schema.get("$ref")
    return SPEC["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _conforms(value, schema):
    """A small structural check of ``value`` against a JSON schema (types, required, enums)."""
    schema = _resolve(schema)
    types = schema.get("type")
    if types:
        allowed = types if isinstance(types, list) else [types]
        python = {
            "object": dict,
            "array": list,
            "string": str,
            "integer": int,
            "boolean": bool,
            "null": type(None),
        }
        assert any(
            isinstance(value, python[t]) and not (t == "integer" and isinstance(value, bool))
            for t in allowed
        ), (value, schema)
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, (key, value)
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                _conforms(value[key], sub)
    if isinstance(value, list) and "items" in schema:
        for item in value:
            _conforms(item, schema["items"])


def documented(response, method, template):
    """Assert that the spec documents this status for the operation and the body fits it."""
    operation = SPEC["paths"][template][method]
    spec = operation["responses"].get(str(response.status_code))
    assert spec is not None, f"{method.upper()} {template} -> {response.status_code} undocumented"
    content_type = response.mimetype
    assert content_type in spec["content"], (content_type, spec["content"].keys())
    _conforms(response.get_json(), spec["content"][content_type]["schema"])
    return response


def _body(**overrides):
    body = {
        "title": "Explainer video for an app",
        "description": "A sixty second animated explainer for our budgeting app launch.",
        "category": "Video & Animation",
        "skills": ["motion design"],
        "offer_kinds": ["service"],
        "budget_min_minor": 100_000,
        "budget_max_minor": 250_000,
        "currency": "EUR",
        "deadline": DEADLINE,
        "visibility": "public",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture()
def tokens(session, business, other_business, creator, other_creator):
    headers = {
        name: api_token(session, user)
        for name, user in [
            ("business", business),
            ("other_business", other_business),
            ("creator", creator),
            ("other_creator", other_creator),
        ]
    }
    return headers


def test_create_brief_and_get_it(client, session, tokens):
    session.commit()
    response = client.post("/api/v1/briefs", json=_body(publish=True), headers=tokens["business"])
    documented(response, "post", "/briefs")
    assert response.status_code == 201
    data = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/briefs/{data['id']}")
    assert (data["status"], data["budget_min_minor"], data["deadline"]) == (
        "open",
        100_000,
        DEADLINE,
    )
    got = documented(client.get(f"/api/v1/briefs/{data['id']}"), "get", "/briefs/{brief_id}")
    assert got.get_json()["title"] == "Explainer video for an app"


def test_create_defaults_to_draft_hidden_from_others(client, session, tokens):
    session.commit()
    brief_id = client.post(
        "/api/v1/briefs", json=_body(deadline=None, skills=...), headers=tokens["business"]
    ).get_json()["id"]
    documented(client.get(f"/api/v1/briefs/{brief_id}"), "get", "/briefs/{brief_id}")
    assert client.get(f"/api/v1/briefs/{brief_id}").status_code == 404
    assert client.get(f"/api/v1/briefs/{brief_id}", headers=tokens["business"]).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"budget_min_minor": "100000"}, "budget_min_minor"),
        ({"budget_min_minor": 1000.5}, "budget_min_minor"),
        ({"budget_min_minor": 1000.0}, "budget_min_minor"),
        ({"budget_max_minor": True}, "budget_max_minor"),
        ({"budget_min_minor": 0}, "budget_min_minor"),
        ({"budget_min_minor": -100}, "budget_min_minor"),
        ({"budget_max_minor": 10**12}, "budget_max_minor"),
        ({"budget_min_minor": 300_000}, "budget_max_minor"),
        ({"publish": 1}, "publish"),
        ({"publish": "yes"}, "publish"),
        ({"offer_kinds": ["podcast"]}, "offer_kinds"),
        ({"offer_kinds": "service"}, "offer_kinds"),
        ({"currency": "JPY"}, "currency"),
        ({"currency": 978}, "currency"),
        ({"deadline": "2030/01/01"}, "deadline"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"deadline": "2030-02-30"}, "deadline"),
        ({"title": "x" * 121}, "title"),
        ({"title": ...}, "title"),
        ({"description": ...}, "description"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_create_brief_strict_input(client, session, tokens, overrides, field):
    session.commit()
    response = client.post("/api/v1/briefs", json=_body(**overrides), headers=tokens["business"])
    documented(response, "post", "/briefs")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert count(session, Brief) == 0


def test_create_brief_auth_and_media_type(client, session, tokens):
    session.commit()
    assert (
        documented(client.post("/api/v1/briefs", json=_body()), "post", "/briefs").status_code
        == 401
    )
    bad_token = {"Authorization": "Bearer c2b_not-a-real-token"}
    assert (
        documented(
            client.post("/api/v1/briefs", json=_body(), headers=bad_token), "post", "/briefs"
        ).status_code
        == 401
    )
    assert (
        documented(
            client.post("/api/v1/briefs", json=_body(), headers=tokens["creator"]),
            "post",
            "/briefs",
        ).status_code
        == 403
    )
    response = client.post("/api/v1/briefs", data="title=x", headers=tokens["business"])
    assert documented(response, "post", "/briefs").status_code == 415
    response = client.post("/api/v1/briefs", json=[1, 2], headers=tokens["business"])
    assert documented(response, "post", "/briefs").status_code == 400
    assert count(session, Brief) == 0


def test_list_filters_and_pagination(client, session, business, tokens):
    make_brief(session, business, title="Logo for a bakery", category="Design & Creative")
    make_brief(
        session,
        business,
        title="Reels for a gym",
        offer_kinds=["influencer"],
        category="Marketing & Social Media",
        budget_min_minor=80_000,
        budget_max_minor=90_000,
    )
    make_brief(session, business, title="Private thing", visibility="invite_only")
    session.commit()
    response = documented(client.get("/api/v1/briefs?per_page=1"), "get", "/briefs")
    data = response.get_json()
    assert (data["total"], data["per_page"], len(data["items"])) == (2, 1, 1)

    def titles(query):
        return {b["title"] for b in client.get(f"/api/v1/briefs?{query}").get_json()["items"]}

    assert titles("kind=influencer") == {"Reels for a gym"}
    assert titles("category=Design+%26+Creative") == {"Logo for a bakery"}
    assert titles("budget_min_minor=60000") == {"Reels for a gym"}
    assert titles("q=BAKERY") == {"Logo for a bakery"}
    for query in (
        "kind=podcast",
        "budget_min_minor=abc",
        "budget_min_minor=-1",
        "q=%00",
        "category=Nope",
    ):
        assert (
            documented(client.get(f"/api/v1/briefs?{query}"), "get", "/briefs").status_code == 422
        ), query
    assert documented(client.get("/api/v1/briefs?page=0"), "get", "/briefs").status_code == 400


def test_invite_only_brief_visibility(client, session, business, creator, tokens):
    from app.briefs import services

    brief = make_brief(session, business, visibility="invite_only")
    services.invite_creator(session, brief, creator, business)
    session.commit()
    url = f"/api/v1/briefs/{brief.id}"
    assert documented(client.get(url), "get", "/briefs/{brief_id}").status_code == 404
    assert client.get(url, headers=tokens["other_creator"]).status_code == 404
    assert client.get(url, headers=tokens["creator"]).status_code == 200
    response = client.post(
        f"{url}/proposals",
        headers=tokens["other_creator"],
        json={
            "cover_letter": "Let me in to this private brief, please.",
            "price_minor": 30_000,
            "delivery_days": 5,
        },
    )
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 404
    assert count(session, Proposal) == 0


def test_patch_brief(client, session, brief, tokens):
    session.commit()
    url = f"/api/v1/briefs/{brief.id}"
    response = client.patch(url, json={"title": "New and better title"}, headers=tokens["business"])
    assert documented(response, "patch", "/briefs/{brief_id}").status_code == 200
    assert response.get_json()["title"] == "New and better title"
    assert response.get_json()["budget_min_minor"] == 20_000  # untouched fields keep values
    response = client.patch(url, json={"budget_max_minor": "9"}, headers=tokens["business"])
    assert documented(response, "patch", "/briefs/{brief_id}").status_code == 422
    response = client.patch(url, json={"title": "Hijacked title"}, headers=tokens["other_business"])
    assert documented(response, "patch", "/briefs/{brief_id}").status_code == 403
    session.expire_all()
    assert session.get(Brief, brief.id).title == "New and better title"


def test_brief_actions(client, session, business, tokens):
    draft = make_brief(session, business, publish=False)
    session.commit()
    base = f"/api/v1/briefs/{draft.id}"
    response = client.post(f"{base}/publish", headers=tokens["other_business"])
    assert documented(response, "post", "/briefs/{brief_id}/publish").status_code == 404
    response = client.post(f"{base}/publish", headers=tokens["business"])
    assert documented(response, "post", "/briefs/{brief_id}/publish").status_code == 200
    assert response.get_json()["status"] == "open"
    response = client.post(f"{base}/publish", headers=tokens["business"])
    assert documented(response, "post", "/briefs/{brief_id}/publish").status_code == 409
    assert response.get_json()["code"] == "invalid_transition"
    response = client.post(f"{base}/close", headers=tokens["other_business"])
    assert documented(response, "post", "/briefs/{brief_id}/close").status_code == 403
    response = client.post(f"{base}/cancel", headers=tokens["business"])
    assert documented(response, "post", "/briefs/{brief_id}/cancel").status_code == 200
    assert response.get_json()["status"] == "cancelled"
    response = client.patch(base, json={"title": "Too late to edit"}, headers=tokens["business"])
    assert documented(response, "patch", "/briefs/{brief_id}").status_code == 409


def _proposal_body(**overrides):
    body = {
        "cover_letter": "Seasoned animator; three similar explainers last year.",
        "price_minor": 30_000,
        "delivery_days": 12,
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price_minor": "30000"}, "price_minor"),
        ({"price_minor": 300.5}, "price_minor"),
        ({"price_minor": 0}, "price_minor"),
        ({"delivery_days": "12"}, "delivery_days"),
        ({"delivery_days": 0}, "delivery_days"),
        ({"currency": "EUR"}, "currency"),
        ({"cover_letter": "short"}, "cover_letter"),
        ({"bonus": 1}, "bonus"),
    ],
)
def test_create_proposal_strict_input(client, session, brief, tokens, overrides, field):
    session.commit()
    response = client.post(
        f"/api/v1/briefs/{brief.id}/proposals",
        json=_proposal_body(**overrides),
        headers=tokens["creator"],
    )
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 422
    assert field in response.get_json()["errors"]
    assert count(session, Proposal) == 0


def test_create_proposal_and_duplicate(client, session, brief, tokens):
    session.commit()
    url = f"/api/v1/briefs/{brief.id}/proposals"
    response = client.post(url, json=_proposal_body(currency="USD"), headers=tokens["creator"])
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 201
    assert response.get_json()["status"] == "submitted"
    response = client.post(url, json=_proposal_body(), headers=tokens["creator"])
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 409
    assert response.get_json()["code"] == "duplicate_proposal"
    response = client.post(url, json=_proposal_body(), headers=tokens["business"])
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 403
    assert count(session, Proposal) == 1


def test_own_brief_proposal_refused(client, session):
    both = make_user(session, creator=True, business=True)
    brief = make_brief(session, both)
    headers = api_token(session, both)
    session.commit()
    response = client.post(
        f"/api/v1/briefs/{brief.id}/proposals", json=_proposal_body(), headers=headers
    )
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 403
    assert count(session, Proposal) == 0


def test_brief_proposals_owner_only(client, session, brief, creator, other_creator, tokens):
    make_proposal(session, brief, creator)
    session.commit()
    url = f"/api/v1/briefs/{brief.id}/proposals"
    response = documented(
        client.get(url, headers=tokens["business"]), "get", "/briefs/{brief_id}/proposals"
    )
    assert response.status_code == 200 and len(response.get_json()["items"]) == 1
    for who in ("other_business", "creator", "other_creator"):
        response = client.get(url, headers=tokens[who])
        assert documented(response, "get", "/briefs/{brief_id}/proposals").status_code == 403


def test_my_proposals(client, session, brief, creator, other_creator, tokens):
    make_proposal(session, brief, creator)
    session.commit()
    mine = documented(
        client.get("/api/v1/proposals", headers=tokens["creator"]), "get", "/proposals"
    ).get_json()
    assert [p["brief_id"] for p in mine["items"]] == [brief.id] and mine["total"] == 1
    theirs = client.get("/api/v1/proposals", headers=tokens["other_creator"]).get_json()
    assert theirs["items"] == []
    response = client.get("/api/v1/proposals", headers=tokens["business"])
    assert documented(response, "get", "/proposals").status_code == 403


def test_accept_flow(client, session, brief, creator, other_creator, tokens):
    first = make_proposal(session, brief, creator)
    second = make_proposal(session, brief, other_creator)
    session.commit()
    response = client.post(f"/api/v1/proposals/{first.id}/shortlist", headers=tokens["business"])
    assert documented(response, "post", "/proposals/{proposal_id}/shortlist").status_code == 200
    assert response.get_json()["status"] == "shortlisted"
    response = client.post(f"/api/v1/proposals/{first.id}/accept", headers=tokens["business"])
    assert documented(response, "post", "/proposals/{proposal_id}/accept").status_code == 200
    data = response.get_json()
    assert data["proposal"]["status"] == "accepted"
    assert (data["contract"]["proposal_id"], data["contract"]["total_minor"]) == (first.id, 30_000)
    response = client.post(f"/api/v1/proposals/{second.id}/accept", headers=tokens["business"])
    assert documented(response, "post", "/proposals/{proposal_id}/accept").status_code == 409
    assert count(session, Contract) == 1
    session.expire_all()
    assert session.get(Brief, brief.id).status == BriefStatus.IN_PROGRESS
    assert session.get(Proposal, second.id).status == ProposalStatus.SUBMITTED


def test_proposal_actions_permissions(client, session, brief, creator, tokens):
    proposal = make_proposal(session, brief, creator)
    session.commit()
    for action in ("shortlist", "decline", "accept", "withdraw"):
        template = f"/proposals/{{proposal_id}}/{action}"
        for who in ("other_business", "other_creator"):
            response = client.post(f"/api/v1/proposals/{proposal.id}/{action}", headers=tokens[who])
            assert documented(response, "post", template).status_code == 404
    response = client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=tokens["creator"])
    assert documented(response, "post", "/proposals/{proposal_id}/accept").status_code == 403
    response = client.post(f"/api/v1/proposals/{proposal.id}/withdraw", headers=tokens["business"])
    assert documented(response, "post", "/proposals/{proposal_id}/withdraw").status_code == 403
    assert count(session, Contract) == 0
    response = client.post(f"/api/v1/proposals/{proposal.id}/withdraw", headers=tokens["creator"])
    assert documented(response, "post", "/proposals/{proposal_id}/withdraw").status_code == 200
    assert response.get_json()["status"] == "withdrawn"


@pytest.mark.parametrize("ident", ["0", "9223372036854775807", "9223372036854775808"])
def test_out_of_range_ids_are_404(client, session, tokens, ident):
    session.commit()
    response = client.get(f"/api/v1/briefs/{ident}")
    assert documented(response, "get", "/briefs/{brief_id}").status_code == 404
    response = client.post(f"/api/v1/proposals/{ident}/accept", headers=tokens["business"])
    assert documented(response, "post", "/proposals/{proposal_id}/accept").status_code == 404


def test_spec_describes_every_briefs_route(app):
    documented_ops = {
        (method.upper(), "/api/v1" + re.sub(r"\{(\w+)\}", r"<int:\1>", path))
        for path, item in SPEC["paths"].items()
        for method in item
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        and rule.rule.startswith(("/api/v1/briefs", "/api/v1/proposals"))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes and routes <= documented_ops
    for item in SPEC["paths"].values():
        for operation in item.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}


def test_absurd_page_numbers_are_refused_not_500(client, session, tokens):
    session.commit()
    response = client.get("/api/v1/briefs?page=99999999999999999999")
    assert documented(response, "get", "/briefs").status_code == 422
    response = client.get("/api/v1/proposals?page=99999999999999999999", headers=tokens["creator"])
    assert documented(response, "get", "/proposals").status_code == 422


def test_nul_bytes_are_refused_not_500(client, session, brief, tokens):
    session.commit()
    response = client.post(
        "/api/v1/briefs",
        json=_body(title="Nul\u0000title", skills=["a\u0000"]),
        headers=tokens["business"],
    )
    assert documented(response, "post", "/briefs").status_code == 422
    assert {"title", "skills"} <= set(response.get_json()["errors"])
    response = client.post(
        f"/api/v1/briefs/{brief.id}/proposals",
        headers=tokens["creator"],
        json=_proposal_body(cover_letter="Nul\u0000" * 10),
    )
    assert documented(response, "post", "/briefs/{brief_id}/proposals").status_code == 422
