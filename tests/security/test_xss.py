"""Script payloads saved in every text field come back escaped on every page.

Objects are created through the services with payloads in each free-text field; then every
GET route of the URL map (ids filled with those objects) is fetched by the owner, the other
party and an anonymous visitor. No HTML response may contain a payload verbatim, and the
detail pages must show it escaped (proving the payload really was rendered).
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy.orm import Session

from app.accounts import services as accounts
from app.briefs import services as briefs
from app.contracts import services as contracts
from app.payments import services as payments
from tests.factories import (
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
)
from tests.test_access_control import _routes

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, ATTRIBUTE)
MIXED = f"Logo {SCRIPT} design {ATTRIBUTE}"


def _world(session: Session) -> dict[str, Any]:
    creator = make_creator(session, name=f"Kim {SCRIPT}"[:80])
    business = make_business(session, name=f"Acme {ATTRIBUTE}"[:80])
    business.company_name = f"Acme {SCRIPT}"
    accounts.update_profile(
        session,
        creator,
        accounts.ProfileInput(
            headline=f"Designer {ATTRIBUTE}",
            bio=MIXED,
            skills=[SCRIPT, ATTRIBUTE],
            portfolio_links=["https://example.com/?q=%22%3E%3Cimg%3E"],
            country="DE",
            languages=[ATTRIBUTE[:60]],
            hourly_rate_minor=5_000,
            currency="USD",
            availability="available",
        ),
    )
    offer = make_offer(
        session,
        creator,
        status="published",
        title=f"Logos {SCRIPT}",
        description=MIXED,
        tags=[SCRIPT, ATTRIBUTE],
    )
    brief = make_brief(
        session,
        business,
        title=f"Brief {ATTRIBUTE}",
        description=MIXED,
        skills=[SCRIPT, ATTRIBUTE[:60]],
    )
    proposal = make_proposal(session, brief, creator, cover_letter=MIXED)
    second = make_brief(session, business, title=f"Second {SCRIPT}", description=MIXED)
    contract = briefs.accept_proposal(
        session, make_proposal(session, second, creator, cover_letter=MIXED), business
    )
    ordered = contracts.create_from_package(session, offer, "basic", business=business)
    milestone = payments.milestones_of(session, contract.id)[0]
    _post_messages(session, contract, proposal, creator, business)
    session.commit()
    return {
        "creator": creator,
        "business": business,
        "ids": {
            "offer_id": offer.id,
            "brief_id": brief.id,
            "proposal_id": proposal.id,
            "contract_id": contract.id,
            "milestone_id": milestone.id,
            "creator_id": creator.id,
            "user_id": creator.id,
            "kind": "service",
            "tier": "basic",
            "name": "evidence.txt",
            "filename": "x.css",
            "action": "publish",
        },
        "detail_pages": [
            f"/offers/{offer.id}",
            f"/briefs/{brief.id}",
            f"/creators/{creator.id}",
            f"/contracts/{ordered.id}",
        ],
    }


def _post_messages(session: Session, contract: Any, proposal: Any, *users: Any) -> None:
    """Messages, when the messaging domain is installed (it is optional here)."""
    try:
        messaging = importlib.import_module("app.messaging.services")
    except ImportError:
        return
    for thread in (
        messaging.thread_for_contract(session, contract),
        messaging.thread_for_proposal(session, proposal),
    ):
        for user in users:
            messaging.post(session, thread, sender=user, body=MIXED)


def _html_pages(app, client, ids) -> list[tuple[str, int, str]]:
    pages = []
    for method, path, endpoint in _routes(app, ids):
        if method != "GET" or endpoint == "static" or path.startswith("/api/"):
            continue
        response = client.get(path)
        if response.mimetype == "text/html":
            pages.append((path, response.status_code, response.get_data(as_text=True)))
    return pages


def test_payloads_render_escaped_everywhere(app, client, session):
    world = _world(session)
    viewers = {"anonymous": None, "creator": world["creator"], "business": world["business"]}
    rendered = 0
    for name, user in viewers.items():
        viewer = app.test_client()
        if user is not None:
            login(viewer, user)
        for path, status, html in _html_pages(app, viewer, world["ids"]):
            assert status < 500, (name, path, status)
            for payload in PAYLOADS:
                assert payload not in html, (name, path, payload)
            rendered += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert rendered >= 10  # the payloads did reach many pages, escaped


def test_detail_pages_show_the_escaped_payload(app, client, session):
    world = _world(session)
    login(client, world["business"])
    for path in world["detail_pages"]:
        html = client.get(path).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert SCRIPT not in html and ATTRIBUTE not in html, path
