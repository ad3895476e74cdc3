"""Payments tables: milestones, the ledger, Stripe records, connected accounts, refunds.

Amounts are integer minor units with an ISO currency next to them. Postings are append-only
(PostgreSQL triggers from migration 0002 refuse UPDATE/DELETE and unbalanced entries).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.contracts.models import Contract
from app.db import Base, BigId, IdMixin, JsonType, TimestampMixin


class MilestoneState(enum.StrEnum):
    PENDING = "pending"
    FUNDED = "funded"
    DELIVERED = "delivered"
    CHANGES_REQUESTED = "changes_requested"
    RELEASED = "released"
    PAID_OUT = "paid_out"
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


class Milestone(IdMixin, TimestampMixin, Base):
    __tablename__ = "milestones"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("revisions_used >= 0 AND revisions_used <= max_revisions", name="revs"),
        CheckConstraint("funded_minor >= 0 AND released_minor >= 0", name="money_nonneg"),
        CheckConstraint("refunded_minor >= 0", name="refunded_nonneg"),
        UniqueConstraint("contract_id", "position", name="uq_milestones_contract_position"),
    )

    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    due_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[MilestoneState] = mapped_column(String(24), default=MilestoneState.PENDING)
    revisions_used: Mapped[int] = mapped_column(default=0)
    max_revisions: Mapped[int] = mapped_column(default=3)
    # Stripe references (platform account).
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(64))
    # Denormalised money facts, kept in the same transaction as the ledger entries and
    # cross-checked by `flask ledger-check`.
    funded_minor: Mapped[int] = mapped_column(default=0)
    released_minor: Mapped[int] = mapped_column(default=0)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    fee_minor: Mapped[int] = mapped_column(default=0)
    fee_bp: Mapped[int | None]  # fee rate fixed at release, in basis points
    hold_hours: Mapped[int | None]  # clearance hold fixed at release
    delivery_message: Mapped[str] = mapped_column(Text, default="")
    delivery_files: Mapped[list[str]] = mapped_column(default=list)
    funded_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    review_due_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]
    clears_at: Mapped[datetime | None]
    paid_out_at: Mapped[datetime | None]

    contract: Mapped[Contract] = relationship()

    # Lock order (app.workflow): a milestone is locked after its contract.
    __lock_parent__ = ("contract_id", "contracts")

    @property
    def net_minor(self) -> int:
        """What the creator receives once released (amount minus the platform fee)."""
        return self.released_minor - self.fee_minor


class JournalEntry(IdMixin, Base):
    """One balanced money movement; ``key`` is unique so a movement is booked at most once."""

    __tablename__ = "journal_entries"

    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    milestone_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("milestones.id"), index=True)
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    postings: Mapped[list[Posting]] = relationship(back_populates="entry")


class Posting(IdMixin, Base):
    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_nonzero"),
        Index("ix_postings_account_currency", "account", "currency"),
    )

    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")


class StripeEvent(Base):
    """Each Stripe event id is stored once: a second delivery is a no-op."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=clock.now)
    outcome: Mapped[str] = mapped_column(String(200), default="")


class ConnectedAccount(TimestampMixin, Base):
    """A creator's Stripe Connect (Express) account and its payout readiness."""

    __tablename__ = "connected_accounts"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    stripe_account_id: Mapped[str] = mapped_column(String(64), unique=True)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    transfers_active: Mapped[bool] = mapped_column(default=False)
    # Stripe's account.requirements, refreshed on every account.updated (shown on onboarding).
    currently_due: Mapped[list[str]] = mapped_column(JsonType, default=list)
    past_due: Mapped[list[str]] = mapped_column(JsonType, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(String(64))

    @property
    def ready(self) -> bool:
        return self.transfers_active and self.payouts_enabled


class PaymentRefund(IdMixin, Base):
    """A Stripe Refund of a milestone's charge (plus the reversal if it was paid out)."""

    __tablename__ = "payment_refunds"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    milestone_id: Mapped[int] = mapped_column(BigId, ForeignKey("milestones.id"), index=True)
    stripe_refund_id: Mapped[str] = mapped_column(String(64), unique=True)
    stripe_reversal_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
