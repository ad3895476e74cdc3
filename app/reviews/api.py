"""JSON API for reviews and reputation (registered on the shared /api/v1 blueprint)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import url_for
from pydantic import Field

from app.accounts.models import User
from app.api import api_user, bp
from app.api.schema import AUTH_PUBLIC, In, Int, Out, Text, operation
from app.db import MAX_ID
from app.errors import NotFound
from app.extensions import db
from app.reviews import services
from app.reviews.formula import LEVELS, NEW
from app.reviews.models import Reputation, Review, Side
from app.reviews.services import PRIVATE_LENGTH, TEXT_LENGTH
from app.reviews.window import is_revealed


class ReviewCreate(In):
    rating: Annotated[Int, Field(ge=1, le=5)]
    text: Annotated[Text, Field(min_length=TEXT_LENGTH[0], max_length=TEXT_LENGTH[1])]
    private_feedback: Annotated[Text, Field(max_length=PRIVATE_LENGTH)] = ""
    would_work_again: Annotated[bool, Field(strict=True)] = True


class ReviewOut(Out):
    """A review; ``private_feedback`` and ``would_work_again`` only on the caller's own
    (null on the other party's)."""

    id: int
    contract_id: int
    reviewer_id: int
    reviewee_id: int
    reviewee_side: Literal["creator", "business"]
    rating: int = Field(ge=1, le=5)
    text: str
    submitted_at: datetime
    private_feedback: str | None
    would_work_again: bool | None


class ContractReviews(Out):
    contract_id: int
    window_opened_at: datetime | None
    window_closes_at: datetime | None
    can_review: bool
    other_review_pending: bool
    items: list[ReviewOut]


ReputationLevel = Literal[tuple(level.name for level in (*LEVELS, NEW))]


class ReputationOut(Out):
    score: float = Field(ge=0, le=1)
    level: ReputationLevel
    review_count: int = Field(ge=0)
    rating_average: float | None = Field(ge=1, le=5)
    components: dict[str, float]
    computed_at: datetime


class UserReputation(Out):
    user_id: int
    creator: ReputationOut | None
    business: ReputationOut | None


def _review(review: Review, *, own: bool) -> ReviewOut:
    return ReviewOut(
        **services.public_json(review),
        private_feedback=review.private_feedback if own else None,
        would_work_again=review.would_work_again if own else None,
    )


NOT_PARTY = {404: "No such contract, or not one of the caller's contracts"}


@bp.get("/contracts/<int:contract_id>/reviews")
@operation(tag="reviews", ok=ContractReviews, problems=NOT_PARTY)
def list_contract_reviews(contract_id: int) -> ContractReviews:
    """Reviews of one of your contracts: yours, and theirs once revealed"""
    user = api_user()
    session = db.session()
    contract = services.contract_for(session, contract_id, user)
    state = services.contract_reviews(session, contract, user)
    items = []
    if state.mine is not None:
        items.append(_review(state.mine, own=True))
    if state.theirs is not None and is_revealed(state.theirs):
        items.append(_review(state.theirs, own=False))
    return ContractReviews(
        contract_id=contract.id,
        window_opened_at=state.window.opened_at,
        window_closes_at=state.window.closes_at,
        can_review=state.can_write,
        other_review_pending=state.theirs is not None and not state.theirs_visible,
        items=items,
    )


@bp.post("/contracts/<int:contract_id>/reviews")
@operation(
    tag="reviews",
    body=ReviewCreate,
    created=ReviewOut,
    problems={**NOT_PARTY, 409: "Already reviewed, or the review window is not open"},
)
def create_contract_review(contract_id: int, body: ReviewCreate) -> tuple[Any, int, dict]:
    """Review the other party of your contract (once, while the window is open)"""
    user = api_user()
    session = db.session()
    contract = services.contract_for(session, contract_id, user)
    data = services.ReviewInput(**body.model_dump())
    services.validate(data)
    review = services.submit_review(session, contract, user, data)
    location = url_for("api.list_contract_reviews", contract_id=contract.id)
    return _review(review, own=True), 201, {"Location": location}


def _reputation(row: Reputation | None) -> ReputationOut | None:
    return None if row is None else ReputationOut.model_validate(row)


@bp.get("/users/<int:user_id>/reputation")
@operation(tag="reviews", ok=UserReputation, role=AUTH_PUBLIC, problems={404: "No such user"})
def get_user_reputation(user_id: int) -> UserReputation:
    """A user's reputation as a creator and as a business (public)"""
    session = db.session()
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not user.is_active or not (user.is_creator or user.is_business):
        raise NotFound("No such user.")
    creator = session.get(Reputation, (user.id, Side.CREATOR)) if user.is_creator else None
    business = session.get(Reputation, (user.id, Side.BUSINESS)) if user.is_business else None
    return UserReputation(
        user_id=user.id, creator=_reputation(creator), business=_reputation(business)
    )
