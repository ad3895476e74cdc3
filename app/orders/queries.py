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
from app.contests import chargebacks as contest_chargebacks
from app.contests.models import Contest, ContestEntry, ContestState
from app.contracts import lifecycle
from app.contracts.models import Contract
from app.media.models import LicenseStatus, MediaLicense
from app.payments.models import Milestone
from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState
from app.reviews.services import contract_reviews

KINDS = {
    "contract": "Contracts",
    "campaign": "Campaign orders",
    "licence": "Licences",
    "contest": "Contests",
    "pool": "Demand pools",
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
        if contest.state is ContestState.DISPUTED:
            action = "Frozen until your bank decides the chargeback"
        rows.append(
            Row(
                kind="contest",
                title=contest.title,
                url=url,
                other=f"{len(contest.entries)} entries",
                amount_minor=contest.prize_minor,
                currency=contest.currency,
                state=contest_chargebacks.state_label(
                    contest, contest_chargebacks.latest(session, contest.id)
                ),
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
        chargeback = contest_chargebacks.latest(session, contest.id)
        if chargeback is not None and contest.state in (
            ContestState.DISPUTED,
            ContestState.REFUNDED,
        ):
            state = "Contest " + contest_chargebacks.state_label(contest, chargeback).lower()
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


_POOL_DONE = (PoolState.FAILED, PoolState.SETTLED, PoolState.CANCELLED)
# The creator's next step per pool state: (it is the creator's turn, what comes next).
_POOL_NEXT = {
    PoolState.OPEN: (False, "Waiting for pledges until the deadline"),
    PoolState.FUNDED: (False, "Waiting: businesses complete their payments"),
    PoolState.DELIVERING: (True, "Deliver"),
    PoolState.DELIVERED: (False, "Waiting: businesses accept the delivery"),
    PoolState.FAILED: (False, "Did not reach its minimum: nobody was charged"),
    PoolState.SETTLED: (False, "Settled: see it in your earnings"),
    PoolState.CANCELLED: (False, "Cancelled: everyone charged was refunded"),
}


def _pool_state(pool: DemandPool) -> str:
    return f"Pool {pool.state.value}"


def _creator_pools(session: Session, user: User) -> list[Row]:
    rows = []
    for pool in session.scalars(
        select(DemandPool)
        .where(DemandPool.creator_id == user.id)
        .order_by(DemandPool.id.desc())
        .limit(LIMIT)
    ):
        counted = [p for p in pool.pledges if p.state in (PledgeState.ACTIVE, PledgeState.CHARGED)]
        mine, what = _POOL_NEXT[pool.state]
        url = url_for("pools.detail", pool_id=pool.id)
        charged = sum(p.amount_minor for p in pool.pledges if p.state is not PledgeState.REFUNDED)
        rows.append(
            Row(
                kind="pool",
                title=f"Pool: {pool.title}",
                url=url,
                other=f"{len(counted)} pledge{'' if len(counted) == 1 else 's'}",
                amount_minor=charged or (pool.tiers[0].price_minor if pool.tiers else 0),
                currency=pool.currency,
                state=_pool_state(pool),
                action=what,
                action_url=url_for("payments.earnings") if pool.state is PoolState.SETTLED else url,
                needs_me=mine,
                finished=pool.state in _POOL_DONE,
                at=pool.created_at,
            )
        )
    return rows


def _pledge_next(pledge: PoolPledge) -> tuple[bool, str, str]:
    """(the business's turn, what comes next, where) for a pledge."""
    pool, L = pledge.pool, PledgeState
    detail = url_for("pools.detail", pool_id=pool.id)
    if pledge.state is L.SAVING and pool.state is PoolState.OPEN:
        return True, "Save your card to count", url_for("pools.pledge", pool_id=pool.id)
    if pledge.state is L.ACTION_REQUIRED:
        return True, "Complete your payment", url_for("pools.complete", pledge_id=pledge.id)
    if pledge.state is L.CHARGED and pool.state is PoolState.DELIVERED:
        return True, "Accept the delivery", detail
    text = {
        L.ACTIVE: "Pledged: charged only if the pool succeeds",
        L.WITHDRAWN: "Withdrawn: nothing charged",
        L.CHARGED: "Paid, in escrow: waiting for the delivery",
        L.LAPSED: "Dropped out: payment not completed",
        L.REFUNDED: "Refunded",
        L.RELEASED: "Delivery accepted: paid to the creator",
        L.VOID: "Pool ended: nothing charged",
    }.get(pledge.state, "Card not saved: nothing charged")
    return False, text, detail


def _business_pledges(session: Session, user: User) -> list[Row]:
    rows = []
    for pledge in session.scalars(
        select(PoolPledge)
        .where(PoolPledge.business_id == user.id)
        .order_by(PoolPledge.id.desc())
        .limit(LIMIT)
    ):
        pool = pledge.pool
        mine, what, where = _pledge_next(pledge)
        ended = pool.state in _POOL_DONE or pool.state is PoolState.DELIVERED
        open_pledge = pledge.state in (PledgeState.ACTIVE, PledgeState.CHARGED)
        rows.append(
            Row(
                kind="pool",
                title=f"Pledge: {pool.title}",
                url=url_for("pools.detail", pool_id=pool.id),
                other=_name(pool.creator),
                amount_minor=pledge.amount_minor
                or pool.price_minor
                or (pool.tiers[0].price_minor if pool.tiers else 0),
                currency=pool.currency,
                state=f"Pledge {pledge.state.value.replace('_', ' ')}",
                action=what,
                action_url=where,
                needs_me=mine,
                finished=not mine
                and (
                    pledge.state
                    in (
                        PledgeState.LAPSED,
                        PledgeState.REFUNDED,
                        PledgeState.RELEASED,
                        PledgeState.VOID,
                    )
                    or (pledge.state is PledgeState.WITHDRAWN and pool.state is not PoolState.OPEN)
                    or (ended and not open_pledge)
                ),
                at=pledge.created_at,
            )
        )
    return rows


def _pools(session: Session, user: User) -> list[Row]:
    return _creator_pools(session, user) + _business_pledges(session, user)


def orders_for(session: Session, user: User, *, kind: str = "", show: str = "open") -> list[Row]:
    """The user's orders of ``kind`` (every kind when empty), filtered by ``show``
    (open, action, done, all), newest first."""
    readers = {
        "contract": _contracts,
        "campaign": _campaigns,
        "licence": _licences,
        "contest": _contests,
        "pool": _pools,
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
