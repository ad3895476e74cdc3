"""The double-blind review window of a contract, and the durable timer that closes it.

The window opens when the work of a milestone is first accepted (by the business, by silence,
or by a dispute's release: the money is released to the creator), or when the contract ends
without a release (every milestone paid out, refunded or cancelled, or the contract no longer
active); it closes ``WINDOW`` later. Each side may write one review while it is open. A review stays
hidden from the other side until both reviews are in (both are revealed at once) or the window
has closed.

Revealing at close is done two ways, on purpose: each review stores ``reveal_due_at`` and every
reader treats ``reveal_due_at <= now`` as revealed (a computed check: correct even if no worker
runs), and a durable job of kind ``REVEAL`` (app.jobs; handler in app/reviews/wiring.py) fires
to stamp ``revealed_at`` and recompute both parties' reputations, which only count revealed
reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.audit import AuditEvent
from app.contracts.models import Contract, ContractStatus
from app.payments.milestones import milestones_of
from app.payments.models import Milestone, MilestoneState
from app.reviews.models import Review

WINDOW = timedelta(days=14)
REVEAL = "reviews_reveal"
REVEAL_TIMER = jobs.Timer(REVEAL, "contract", "contract-{id}-reviews-reveal")
_ENDED = frozenset({MilestoneState.PAID_OUT, MilestoneState.REFUNDED, MilestoneState.CANCELLED})


@dataclass(frozen=True)
class Window:
    opened_at: datetime | None

    @property
    def closes_at(self) -> datetime | None:
        return None if self.opened_at is None else self.opened_at + WINDOW

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        return self.closes_at is not None and now < self.closes_at

    def is_closed(self, now: datetime | None = None) -> bool:
        now = now or clock.now()
        return self.closes_at is not None and now >= self.closes_at


def window_for(session: Session, contract: Contract) -> Window:
    """The contract's review window (``opened_at`` None: not open yet)."""
    milestones = milestones_of(session, contract.id)
    accepted = [
        m.released_at or m.paid_out_at
        for m in milestones
        if (m.released_at or m.paid_out_at) is not None
    ]
    if accepted:
        return Window(min(accepted))  # type: ignore[type-var]
    ended = contract.status is not ContractStatus.ACTIVE or (
        bool(milestones) and all(MilestoneState(m.state) in _ENDED for m in milestones)
    )
    if not ended:
        return Window(None)
    last_event = session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.subject_type == "milestone",
            AuditEvent.subject_id.in_(
                select(Milestone.id).where(Milestone.contract_id == contract.id)
            ),
        )
    )
    return Window(last_event or contract.updated_at)


def revealed_clause(now: datetime | None = None) -> ColumnElement[bool]:
    """SQL: the review is public (stamped, or its window has closed)."""
    return or_(Review.revealed_at.is_not(None), Review.reveal_due_at <= (now or clock.now()))


def is_revealed(review: Review, now: datetime | None = None) -> bool:
    return review.revealed_at is not None or review.reveal_due_at <= (now or clock.now())


def schedule_reveal(session: Session, contract: Contract, due_at: datetime) -> jobs.Job:
    """The durable timer that reveals the contract's reviews at ``due_at`` (one per contract)."""
    return REVEAL_TIMER.set(session, contract.id, due_at)


def reveal(session: Session, contract_id: int) -> int:
    """Stamp ``revealed_at`` on the contract's hidden reviews; returns how many."""
    now = clock.now()
    hidden = session.scalars(
        select(Review).where(Review.contract_id == contract_id, Review.revealed_at.is_(None))
    ).all()
    for review in hidden:
        review.revealed_at = now
    session.flush()
    return len(hidden)
