"""Every route, tried anonymously and as the wrong user: refused, and nothing changes.

The routes come from the app's URL map, so a new route is covered the day it is added; its
parameters are filled with the ids of objects that belong to *other* people.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.contracts import services as contracts
from app.db import Base
from tests.factories import (
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
)

# Pages anyone may see (given a public object).
PUBLIC_ENDPOINTS = {
    "static",
    "pages.home",
    "offers.catalog",
    "offers.detail",
    "briefs.board",
    "briefs.detail",
    "accounts.login",
    "accounts.register",
    "accounts.public_profile",
    "api.openapi",
    "api.list_offers",
    "api.get_offer",
    "api.list_briefs",
    "api.get_brief",
    "stripe_webhooks.webhook",
    "payments.onboarding_return",
    "password_reset.forgot",
    "password_reset.reset",
    "health.healthz",
    "health.readyz",
    # Served to localhost (as the test client is) or a token: tests/ops/test_metrics.py.
    "observability.metrics",
    "reviews.reputation_rules",
    "reviews.user_reviews",
    "api.get_user_reputation",
    # Stock media: the grid and listed assets are public (unlisted ones answer 404).
    "media.grid",
    "media.detail",
    "media.preview",
    "media.thumbnail",
    "api.list_media",
    "api.get_media",
    # Contests: the board and funded contests are public (drafts answer 404 but their owner).
    "contests.board",
    "contests.detail",
}
REFUSED = {302, 400, 401, 403, 404, 405, 409, 415, 422}
# Actions on the caller's own account, with no object of anyone else's to protect.
OWN_ACCOUNT_ACTIONS = {"accounts.logout", "payments.start_onboarding", "payments.onboarding"}


def _world(session: Session) -> dict[str, Any]:
    owner_creator = make_creator(session)
    owner_business = make_business(session)
    published = make_offer(session, owner_creator, status="published")
    draft = make_offer(session, owner_creator, status="draft")
    brief = make_brief(session, owner_business)
    proposal = make_proposal(session, brief, owner_creator)
    contract = contracts.create_from_package(session, published, "basic", business=owner_business)
    token, _secret = accounts.create_api_token(session, owner_business, name="private")
    from app.payments import services as payments

    milestone = payments.milestones_of(session, contract.id)[0]
    session.commit()
    return {
        "offer_id": draft.id,
        "brief_id": brief.id,
        "proposal_id": proposal.id,
        "contract_id": contract.id,
        "milestone_id": milestone.id,
        "token_id": token.id,
        "creator_id": owner_creator.id,
        "user_id": owner_creator.id,
        "kind": "service",
        "tier": "basic",
        "name": "evidence.txt",
        "filename": "x.css",
        "action": "publish",
    }


def _routes(app: Flask, ids: dict[str, Any]) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {arg: ids.get(arg, 1) for arg in rule.arguments}
        for arg, converter in rule._converters.items():  # noqa: SLF001 - werkzeug introspection
            allowed = getattr(converter, "items", None)  # <any(a, b):arg>
            if allowed and values[arg] not in allowed:
                values[arg] = sorted(allowed)[0]
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path, rule.endpoint))
    return routes


def _table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


def _call(client: Any, method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if method in {"POST", "PATCH", "PUT"}:
        kwargs["json" if path.startswith("/api/") else "data"] = {}
    return client.open(path, method=method, **kwargs)


def test_anonymous_requests_to_private_routes_are_refused_and_change_nothing(app, client, session):
    ids = _world(session)
    before = _table_counts(session)
    private = [route for route in _routes(app, ids) if route[2] not in PUBLIC_ENDPOINTS]
    assert len(private) > 60  # the sweep really covers the application
    for method, path, _endpoint in private:
        response = _call(client, method, path)
        assert response.status_code in REFUSED, (method, path, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], (method, path)
        if path.startswith("/api/"):
            assert response.status_code in {401, 404, 405, 415}, (method, path)
    session.expire_all()
    assert _table_counts(session) == before


@pytest.mark.parametrize("as_api", [False, True], ids=["browser", "api"])
def test_someone_else_cannot_read_or_change_private_objects(app, client, session, as_api):
    ids = _world(session)
    intruder = make_creator(session)
    intruder.is_business = True  # both roles: refusals must come from ownership, not role
    headers = api_token(session, intruder) if as_api else {}
    session.commit()
    if not as_api:
        login(client, intruder)
    before = _table_counts(session)
    object_ids = {str(value) for key, value in ids.items() if key.endswith("_id")}
    for method, path, endpoint in _routes(app, ids):
        if endpoint in PUBLIC_ENDPOINTS or path.startswith("/api/") != as_api:
            continue
        if endpoint in OWN_ACCOUNT_ACTIONS:
            continue
        response = _call(client, method, path, headers)
        about_others = any(part in object_ids for part in path.split("/"))
        if method == "GET" and not about_others:
            # One's own pages (dashboard, settings, lists) render; they list only one's own
            # objects, and the object routes below are what must refuse.
            assert response.status_code < 500, (method, path, response.status_code)
            continue
        assert response.status_code in REFUSED, (method, path, response.status_code)
    session.expire_all()
    after = _table_counts(session)
    after.pop("api_tokens", None), before.pop("api_tokens", None)
    assert after == before
