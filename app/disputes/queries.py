"""Read-only views of disputes: a party's list, the moderators' queue, party history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app import clock
from app.contracts.models import Contract
from app.disputes.models import ACTIVE_STATES, Dispute
from app.disputes.models import DisputeState as D

QUEUE_FILTERS = ("waiting", "overdue", "awaiting_response", "all", "closed")


def _mine(user_id: int) -> Select[Dispute]:
    return (
        select(Dispute)
        .join(Contract, Contract.id == Dispute.contract_id)
        .where(or_(Contract.business_id == user_id, Contract.creator_id == user_id))
    )


def disputes_of(
    session: Session, user_id: int, *, page: int = 1, per_page: int = 50
) -> tuple[list[Dispute], int]:
    """The disputes on the user's contracts (as either party), newest first, and the total."""
    total = session.scalar(select(func.count()).select_from(_mine(user_id).subquery())) or 0
    items = session.scalars(
        _mine(user_id).order_by(Dispute.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return list(items), total


def queue(session: Session, which: str = "waiting", *, limit: int = 200) -> list[Dispute]:
    """The moderators' queue.

    waiting: under review (a moderator's turn), oldest deadline first; overdue: under review
    past the moderator SLA; awaiting_response: still in the other party's window; all: every
    active dispute; closed: resolved, settled or withdrawn, newest first.
    """
    stmt = select(Dispute)
    if which == "overdue":
        stmt = stmt.where(Dispute.state == D.UNDER_REVIEW, Dispute.review_due_at <= clock.now())
    elif which == "awaiting_response":
        stmt = stmt.where(Dispute.state == D.AWAITING_RESPONSE)
    elif which == "all":
        stmt = stmt.where(Dispute.state.in_([s.value for s in ACTIVE_STATES]))
    elif which == "closed":
        closed = [s.value for s in D if s not in ACTIVE_STATES]
        return list(
            session.scalars(
                stmt.where(Dispute.state.in_(closed)).order_by(Dispute.id.desc()).limit(limit)
            )
        )
    else:
        stmt = stmt.where(Dispute.state == D.UNDER_REVIEW)
    return list(session.scalars(stmt.order_by(Dispute.review_due_at, Dispute.id).limit(limit)))


@dataclass(frozen=True)
class PartyHistory:
    user_id: int
    contracts: int
    disputes: int
    disputes_opened: int
    lost: int


def party_history(session: Session, user_id: int) -> PartyHistory:
    """How often this person contracted and disputed (for the moderator's judgement)."""
    contracts = (
        session.scalar(
            select(func.count())
            .select_from(Contract)
            .where(or_(Contract.business_id == user_id, Contract.creator_id == user_id))
        )
        or 0
    )
    disputes = session.scalar(select(func.count()).select_from(_mine(user_id).subquery())) or 0
    opened = (
        session.scalar(
            select(func.count()).select_from(Dispute).where(Dispute.opened_by_id == user_id)
        )
        or 0
    )
    # Lost: a business whose dispute was released to the creator, or a creator refunded.
    lost = (
        session.scalar(
            select(func.count())
            .select_from(Dispute)
            .join(Contract, Contract.id == Dispute.contract_id)
            .where(
                or_(
                    (Contract.business_id == user_id) & (Dispute.state == D.RESOLVED_RELEASE),
                    (Contract.creator_id == user_id) & (Dispute.state == D.RESOLVED_REFUND),
                )
            )
        )
        or 0
    )
    return PartyHistory(user_id, contracts, disputes, opened, lost)


def open_count(session: Session) -> int:
    """Disputes waiting for a moderator (for the nav)."""
    return (
        session.scalar(
            select(func.count()).select_from(Dispute).where(Dispute.state == D.UNDER_REVIEW)
        )
        or 0
    )
