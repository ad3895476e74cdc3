"""JSON API for influencer campaigns (registered on app.api.bp); described in api_spec.py.

The two parties (and moderators, read-only) see a campaign; anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import or_, select

from app.accounts.models import Role, User
from app.api import api_user, bp, created, json_body
from app.campaigns import services
from app.campaigns.content import disclosures_for
from app.campaigns.models import Campaign
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import NotFound
from app.extensions import db
from app.negotiation.api_input import fields
from app.offers.services import visible_offer


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "contract_id": campaign.contract_id,
        "milestone_id": campaign.milestone_id,
        "business_id": campaign.business_id,
        "creator_id": campaign.creator_id,
        "offer_id": campaign.offer_id,
        "platform": campaign.platform.value,
        "deliverables": list(campaign.deliverables),
        "state": campaign.state.value,
        "draft_text": campaign.draft_text,
        "draft_file": campaign.draft_file,
        "draft_caption": campaign.draft_caption,
        "approved_caption": campaign.approved_caption,
        "change_note": campaign.change_note,
        "post_url": campaign.post_url,
        "live_caption": campaign.live_caption,
        "confirm_due_at": _iso(campaign.confirm_due_at),
        "completed_at": _iso(campaign.completed_at),
        "disclosures": list(disclosures_for(campaign.platform)),
        "violations": [
            {
                "id": v.id,
                "kind": v.kind.value,
                "detail": v.detail,
                "reported_by_id": v.reported_by_id,
                "created_at": _iso(v.created_at),
            }
            for v in campaign.violations
        ],
    }


def _visible(campaign_id: int, user: User) -> Campaign:
    return services.visible(db.session(), campaign_id, user)


@bp.post("/offers/<int:offer_id>/campaigns")
def order_campaign(offer_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.BUSINESS)
    values = fields(json_body(), {"deliverables": ("str_list", True)})
    offer = visible_offer(db.session(), offer_id, user)
    campaign = services.order(db.session(), offer, user, values["deliverables"])
    return created(campaign_json(campaign), f"/api/v1/campaigns/{campaign.id}")


@bp.post("/contracts/<int:contract_id>/campaign")
def start_campaign(contract_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.BUSINESS)
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    if contract is None or contract.business_id != user.id:
        raise NotFound("No such contract.")
    values = fields(json_body(), {"platform": ("str", True)})
    campaign = services.start_for_contract(db.session(), contract, user, values["platform"])
    return created(campaign_json(campaign), f"/api/v1/campaigns/{campaign.id}")


@bp.get("/campaigns")
def list_campaigns() -> Response:
    user = api_user()
    campaigns = db.session.scalars(
        select(Campaign)
        .where(or_(Campaign.business_id == user.id, Campaign.creator_id == user.id))
        .order_by(Campaign.id.desc())
        .limit(200)
    )
    return jsonify(items=[campaign_json(c) for c in campaigns])


@bp.get("/campaigns/<int:campaign_id>")
def get_campaign(campaign_id: int) -> Response:
    return jsonify(campaign_json(_visible(campaign_id, api_user())))


@bp.post("/campaigns/<int:campaign_id>/draft")
def submit_campaign_draft(campaign_id: int) -> Response:
    user = api_user()
    _visible(campaign_id, user)
    values = fields(
        json_body(), {"text": ("str", False), "caption": ("str", True), "file": ("str", False)}
    )
    campaign = services.submit_draft(
        db.session(),
        campaign_id,
        user,
        text=values.get("text", ""),
        caption=values["caption"],
        file_name=values.get("file"),
    )
    return jsonify(campaign_json(campaign))


@bp.post("/campaigns/<int:campaign_id>/request-changes")
def request_campaign_changes(campaign_id: int) -> Response:
    user = api_user()
    _visible(campaign_id, user)
    values = fields(json_body(), {"note": ("str", True)})
    return jsonify(
        campaign_json(
            services.request_changes(db.session(), campaign_id, user, note=values["note"])
        )
    )


@bp.post("/campaigns/<int:campaign_id>/approve")
def approve_campaign(campaign_id: int) -> Response:
    user = api_user()
    _visible(campaign_id, user)
    return jsonify(campaign_json(services.approve(db.session(), campaign_id, user)))


@bp.post("/campaigns/<int:campaign_id>/post")
def submit_campaign_post(campaign_id: int) -> Response:
    user = api_user()
    _visible(campaign_id, user)
    values = fields(json_body(), {"post_url": ("str", True), "caption": ("str", True)})
    campaign = services.submit_post(
        db.session(), campaign_id, user, post_url=values["post_url"], caption=values["caption"]
    )
    return jsonify(campaign_json(campaign))


@bp.post("/campaigns/<int:campaign_id>/confirm")
def confirm_campaign(campaign_id: int) -> Response:
    user = api_user()
    _visible(campaign_id, user)
    return jsonify(campaign_json(services.confirm(db.session(), campaign_id, user)))


@bp.post("/campaigns/<int:campaign_id>/violations")
def report_campaign_violation(campaign_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user()
    _visible(campaign_id, user)
    values = fields(json_body(), {"kind": ("str", True), "detail": ("str", True)})
    services.report_violation(
        db.session(), campaign_id, user, kind=values["kind"], detail=values["detail"]
    )
    campaign = _visible(campaign_id, user)
    return created(campaign_json(campaign), f"/api/v1/campaigns/{campaign.id}")
