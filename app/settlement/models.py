"""Payouts: what the platform owes a creator for one sale, and the Transfer that pays it."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin


class PayoutState(enum.StrEnum):
    SCHEDULED = "scheduled"  # released to the creator; transferred once cleared and payable
    PAID = "paid"  # a Stripe Transfer moved the net amount to the creator's account
    CANCELLED = "cancelled"  # taken back before the transfer (a refund after release)
    REVERSED = "reversed"  # the transfer was reversed (a refund after payout)
    FAILED = "failed"  # Stripe refused the transfer for good: needs a person


class Payout(IdMixin, Base):
    """One creator's share of one sale: a milestone, a licence royalty or a contest award.

    Created by ``settlement.settle`` when the money is released to the creator (with the fee
    and the clearance hold fixed from the creator's reputation at that moment), paid by
    ``settlement.pay_out``. ``subject_type``/``subject_id`` name the sale; ``transfer_key`` is
    the Stripe idempotency key of its Transfer and the ledger key of the transfer entry.
    """

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", name="uq_payouts_subject"),
        CheckConstraint("gross_minor > 0", name="gross_positive"),
        CheckConstraint("fee_minor >= 0 AND fee_minor < gross_minor", name="fee_range"),
        CheckConstraint("reversed_minor >= 0", name="reversed_nonneg"),
        Index("ix_payouts_creator_state", "creator_id", "state"),
    )

    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    gross_minor: Mapped[int]
    fee_minor: Mapped[int]
    fee_bp: Mapped[int]
    hold_hours: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    charge_id: Mapped[str | None] = mapped_column(String(64))
    transfer_group: Mapped[str] = mapped_column(String(64))
    transfer_key: Mapped[str] = mapped_column(String(120), unique=True)
    state: Mapped[PayoutState] = mapped_column(
        EnumText(PayoutState, 16), default=PayoutState.SCHEDULED
    )
    clears_at: Mapped[datetime]
    stripe_transfer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    destination: Mapped[str | None] = mapped_column(String(64))
    reversed_minor: Mapped[int] = mapped_column(default=0)
    blocked_reason: Mapped[str] = mapped_column(String(200), default="")
    # Bumped when a retry after Stripe's 24 h idempotency window needs a fresh key (only once
    # listing the transfers proved none was made with the old one): see settlement.retry.
    key_generation: Mapped[int] = mapped_column(default=0)
    attention_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    paid_at: Mapped[datetime | None]

    creator: Mapped[User] = relationship()

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.fee_minor


class ChargebackStatus(enum.StrEnum):
    OPEN = "open"  # the bank took the money back; evidence may be sent; the sale is frozen
    WON = "won"  # the bank gave the money back: the sale continues, the payout may go
    LOST = "lost"  # the money stays with the cardholder: the creator's share is taken back


class Chargeback(IdMixin, Base):
    """A Stripe dispute (chargeback) on the charge of one sale, of any payable kind.

    Created from ``charge.dispute.*`` events (app.settlement.chargebacks) after re-fetching
    the dispute from Stripe; ``withdrawn``/``closed_booked`` record which ledger entries are
    made, so every step is applied once however the events arrive.
    """

    __tablename__ = "chargebacks"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("fee_minor >= 0", name="fee_nonneg"),
        Index("ix_chargebacks_charge", "charge_id"),
    )

    stripe_dispute_id: Mapped[str] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    amount_minor: Mapped[int]
    fee_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[ChargebackStatus] = mapped_column(
        EnumText(ChargebackStatus, 16), default=ChargebackStatus.OPEN
    )
    stripe_status: Mapped[str] = mapped_column(String(32), default="needs_response")
    state_before: Mapped[str] = mapped_column(String(32), default="")
    evidence_text: Mapped[str] = mapped_column(String(5000), default="")
    evidence_sent_at: Mapped[datetime | None]
    withdrawn: Mapped[bool] = mapped_column(default=False)
    closed_booked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    closed_at: Mapped[datetime | None]


def payout_of(subject_type: str, owner: str) -> Any:
    """The read-only relationship from a payable (the class named ``owner``) to its Payout:
    the row with its ``subject_type`` and its id."""
    return relationship(
        primaryjoin=f"and_(Payout.subject_type == '{subject_type}',"
        f" foreign(Payout.subject_id) == {owner}.id)",
        viewonly=True,
        uselist=False,
    )
