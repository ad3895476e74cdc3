"""Builders for reviews tests: contracts whose milestone history is written directly (fast),
for reputation cases that need dozens of contracts; the Stripe flow is used where payouts
themselves are under test (tests/moderation)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.audit import AuditEvent
from app.contracts.models import Contract
from app.payments.models import Milestone, MilestoneState
from app.reviews.models import Review, Side
from tests.payments.helpers import first_milestone, make_contract

S = MilestoneState


def settle(
    session: Session,
    contract: Contract,
    *,
    at: datetime | None = None,
    path: tuple[str, ...] = ("fund", "deliver", "accept", "pay_out"),
    due: date | None = None,
    late: bool = False,
) -> Milestone:
    """Write the milestone's transition history as if it happened at ``at`` (default: now)."""
    at = at or clock.now()
    milestone = first_milestone(session, contract)
    if due is not None:
        milestone.due_date = due
    elif milestone.due_date is not None:
        milestone.due_date = (at + timedelta(days=-1 if late else 5)).date()
    state = S.PENDING
    targets = {
        "fund": S.FUNDED,
        "deliver": S.DELIVERED,
        "accept": S.RELEASED,
        "auto_accept": S.RELEASED,
        "pay_out": S.PAID_OUT,
        "dispute": S.DISPUTED,
        "refund": S.REFUNDED,
        "resolve_release": S.RELEASED,
        "cancel": S.CANCELLED,
    }
    for i, action in enumerate(path):
        target = targets[action]
        session.add(
            AuditEvent(
                subject_type="milestone",
                subject_id=milestone.id,
                action=f"milestone.{action}",
                from_state=state.value,
                to_state=target.value,
                created_at=at + timedelta(minutes=i),
            )
        )
        state = target
    milestone.state = state
    if state is S.PAID_OUT:
        milestone.paid_out_at = at + timedelta(minutes=len(path))
    session.flush()
    return milestone


def paid_contract(
    session: Session, *, creator: User | None = None, business: User | None = None, **kw: object
) -> Contract:
    contract = make_contract(session, creator=creator, business=business)
    settle(session, contract, **kw)  # type: ignore[arg-type]
    return contract


def add_review(
    session: Session,
    contract: Contract,
    *,
    by_business: bool = True,
    rating: int = 5,
    at: datetime | None = None,
    would_work_again: bool = True,
) -> Review:
    """A revealed review written directly (for reputation arithmetic over many contracts)."""
    at = at or clock.now()
    review = Review(
        contract_id=contract.id,
        reviewer_id=contract.business_id if by_business else contract.creator_id,
        reviewee_id=contract.creator_id if by_business else contract.business_id,
        reviewee_side=Side.CREATOR if by_business else Side.BUSINESS,
        rating=rating,
        text="Review text for the test.",
        would_work_again=would_work_again,
        submitted_at=at,
        reveal_due_at=at,
        revealed_at=at,
    )
    session.add(review)
    session.flush()
    return review
