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
from tests.checkout_support import VISA, pay_contest, pay_licence, pay_milestone
from tests.factories import (
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
    make_user,
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
    "api.docs",  # the API reference, rendered from the public document
    "api.list_offers",
    "api.get_offer",
    "api.list_briefs",
    "api.get_brief",
    "stripe_webhooks.webhook",
    "payments.onboarding_return",
    "password_reset.forgot",
    "password_reset.reset",
    # Sign-up confirmation: the same pages for every address (tests/security/test_sign_up.py).
    "signup.check_email",
    "signup.confirm",
    "signup.resend",
    # Demand pools: the board and a pool are public like briefs (pledging needs a business).
    "pools.board",
    "pools.detail",
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
    "api.get_contest",
    # Any business may write to a creator before hiring (its rules: tests/messaging).
    "messaging.contact",
}
REFUSED = {302, 400, 401, 403, 404, 405, 409, 415, 422}
# Actions on the caller's own account, with no object of anyone else's to protect.
OWN_ACCOUNT_ACTIONS = {
    "accounts.logout",
    "payments.start_onboarding",
    "payments.onboarding",
    # The caller's own notifications (all of them, or their preferences): nobody else's.
    "notifications.read_all",
    "notifications.settings",
    "api.start_payout_onboarding",  # the caller's own payout account, as on the web
}


def _world(session: Session, gateway: Any, storage: Any) -> dict[str, Any]:
    """Private objects of every kind, all owned by one business and one creator (and a report
    only moderators may see): an intruder must be refused because of who they are, never
    because the object is missing (``_owners_reach_their_objects`` proves they exist)."""
    from datetime import timedelta

    from app import clock, uploads
    from app.campaigns import services as campaigns
    from app.contests import services as contests
    from app.disputes import services as disputes
    from app.media import gallery, licensing
    from app.media import services as media
    from app.messaging import services as messaging
    from app.moderation import services as moderation
    from app.negotiation import services as negotiation
    from app.payments import services as payments
    from tests.factories import published_influencer_offer
    from tests.media.helpers import encode, meta, picture, stock_offer, upload

    owner_creator = make_creator(session)
    owner_creator.is_business = False
    owner_business = make_business(session)
    published = make_offer(session, owner_creator, status="published")
    draft = make_offer(session, owner_creator, status="draft")
    brief = make_brief(session, owner_business)
    proposal = make_proposal(session, brief, owner_creator)
    contract = contracts.create_from_package(session, published, "basic", business=owner_business)
    token, _secret = accounts.create_api_token(session, owner_business, name="private")
    milestone = payments.milestones_of(session, contract.id)[0]
    visa = VISA
    pay_milestone(session, gateway, milestone.id, owner_business, visa)
    delivered = uploads.store(
        "deliveries", milestone.id, [_upload("logo.txt")], max_files=1, max_bytes=99
    )
    payments.deliver(
        session,
        milestone.id,
        creator=owner_creator,
        message="Done.",
        files=[f.stored_name for f in delivered],
    )
    dispute = disputes.open_dispute(session, milestone.id, user=owner_business, reason="Late.")
    stored = uploads.store(
        "disputes", dispute.id, [_upload("proof.txt")], max_files=1, max_bytes=99
    )
    disputes.add_evidence(session, dispute.id, user=owner_business, body="", files=stored)
    thread = messaging.thread_for_contract(session, contract)
    attached = uploads.store(
        "messages", thread.id, [_upload("brief.txt")], max_files=1, max_bytes=99
    )
    message = messaging.post(session, thread, sender=owner_business, body="Hi", files=attached)
    campaign = campaigns.order(
        session,
        published_influencer_offer(session, creator=owner_creator),
        owner_business,
        ["post"],
    )
    pay_milestone(session, gateway, campaign.milestone_id, owner_business, visa)
    session.commit()  # the next step is another request (it locks the campaign afresh)
    campaigns.submit_draft(
        session,
        campaign.id,
        owner_creator,
        text="Script",
        caption="New roast #ad",
        file_name=uploads.store_one("campaign_drafts", campaign.id, _upload("d.txt"), max_bytes=99),
    )
    contest = contests.create(
        session,
        owner_business,
        contests.ContestInput(
            title="Label",
            description="A label.",
            category="Design & Creative",
            prize_minor=10_000,
            currency="USD",
            deadline=clock.now() + timedelta(days=3),
        ),
    )
    pay_contest(session, gateway, contest.id, owner_business, visa)
    entry = contests.enter(session, contest.id, owner_creator, text="Mine", file_name=None)
    entry.file_name = uploads.store_one(
        "contest_entries", contest.id, _upload("e.txt"), max_bytes=99
    )
    asset = media.upload(  # pending review: private to its creator (and moderators)
        session,
        storage,
        owner_creator,
        encode(picture(5)),
        meta(stock_offer(session, owner_creator).id, model_release=True),
        release_document=b"%PDF-1.4 signed release",
    )
    moderator = make_user(session, moderator=True)
    listed = upload(session, storage, owner_creator, seed=2)
    media.approve(session, listed.id, moderator=moderator)
    licensing.start_purchase(  # one licence left pending, one sold (a payout to the creator)
        session, gateway, listed.id, business=owner_business, license_type="standard"
    )
    licence = pay_licence(session, gateway, listed.id, owner_business, license_type="enhanced")
    from app.settlement import payout_for

    payout = payout_for(session, "media_license", licence.id)
    assert payout is not None
    talks = negotiation.propose(
        session,
        published,
        owner_business,
        negotiation.TermsInput(price_minor=9_000, delivery_days=4),
    )
    picture_of_draft = gallery.add_image(
        session,
        storage,
        owner_creator,
        encode(picture(7)),
        purpose=gallery.ImagePurpose.OFFER,
        offer=draft,
    )
    report = moderation.create_report(
        session, owner_business, subject_type="offer", subject_id=published.id, reason="spam"
    )
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
        "dispute_id": dispute.id,
        "evidence_id": dispute.evidence[-1].id,
        "thread_id": thread.id,
        "attachment_id": message.attachments[0].id,
        "campaign_id": campaign.id,
        "contest_id": contest.id,
        "entry_id": entry.id,
        "asset_id": asset.id,
        "license_id": licence.id,
        "payout_id": payout.id,
        "negotiation_id": talks.id,
        "report_id": report.id,
        "image_id": picture_of_draft.id,
        "width": picture_of_draft.widths[0],
        "kind": "service",
        "tier": "basic",
        "name": delivered[0].stored_name,
        "filename": "x.css",
        "action": "publish",
        "owners": (owner_business, owner_creator, moderator),
    }


def _upload(name: str) -> Any:
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(b"evidence"), filename=name, content_type="text/plain")


def _owners_reach_their_objects(app: Flask, ids: dict[str, Any]) -> None:
    """Every page about one of the world's objects answers its owner (or a moderator): the
    refusals the intruder gets below are about authorisation, not about missing rows."""
    clients = []
    for owner in ids["owners"]:
        owner_client = app.test_client()
        login(owner_client, owner)
        clients.append(owner_client)
    object_ids = {str(value) for key, value in ids.items() if key.endswith("_id")}
    # Routes about a kind of object the world has none of (its id defaults to 1, which on
    # SQLite is also the id of some other object of the world) are not the world's pages.
    arguments = {rule.endpoint: rule.arguments for rule in app.url_map.iter_rules()}
    for method, path, endpoint in _routes(app, ids):
        if method != "GET" or endpoint in PUBLIC_ENDPOINTS or path.startswith("/api/"):
            continue
        if not any(part in object_ids for part in path.split("/")):
            continue
        if not all(arg in ids for arg in arguments[endpoint]):
            continue
        if endpoint in NOT_PAGES:
            continue
        statuses = [owner_client.get(path).status_code for owner_client in clients]
        assert any(status < 400 for status in statuses), (path, statuses)


# GET routes about an object that nobody reaches with this world's ids: downloads that need a
# signed token, and forms that start something with *another* party's published offer (the
# world's offer id is a private draft).
NOT_PAGES = {"media.download", "negotiation.propose", "campaigns.order"}


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


def test_anonymous_requests_to_private_routes_are_refused_and_change_nothing(
    app, client, session, gateway, storage
):
    ids = _world(session, gateway, storage)
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
def test_someone_else_cannot_read_or_change_private_objects(
    app, client, session, gateway, storage, as_api
):
    ids = _world(session, gateway, storage)
    _owners_reach_their_objects(app, ids)
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
