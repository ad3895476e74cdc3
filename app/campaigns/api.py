"""JSON API for influencer campaigns (registered on app.api.bp), each operation declared once.

The two parties (and moderators, read-only) see a campaign; anyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import url_for
from pydantic import Field

from app.accounts.models import Role, User
from app.api import api_user, bp
from app.api.schema import In, Out, Text, operation
from app.campaigns import services
from app.campaigns.content import MAX_URL
from app.campaigns.models import Campaign, CampaignState, ViolationKind
from app.campaigns.services import MAX_NOTE, MAX_TEXT
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import NotFound
from app.extensions import db
from app.offers.models import Platform
from app.offers.services import visible_offer

PlatformName = Literal[tuple(p.value for p in Platform)]
ViolationName = Literal[tuple(k.value for k in ViolationKind)]


def _text(low: int, high: int) -> Any:
    return Annotated[Text, Field(min_length=low, max_length=high)]


class CampaignOrder(In):
    deliverables: Annotated[
        list[Annotated[Text, Field(max_length=200)]], Field(min_length=1, max_length=50)
    ]


class CampaignStart(In):
    platform: PlatformName


class CampaignDraft(In):
    text: _text(0, MAX_TEXT) = ""
    caption: _text(1, MAX_TEXT)
    file: _text(0, 255) = Field(default=None, description="A file uploaded on the web page.")


class CampaignNote(In):
    note: _text(1, MAX_NOTE)


class CampaignPost(In):
    post_url: _text(1, MAX_URL)
    caption: _text(1, MAX_TEXT)


class CampaignViolationIn(In):
    kind: ViolationName
    detail: _text(1, MAX_NOTE)


class Violation(Out):
    id: int
    kind: ViolationName
    detail: str
    reported_by_id: int | None
    created_at: datetime


class CampaignOut(Out):
    id: int
    contract_id: int
    milestone_id: int
    business_id: int
    creator_id: int
    offer_id: int | None
    platform: PlatformName
    deliverables: list[str]
    state: Literal[tuple(s.value for s in CampaignState)]
    draft_text: str
    draft_file: str | None
    draft_caption: str
    approved_caption: str | None
    change_note: str
    post_url: str | None
    live_caption: str | None
    confirm_due_at: datetime | None
    completed_at: datetime | None
    disclosures: list[str]
    violations: list[Violation]


class CampaignList(Out):
    items: list[CampaignOut]


PROBLEMS = {
    403: "Wrong role, or not the side of the campaign who may do this",
    404: "No such offer, contract or campaign, or the caller is not a party",
    409: "Illegal in the campaign's state, or the milestone is not funded",
    422: "Invalid input (e.g. caption without a sponsorship disclosure, URL off-platform)",
}


def _created(campaign: Campaign) -> tuple[CampaignOut, int, dict[str, str]]:
    location = url_for("api.get_campaign", campaign_id=campaign.id)
    return CampaignOut.model_validate(campaign), 201, {"Location": location}


def _visible(campaign_id: int, user: User) -> Campaign:
    return services.visible(db.session(), campaign_id, user)


def _act(campaign_id: int, action: Callable[..., Campaign], **fields: Any) -> CampaignOut:
    """Run one campaign action as the caller, once the campaign is visible to them (404)."""
    user = api_user()
    _visible(campaign_id, user)
    return CampaignOut.model_validate(action(db.session(), campaign_id, user, **fields))


@bp.post("/offers/<int:offer_id>/campaigns")
@operation(
    tag="campaigns",
    body=CampaignOrder,
    created=CampaignOut,
    role=Role.BUSINESS,
    problems={**PROBLEMS, 502: "The payment provider refused the request"},
)
def order_campaign(offer_id: int, body: CampaignOrder) -> tuple[CampaignOut, int, dict[str, str]]:
    """Order deliverables of a published influencer offer (business): contract + campaign"""
    user = api_user(Role.BUSINESS)
    offer = visible_offer(db.session(), offer_id, user)
    return _created(services.order(db.session(), offer, user, body.deliverables))


@bp.post("/contracts/<int:contract_id>/campaign")
@operation(
    tag="campaigns",
    body=CampaignStart,
    created=CampaignOut,
    role=Role.BUSINESS,
    problems=PROBLEMS,
)
def start_campaign(
    contract_id: int, body: CampaignStart
) -> tuple[CampaignOut, int, dict[str, str]]:
    """Run a campaign on a contract from an accepted proposal (its business)"""
    user = api_user(Role.BUSINESS)
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    if contract is None or contract.business_id != user.id:
        raise NotFound("No such contract.")
    return _created(services.start_for_contract(db.session(), contract, user, body.platform))


@bp.get("/campaigns")
@operation(tag="campaigns", ok=CampaignList)
def list_campaigns() -> CampaignList:
    """Your campaigns, as business or creator, newest first (up to 200)"""
    campaigns = services.of_user(db.session(), api_user())
    return CampaignList(items=[CampaignOut.model_validate(c) for c in campaigns])


@bp.get("/campaigns/<int:campaign_id>")
@operation(tag="campaigns", ok=CampaignOut, problems=PROBLEMS)
def get_campaign(campaign_id: int) -> CampaignOut:
    """One campaign (its parties; moderators read-only)"""
    return CampaignOut.model_validate(_visible(campaign_id, api_user()))


@bp.post("/campaigns/<int:campaign_id>/draft")
@operation(tag="campaigns", body=CampaignDraft, ok=CampaignOut, problems=PROBLEMS)
def submit_campaign_draft(campaign_id: int, body: CampaignDraft) -> CampaignOut:
    """Submit the draft post for approval (creator)"""
    return _act(
        campaign_id,
        services.submit_draft,
        text=body.text,
        caption=body.caption,
        file_name=body.file,
    )


@bp.post("/campaigns/<int:campaign_id>/request-changes")
@operation(tag="campaigns", body=CampaignNote, ok=CampaignOut, problems=PROBLEMS)
def request_campaign_changes(campaign_id: int, body: CampaignNote) -> CampaignOut:
    """Ask for changes to the draft (business)"""
    return _act(campaign_id, services.request_changes, note=body.note)


@bp.post("/campaigns/<int:campaign_id>/approve")
@operation(tag="campaigns", ok=CampaignOut, problems=PROBLEMS)
def approve_campaign(campaign_id: int) -> CampaignOut:
    """Approve the draft: its caption becomes the one to post (business)"""
    return _act(campaign_id, services.approve)


@bp.post("/campaigns/<int:campaign_id>/post")
@operation(tag="campaigns", body=CampaignPost, ok=CampaignOut, problems=PROBLEMS)
def submit_campaign_post(campaign_id: int, body: CampaignPost) -> CampaignOut:
    """Report the live post (creator)"""
    return _act(campaign_id, services.submit_post, post_url=body.post_url, caption=body.caption)


@bp.post("/campaigns/<int:campaign_id>/confirm")
@operation(
    tag="campaigns",
    ok=CampaignOut,
    problems={**PROBLEMS, 502: "The payment provider refused the request"},
)
def confirm_campaign(campaign_id: int) -> CampaignOut:
    """Confirm the live post: the payment is released (business)"""
    return _act(campaign_id, services.confirm)


@bp.post("/campaigns/<int:campaign_id>/violations")
@operation(tag="campaigns", body=CampaignViolationIn, created=CampaignOut, problems=PROBLEMS)
def report_campaign_violation(
    campaign_id: int, body: CampaignViolationIn
) -> tuple[CampaignOut, int, dict[str, str]]:
    """Report a breach of the agreed post (business)"""
    user = api_user()
    _visible(campaign_id, user)
    services.report_violation(db.session(), campaign_id, user, kind=body.kind, detail=body.detail)
    return _created(_visible(campaign_id, user))
