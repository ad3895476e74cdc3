"""Writing and reading reviews (double-blind; see window.py for when they become public)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit, clock, events
from app.accounts.models import User
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import Conflict, NotFound, ValidationFailed
from app.reviews import reputation
from app.reviews.models import Review, Side
from app.reviews.window import Window, is_revealed, revealed_clause, schedule_reveal, window_for

TEXT_LENGTH = (10, 2000)
PRIVATE_LENGTH = 2000


class AlreadyReviewed(Conflict):
    code = "already_reviewed"


class WindowNotOpen(Conflict):
    code = "review_window_closed"


@dataclass(frozen=True)
class ReviewInput:
    rating: int
    text: str
    private_feedback: str = ""
    would_work_again: bool = True


def contract_for(session: Session, contract_id: int, user: User) -> Contract:
    """The contract if ``user`` is one of its parties. Raises NotFound otherwise."""
    contract = session.get(Contract, contract_id) if 0 < contract_id <= MAX_ID else None
    if contract is None or user.id not in (contract.business_id, contract.creator_id):
        raise NotFound("No such contract.")
    return contract


def reviewee_of(contract: Contract, reviewer: User) -> tuple[int, Side]:
    if reviewer.id == contract.business_id:
        return contract.creator_id, Side.CREATOR
    return contract.business_id, Side.BUSINESS


def validate(data: ReviewInput) -> None:
    errors: dict[str, list[str]] = {}
    if (
        isinstance(data.rating, bool)
        or not isinstance(data.rating, int)
        or not 1 <= data.rating <= 5
    ):
        errors["rating"] = ["Give 1 to 5 stars."]
    low, high = TEXT_LENGTH
    if not low <= len(data.text.strip()) <= high:
        errors["text"] = [f"Write between {low} and {high} characters."]
    if len(data.private_feedback) > PRIVATE_LENGTH:
        errors["private_feedback"] = [f"Keep it under {PRIVATE_LENGTH} characters."]
    if "\x00" in data.text or "\x00" in data.private_feedback:
        errors.setdefault("text", []).append("Text cannot contain NUL characters.")
    if errors:
        raise ValidationFailed(errors)


def _lock_contract(session: Session, contract_id: int) -> Contract:
    # Serialises the two sides' submissions, so "both are in" is never missed.
    return session.scalars(
        select(Contract).where(Contract.id == contract_id).with_for_update()
    ).one()


def submit_review(
    session: Session, contract: Contract, reviewer: User, data: ReviewInput
) -> Review:
    """Write ``reviewer``'s review of the other party.

    Raises NotFound (not a party), ValidationFailed, WindowNotOpen (not reviewable yet, or
    the 14-day window has closed), AlreadyReviewed (409). Reveals both reviews when this is the
    second one, otherwise schedules the reveal timer; recomputes both reputations.
    """
    if reviewer.id not in (contract.business_id, contract.creator_id):
        raise NotFound("No such contract.")
    validate(data)
    contract = _lock_contract(session, contract.id)
    window = window_for(session, contract)
    if window.closes_at is None:
        raise WindowNotOpen("Reviews open once the work is accepted or the contract ends.")
    if not window.is_open():
        raise WindowNotOpen("The review window for this contract has closed.")
    if _find(session, contract.id, reviewer.id) is not None:
        raise AlreadyReviewed("You have already reviewed this contract.")
    reviewee_id, side = reviewee_of(contract, reviewer)
    review = Review(
        contract_id=contract.id,
        reviewer_id=reviewer.id,
        reviewee_id=reviewee_id,
        reviewee_side=side,
        rating=data.rating,
        text=data.text.strip(),
        private_feedback=data.private_feedback.strip(),
        would_work_again=data.would_work_again,
        submitted_at=clock.now(),
        reveal_due_at=window.closes_at,
    )
    try:
        with session.begin_nested():
            session.add(review)
    except IntegrityError as exc:  # a concurrent duplicate: the unique constraint decides
        raise AlreadyReviewed("You have already reviewed this contract.") from exc
    count = session.scalar(
        select(func.count()).select_from(Review).where(Review.contract_id == contract.id)
    )
    if count == 2:
        now = clock.now()
        for each in session.scalars(select(Review).where(Review.contract_id == contract.id)):
            each.revealed_at = each.revealed_at or now
    else:
        schedule_reveal(session, contract, window.closes_at)
    audit.record(
        session,
        "review.submitted",
        ("contract", contract.id),
        actor_id=reviewer.id,
        review_id=review.id,
        rating=data.rating,
    )
    events.publish(session, "review.submitted", review, actor_id=reviewer.id)
    session.flush()
    reputation.recompute_parties(session, contract)
    return review


def _find(session: Session, contract_id: int, reviewer_id: int) -> Review | None:
    return session.scalar(
        select(Review).where(Review.contract_id == contract_id, Review.reviewer_id == reviewer_id)
    )


@dataclass(frozen=True)
class ContractReviews:
    """What one party sees of a contract's reviews."""

    window: Window
    mine: Review | None
    theirs: Review | None  # None when not written yet
    theirs_visible: bool

    @property
    def can_write(self) -> bool:
        return self.mine is None and self.window.is_open()


def contract_reviews(session: Session, contract: Contract, viewer: User) -> ContractReviews:
    mine = _find(session, contract.id, viewer.id)
    other_id = contract.creator_id if viewer.id == contract.business_id else contract.business_id
    theirs = _find(session, contract.id, other_id)
    return ContractReviews(
        window=window_for(session, contract),
        mine=mine,
        theirs=theirs,
        theirs_visible=theirs is not None and is_revealed(theirs),
    )


def received_reviews(
    session: Session, user_id: int, side: Side, *, limit: int = 50
) -> list[Review]:
    """Public reviews ``user_id`` received as ``side``, newest first."""
    return list(
        session.scalars(
            select(Review)
            .where(Review.reviewee_id == user_id, Review.reviewee_side == side, revealed_clause())
            .order_by(Review.submitted_at.desc(), Review.id.desc())
            .limit(limit)
        )
    )


def public_json(review: Review) -> dict[str, Any]:
    return {
        "id": review.id,
        "contract_id": review.contract_id,
        "reviewer_id": review.reviewer_id,
        "reviewee_id": review.reviewee_id,
        "reviewee_side": review.reviewee_side.value,
        "rating": review.rating,
        "text": review.text,
        "submitted_at": review.submitted_at.isoformat(),
    }
