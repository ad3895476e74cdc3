"""Rows of the Orders page, read from each domain's tables (read-only)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.campaigns.models import Campaign, CampaignState
from app.contests.models import Contest, ContestEntry, ContestState
from app.contracts import lifecycle
from app.contracts.models import Contract
from app.media.models import LicenseStatus, MediaLicense
from app.payments.models import Milestone
from app.reviews.services import contract_reviews

KINDS = {
    "contract": "Contracts",
    "campaign": "Campaign orders",
    "licence": "Licences",
    "contest": "Contests",
}
FILTERS = {"open": "Open", "action": "Needs you", "done": "Finished", "all": "All"}
LIMIT = 200


@dataclass(frozen=True)
class Row:
    kind: str
    title: str
    url: str
    other: str  # the other party's name
    amount_minor: int
    currency: str
    state: str
    action: str
    action_url: str
    needs_me: bool
    finished: bool
    at: datetime
    steps: tuple[str, ...] = ()
    step: int = -1


def _name(user: User | None) -> str:
    if user is None:
        return "—"
    return user.company_name or user.display_name if user.is_business else user.display_name


def _contracts(session: Session, user: User) -> list[Row]:
    campaign_contracts = select(Campaign.contract_id)
    contracts = session.scalars(
        select(Contract)
        .where(
            or_(Contract.creator_id == user.id, Contract.business_id == user.id),
            Contract.id.not_in(campaign_contracts),
        )
        .order_by(Contract.id.desc())
        .limit(LIMIT)
    ).all()
    by_contract: dict[int, list[Milestone]] = defaultdict(list)
    for m in session.scalars(
        select(Milestone)
        .where(Milestone.contract_id.in_([c.id for c in contracts]))
        .order_by(Milestone.position)
    ):
        by_contract[m.contract_id].append(m)
    rows = []
    for contract in contracts:
        milestones = by_contract[contract.id]
        stage = lifecycle.stage(contract, milestones)
        can_review = contract_reviews(session, contract, user).can_write
        action = lifecycle.next_action(contract, milestones, user.id, can_review=can_review)
        other = contract.creator if user.id == contract.business_id else contract.business
        rows.append(
            Row(
                kind="contract",
                title=contract.title,
                url=url_for("contracts.detail", contract_id=contract.id),
                other=_name(other),
                amount_minor=contract.total_minor,
                currency=contract.currency,
                state=stage.label,
                action=action.text,
                action_url=url_for(action.endpoint, **action.values),
                needs_me=action.mine,
                finished=stage.finished and not action.mine,
                at=contract.created_at,
                steps=lifecycle.STEPS,
                step=stage.step,
            )
        )
    return rows


_CAMPAIGN_NEXT = {
    # state: (who acts, what they do)
    CampaignState.ORDERED: ("creator", "Submit the draft"),
    CampaignState.DRAFT_SUBMITTED: ("business", "Approve the draft or ask for changes"),
    CampaignState.CHANGES_REQUESTED: ("creator", "Revise the draft"),
    CampaignState.APPROVED: ("creator", "Post it and add the link"),
    CampaignState.POSTED: ("business", "Confirm the post"),
}


def _campaigns(session: Session, user: User) -> list[Row]:
    rows = []
    for campaign in session.scalars(
        select(Campaign)
        .where(or_(Campaign.creator_id == user.id, Campaign.business_id == user.id))
        .order_by(Campaign.id.desc())
        .limit(LIMIT)
    ):
        contract = session.get(Contract, campaign.contract_id)
        assert contract is not None
        side = "business" if user.id == campaign.business_id else "creator"
        who, what = _CAMPAIGN_NEXT.get(CampaignState(campaign.state), ("", "Done"))
        mine = who == side
        url = url_for("campaigns.detail", campaign_id=campaign.id)
        rows.append(
            Row(
                kind="campaign",
                title=f"{campaign.platform.value.capitalize()}: {contract.title}",
                url=url,
                other=_name(contract.creator if side == "business" else contract.business),
                amount_minor=contract.total_minor,
                currency=contract.currency,
                state=str(campaign.state).replace("_", " ").capitalize(),
                action=what if mine or not who else f"Waiting: {what.lower()}",
                action_url=url,
                needs_me=mine,
                finished=campaign.state is CampaignState.COMPLETED,
                at=campaign.created_at,
            )
        )
    return rows


def _licences(session: Session, user: User) -> list[Row]:
    rows = []
    for licence in session.scalars(
        select(MediaLicense)
        .where(
            or_(MediaLicense.creator_id == user.id, MediaLicense.licensee_id == user.id),
            MediaLicense.status == LicenseStatus.ACTIVE,
        )
        .order_by(MediaLicense.id.desc())
        .limit(LIMIT)
    ):
        buyer = user.id == licence.licensee_id
        rows.append(
            Row(
                kind="licence",
                title=f"{licence.license_type.value.capitalize()} licence: {licence.asset.title}",
                url=url_for("media.detail", asset_id=licence.asset_id),
                other=_name(
                    session.get(User, licence.creator_id if buyer else licence.licensee_id)
                ),
                amount_minor=licence.price_minor,
                currency=licence.currency,
                state="Sold" if not buyer else "Bought",
                action="Download" if buyer else "See it in your earnings",
                action_url=url_for("media.my_licenses" if buyer else "payments.earnings"),
                needs_me=False,
                finished=True,
                at=licence.sold_at or licence.created_at,
            )
        )
    return rows


def _contests(session: Session, user: User) -> list[Row]:
    rows = []
    owned = session.scalars(
        select(Contest).where(Contest.business_id == user.id).order_by(Contest.id.desc())
    ).all()
    entries = session.scalars(
        select(ContestEntry).where(ContestEntry.creator_id == user.id).order_by(ContestEntry.id)
    ).all()
    for contest in owned:
        url = url_for("contests.detail", contest_id=contest.id)
        judging = contest.state is ContestState.JUDGING
        draft = contest.state is ContestState.DRAFT
        action = "Pick the winner" if judging else "Fund the prize" if draft else "Open"
        rows.append(
            Row(
                kind="contest",
                title=contest.title,
                url=url,
                other=f"{len(contest.entries)} entries",
                amount_minor=contest.prize_minor,
                currency=contest.currency,
                state=str(contest.state).capitalize(),
                action=action,
                action_url=url,
                needs_me=judging or draft,
                finished=contest.state
                in (ContestState.AWARDED, ContestState.SPLIT, ContestState.REFUNDED),
                at=contest.created_at,
            )
        )
    for entry in entries:
        contest = entry.contest
        url = url_for("contests.detail", contest_id=contest.id)
        state = "Your entry is a finalist" if entry.is_finalist else "Entered"
        if contest.state in (ContestState.AWARDED, ContestState.SPLIT):
            state = f"Contest {contest.state.value}"
        rows.append(
            Row(
                kind="contest",
                title=f"Entry: {contest.title}",
                url=url,
                other=_name(session.get(User, contest.business_id)),
                amount_minor=contest.prize_minor,
                currency=contest.currency,
                state=state,
                action="See the contest",
                action_url=url,
                needs_me=False,
                finished=contest.state not in (ContestState.OPEN, ContestState.JUDGING),
                at=entry.created_at,
            )
        )
    return rows


def orders_for(session: Session, user: User, *, kind: str = "", show: str = "open") -> list[Row]:
    """The user's orders of ``kind`` (every kind when empty), filtered by ``show``
    (open, action, done, all), newest first."""
    readers = {
        "contract": _contracts,
        "campaign": _campaigns,
        "licence": _licences,
        "contest": _contests,
    }
    rows = [
        row for name, read in readers.items() if kind in ("", name) for row in read(session, user)
    ]
    if show == "open":
        rows = [r for r in rows if not r.finished]
    elif show == "action":
        rows = [r for r in rows if r.needs_me]
    elif show == "done":
        rows = [r for r in rows if r.finished]
    return sorted(rows, key=lambda r: (not r.needs_me, -r.at.timestamp()))
