"""Influencer campaigns: order -> (fund the milestone) -> draft -> approval -> live post ->
confirmation (or silence) -> the milestone is released through the payments services.

One transition table; every move writes an audit row; the campaign row is locked while it
moves. Money only moves through app.payments (deliver when the post goes live, accept/release
when it is confirmed), so the ledger stays the single source of truth.

Grounds for a dispute (posting before approval, a live caption that differs from the approved
one) are recorded as CampaignViolation rows plus audit rows, visible to both parties and to
moderators; the dispute itself is opened through the disputes flow. While a violation is on
record, silence does not confirm: the business confirms explicitly or disputes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.campaigns import AUTO_CONFIRM_TIMER
from app.campaigns.content import check_post_url, normalized, require_disclosure
from app.campaigns.models import Campaign, CampaignState, CampaignViolation, ViolationKind
from app.contracts import services as contracts
from app.contracts.models import Contract, ContractStatus
from app.db import MAX_ID, newest
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.offers.models import Offer, OfferKind, Platform
from app.offers.services import is_listed
from app.payments import delivery
from app.payments import services as payments
from app.payments.models import MilestoneState
from app.payments.states import lock_milestone
from app.workflow import StateMachine, lock

S = CampaignState
DEFAULT_CONFIRM_DAYS = 3
MAX_TEXT = 5000
MAX_NOTE = 2000  # change requests and violation details (form and API alike)

CAMPAIGN = StateMachine(
    "campaign",
    S,
    {
        "submit_draft": ({S.ORDERED, S.CHANGES_REQUESTED}, S.DRAFT_SUBMITTED),
        "request_changes": ({S.DRAFT_SUBMITTED}, S.CHANGES_REQUESTED),
        "approve": ({S.DRAFT_SUBMITTED}, S.APPROVED),
        # Posting is accepted from the pre-approval states too: the post is already live, so
        # the campaign records it (and the violation) rather than pretend it did not happen.
        "post": ({S.APPROVED, S.ORDERED, S.DRAFT_SUBMITTED, S.CHANGES_REQUESTED}, S.POSTED),
        "confirm": ({S.POSTED}, S.COMPLETED),
        "auto_confirm": ({S.POSTED}, S.COMPLETED),
    },
)


def confirm_window() -> timedelta:
    days: float = DEFAULT_CONFIRM_DAYS
    if has_app_context():
        days = float(current_app.config.get("CAMPAIGN_CONFIRM_DAYS", DEFAULT_CONFIRM_DAYS))
    return timedelta(days=min(max(days, 0.0), 14.0))


def lock_campaign(session: Session, campaign_id: int) -> Campaign:
    return lock(session, Campaign, campaign_id, missing="No such campaign.")


def visible(session: Session, campaign_id: int, user: User) -> Campaign:
    """The campaign for its two parties and for moderators; NotFound for anyone else."""
    found = session.get(Campaign, campaign_id) if 0 < campaign_id <= MAX_ID else None
    if found is None:
        raise NotFound("No such campaign.")
    staff = user.is_moderator or user.is_admin
    if user.id not in (found.business_id, found.creator_id) and not staff:
        raise NotFound("No such campaign.")
    return found


def of_user(session: Session, user: User) -> list[Campaign]:
    """The user's campaigns, as business or creator, newest first."""
    return newest(
        session, Campaign, or_(Campaign.business_id == user.id, Campaign.creator_id == user.id)
    )


def _as(session: Session, campaign_id: int, user: User, side: str) -> Campaign:
    found = visible(session, campaign_id, user)
    owner = found.business_id if side == "business" else found.creator_id
    if user.id != owner:
        raise PermissionDenied(f"Only the campaign's {side} can do that.")
    return lock_campaign(session, campaign_id)


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise ValidationFailed({field: [f"Required, at most {limit} characters."]})
    return value.strip()


# --- ordering ------------------------------------------------------------------------------


def order(session: Session, offer: Offer, business: User, kinds: Sequence[str]) -> Campaign:
    """Order deliverables (by kind) of a published influencer offer: contract + campaign.

    Raises NotFound (offer not listed), ValidationFailed (not an influencer offer, unknown or
    no deliverables), PermissionDenied (own offer, not a business).
    """
    if not is_listed(offer):
        raise NotFound("No such offer.")
    if offer.kind is not OfferKind.INFLUENCER or offer.influencer is None:
        raise ValidationFailed({"offer": ["Only influencer offers take campaign orders."]})
    by_kind = {str(d.kind): d for d in offer.deliverables}
    wanted = list(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in by_kind]
    if not wanted or unknown:
        raise ValidationFailed({"deliverables": [f"Choose from: {', '.join(sorted(by_kind))}."]})
    chosen = [by_kind[k] for k in wanted]
    contract = contracts.create_from_terms(
        session,
        offer,
        business=business,
        title=f"{offer.title}: {', '.join(wanted)}",
        scope="\n".join(f"{d.kind}: {d.description}" for d in chosen),
        total_minor=sum(d.price_minor for d in chosen),
        delivery_days=max(d.delivery_days for d in chosen),
        origin={"deliverables": ",".join(wanted)},
    )
    return _create(session, contract, business, offer.influencer.platform, wanted, offer.id)


def start_for_contract(
    session: Session, contract: Contract, business: User, platform: str
) -> Campaign:
    """A campaign on a contract made from an accepted proposal (the platform named by the
    business). Raises NotFound (not the business of it), ValidationFailed, Conflict."""
    if contract.business_id != business.id:
        raise NotFound("No such contract.")
    if contract.proposal_id is None or contract.status is not ContractStatus.ACTIVE:
        raise ValidationFailed({"contract_id": ["Use an active contract from a proposal."]})
    if platform not in {p.value for p in Platform}:
        raise ValidationFailed(
            {"platform": [f"Use one of {', '.join(p.value for p in Platform)}."]}
        )
    if session.scalar(select(Campaign.id).where(Campaign.contract_id == contract.id)):
        raise Conflict("This contract already has a campaign.")
    return _create(session, contract, business, Platform(platform), ["post"], None)


def _create(
    session: Session,
    contract: Contract,
    business: User,
    platform: Platform,
    deliverables: list[str],
    offer_id: int | None,
) -> Campaign:
    milestones = payments.milestones_of(session, contract.id)
    if len(milestones) != 1 or milestones[0].state not in (
        MilestoneState.PENDING,
        MilestoneState.FUNDED,
    ):
        raise Conflict("A campaign needs a contract with one unreleased milestone.")
    campaign = Campaign(
        contract_id=contract.id,
        milestone_id=milestones[0].id,
        business_id=contract.business_id,
        creator_id=contract.creator_id,
        offer_id=offer_id,
        platform=platform,
        deliverables=deliverables,
    )
    session.add(campaign)
    session.flush()
    CAMPAIGN.record(
        session,
        campaign,
        "ordered",
        actor_id=business.id,
        contract_id=contract.id,
        deliverables=deliverables,
    )
    return campaign


# --- content workflow ----------------------------------------------------------------------


def submit_draft(
    session: Session,
    campaign_id: int,
    creator: User,
    *,
    text: str,
    caption: str,
    file_name: str | None = None,
) -> Campaign:
    """The creator submits draft content (text and/or a file, plus the caption) for approval.

    Raises NotFound, PermissionDenied, ValidationFailed, Conflict (milestone not funded yet),
    InvalidTransition.
    """
    text = _text(text, "text", required=not file_name)
    caption = _text(caption, "caption")
    if file_name is not None and (not file_name.strip() or len(file_name) > 255):
        raise ValidationFailed({"file": ["Give a file name of at most 255 characters."]})
    campaign = _as(session, campaign_id, creator, "creator")
    if lock_milestone(session, campaign.milestone_id).state != MilestoneState.FUNDED:
        raise Conflict("The business has not funded this campaign yet.")
    CAMPAIGN.move(session, campaign, "submit_draft", actor_id=creator.id)
    campaign.draft_text, campaign.draft_caption, campaign.draft_file = text, caption, file_name
    return campaign


def request_changes(session: Session, campaign_id: int, business: User, *, note: str) -> Campaign:
    note = _text(note, "note", limit=2000)
    campaign = _as(session, campaign_id, business, "business")
    CAMPAIGN.move(session, campaign, "request_changes", actor_id=business.id)
    campaign.change_note = note
    return campaign


def approve(session: Session, campaign_id: int, business: User) -> Campaign:
    """Approve the draft. Refused (ValidationFailed on ``caption``, nothing written) when the
    caption carries no sponsorship disclosure for the platform (app.campaigns.content)."""
    campaign = _as(session, campaign_id, business, "business")
    if campaign.state is S.DRAFT_SUBMITTED:
        require_disclosure(campaign.draft_caption, campaign.platform)
    CAMPAIGN.move(session, campaign, "approve", actor_id=business.id)
    campaign.approved_caption = campaign.draft_caption
    campaign.approved_at = clock.now()
    return campaign


def submit_post(
    session: Session, campaign_id: int, creator: User, *, post_url: str, caption: str
) -> Campaign:
    """The creator reports the live post (URL on the platform + the caption as published).

    Delivers the milestone (payments.deliver) and starts the confirmation window; records a
    violation when posted before approval or when the caption differs from the approved one.
    Raises NotFound, PermissionDenied, ValidationFailed, Conflict (not funded),
    InvalidTransition.
    """
    caption = _text(caption, "caption")
    found = visible(session, campaign_id, creator)
    post_url = check_post_url(post_url, found.platform)
    campaign = _as(session, campaign_id, creator, "creator")
    if lock_milestone(session, campaign.milestone_id).state != MilestoneState.FUNDED:
        raise Conflict("The milestone must be funded (and not yet delivered) to report a post.")
    before = S(campaign.state)
    CAMPAIGN.move(session, campaign, "post", actor_id=creator.id)
    now = clock.now()
    campaign.post_url, campaign.live_caption, campaign.posted_at = post_url, caption, now
    campaign.confirm_due_at = now + confirm_window()
    if before is not S.APPROVED:
        record_violation(
            session,
            campaign,
            ViolationKind.POSTED_BEFORE_APPROVAL,
            f"Posted at {post_url} while the campaign was {before.value}.",
            reported_by=None,
        )
    elif normalized(caption) != normalized(campaign.approved_caption):
        record_violation(
            session,
            campaign,
            ViolationKind.CONTENT_CHANGED,
            "The live caption differs from the approved caption.",
            reported_by=None,
        )
    milestone = payments.deliver(
        session,
        campaign.milestone_id,
        creator=creator,
        message=f"Live post: {post_url}\n\n{caption}",
    )
    # The campaign's own confirmation timer (below) replaces the milestone's review window, so
    # the payments auto-accept job finds no review due date and does nothing.
    milestone.review_due_at = None
    AUTO_CONFIRM_TIMER.set(session, campaign.id, campaign.confirm_due_at)
    return campaign


def confirm(session: Session, campaign_id: int, business: User) -> Campaign:
    """The business confirms the live post: the milestone is released (payments.accept)."""
    campaign = _as(session, campaign_id, business, "business")
    CAMPAIGN.move(session, campaign, "confirm", actor_id=business.id)
    campaign.completed_at = clock.now()
    if lock_milestone(session, campaign.milestone_id).state == MilestoneState.DELIVERED:
        payments.accept(session, campaign.milestone_id, business=business)
    return campaign


def auto_confirm(session: Session, campaign_id: int) -> str:
    """Silence confirms once the window is over, unless a violation is on record."""
    campaign = lock_campaign(session, campaign_id)
    skip = jobs.not_due(campaign.state is S.POSTED, campaign.confirm_due_at)
    if skip is not None:
        return skip
    if campaign.violations:
        return "held: a violation is on record (confirm or open a dispute)"
    CAMPAIGN.move(session, campaign, "auto_confirm", actor_id=None)
    campaign.completed_at = clock.now()
    milestone = lock_milestone(session, campaign.milestone_id)
    if milestone.state == MilestoneState.DELIVERED:
        delivery.release(session, milestone, action="auto_accept", actor_id=None)
    return "auto-confirmed"


def run_auto_confirm_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return auto_confirm(session, job.subject_id)


# --- violations ----------------------------------------------------------------------------


def record_violation(
    session: Session,
    campaign: Campaign,
    kind: ViolationKind,
    detail: str,
    *,
    reported_by: User | None,
) -> CampaignViolation:
    violation = CampaignViolation(
        campaign=campaign,
        kind=kind,
        detail=detail[:2000],
        reported_by_id=reported_by.id if reported_by else None,
    )
    session.add(violation)
    session.flush()
    CAMPAIGN.record(
        session,
        campaign,
        "violation",
        actor_id=violation.reported_by_id,
        kind=kind.value,
        violation_id=violation.id,
        dispute="open through the disputes flow",
    )
    return violation


def report_violation(
    session: Session, campaign_id: int, business: User, *, kind: str, detail: str
) -> CampaignViolation:
    """The business reports a violation it saw (e.g. a post before approval, edited content)."""
    if kind not in {k.value for k in ViolationKind}:
        raise ValidationFailed(
            {"kind": [f"Use one of {', '.join(k.value for k in ViolationKind)}."]}
        )
    detail = _text(detail, "detail", limit=2000)
    campaign = _as(session, campaign_id, business, "business")
    if campaign.state is S.COMPLETED:
        raise Conflict("This campaign is completed; open a dispute on the contract instead.")
    return record_violation(session, campaign, ViolationKind(kind), detail, reported_by=business)
