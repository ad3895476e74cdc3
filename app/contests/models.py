"""Contests: a business funds a prize up front; creators enter; finalists, then a winner.

The prize sits in the ledger account ``escrow:contest:<id>`` (app.payments.ledger) from funding
until it is awarded (to the winner, or split by the timers) or refunded.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin
from app.settlement.models import Payout, PayoutState, payout_of


class ContestState(enum.StrEnum):
    DRAFT = "draft"  # created, prize not paid yet
    OPEN = "open"  # prize in escrow, taking entries until the deadline
    JUDGING = "judging"  # deadline passed; the business picks a winner
    AWARDED = "awarded"  # the business picked the winner
    SPLIT = "split"  # no pick in time: split among finalists (or all entrants)
    REFUNDED = "refunded"  # no entries, or a chargeback lost: the prize went back to the business
    DISPUTED = "disputed"  # the business's bank opened a chargeback: frozen until it decides
    CANCELLED = "cancelled"  # never funded


class Contest(IdMixin, TimestampMixin, Base):
    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint("prize_minor > 0", name="prize_positive"),
        CheckConstraint(
            "funded_minor >= 0 AND awarded_minor >= 0 AND refunded_minor >= 0", name="money"
        ),
    )

    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    prize_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    deadline: Mapped[datetime]
    judging_days: Mapped[int] = mapped_column(default=7)
    state: Mapped[ContestState] = mapped_column(
        EnumText(ContestState, 16), default=ContestState.DRAFT
    )
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(64))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    funded_minor: Mapped[int] = mapped_column(default=0)
    awarded_minor: Mapped[int] = mapped_column(default=0)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    funded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    business: Mapped[User] = relationship()
    entries: Mapped[list[ContestEntry]] = relationship(
        back_populates="contest", order_by="ContestEntry.id"
    )
    awards: Mapped[list[ContestAward]] = relationship(order_by="ContestAward.id")


class ContestEntry(IdMixin, Base):
    __tablename__ = "contest_entries"
    # One entry per creator: a split pays each creator one share.
    __table_args__ = (UniqueConstraint("contest_id", "creator_id"),)

    contest_id: Mapped[int] = mapped_column(BigId, ForeignKey("contests.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    is_finalist: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    contest: Mapped[Contest] = relationship(back_populates="entries")
    creator: Mapped[User] = relationship()


class AwardState(enum.StrEnum):
    """What the award shows its creator: its payout is still clearing, or was transferred."""

    RELEASED = "released"
    PAID_OUT = "paid_out"
    TAKEN_BACK = "taken_back"  # a chargeback was lost: cancelled before, or reversed after, payout


class ContestAward(IdMixin, Base):
    """The prize (or a share of it) released to one creator; its fee, hold and transfer are
    the payout's (app.settlement, subject "contest_award")."""

    __tablename__ = "contest_awards"
    __table_args__ = (
        UniqueConstraint("contest_id", "creator_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )
    __lock_parent__ = ("contest_id", "contests")

    contest_id: Mapped[int] = mapped_column(BigId, ForeignKey("contests.id"), index=True)
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("contest_entries.id"), unique=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    payout: Mapped[Payout] = payout_of("contest_award", "ContestAward")

    @property
    def fee_minor(self) -> int:
        return self.payout.fee_minor

    @property
    def clears_at(self) -> datetime:
        return self.payout.clears_at

    @property
    def stripe_transfer_id(self) -> str | None:
        return self.payout.stripe_transfer_id

    @property
    def state(self) -> AwardState:
        if self.payout.state in (PayoutState.CANCELLED, PayoutState.REVERSED):
            return AwardState.TAKEN_BACK
        paid = self.payout.state is PayoutState.PAID
        return AwardState.PAID_OUT if paid else AwardState.RELEASED
