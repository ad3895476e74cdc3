"""Reviews and stored reputations.

A review belongs to one contract and one reviewer; the other party is the reviewee. The
``reviewee_side`` says in which role the reviewee is judged (a creator reviewed by the
business, or a business reviewed by the creator), so one account that is both gets two
reputations.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.contracts.models import Contract
from app.db import Base, BigId, EnumText, IdMixin


class Side(enum.StrEnum):
    CREATOR = "creator"
    BUSINESS = "business"


class Review(IdMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # One review per reviewer per contract; a second attempt is a 409, not a crash.
        UniqueConstraint("contract_id", "reviewer_id", name="uq_reviews_contract_reviewer"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("reviewer_id <> reviewee_id", name="distinct_parties"),
        Index("ix_reviews_reviewee", "reviewee_id", "reviewee_side"),
    )

    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    reviewee_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    reviewee_side: Mapped[Side] = mapped_column(EnumText(Side, 16))
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    # Private feedback goes to the platform only: never shown to the reviewee.
    private_feedback: Mapped[str] = mapped_column(Text, default="")
    would_work_again: Mapped[bool] = mapped_column(default=True)
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When the contract's review window closes (fixed when the window opened): from then on
    # the review is public whether or not the other side wrote one.
    reveal_due_at: Mapped[datetime]
    # Set when both reviews are in, or by the reveal timer when the window closes. Readers
    # also treat a closed window as revealed (see window.is_revealed), so a late worker
    # never keeps a review hidden.
    revealed_at: Mapped[datetime | None]

    contract: Mapped[Contract] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    reviewee: Mapped[User] = relationship(foreign_keys=[reviewee_id])


class Reputation(Base):
    """The last computed reputation of one user in one role (see reputation.py)."""

    __tablename__ = "reputations"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[Side] = mapped_column(EnumText(Side, 16), primary_key=True)
    score: Mapped[float]
    level: Mapped[str] = mapped_column(String(16))
    review_count: Mapped[int] = mapped_column(default=0)
    rating_average: Mapped[float | None]
    components: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=clock.now)
