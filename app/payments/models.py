"""Payments tables: milestones and their transitions, the ledger, Stripe records, timers.

Amounts are integer minor units with an ISO currency next to them. Postings are append-only
(PostgreSQL triggers from migration 0002 refuse UPDATE/DELETE and unbalanced entries).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.contracts.models import Contract
from app.db import Base, BigId, IdMixin, TimestampMixin


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

    @property
    def net_minor(self) -> int:
        """What the creator receives once released (amount minus the platform fee)."""
        return self.released_minor - self.fee_minor


class MilestoneEvent(IdMixin, Base):
    """Audit row of one milestone transition (who, what, from which state to which)."""

    __tablename__ = "milestone_events"

    milestone_id: Mapped[int] = mapped_column(BigId, ForeignKey("milestones.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


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

    @property
    def ready(self) -> bool:
        return self.transfers_active and self.payouts_enabled


class PayoutTransfer(IdMixin, Base):
    """A Stripe Transfer paying out one milestone (at most one per milestone)."""

    __tablename__ = "payout_transfers"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    milestone_id: Mapped[int] = mapped_column(BigId, ForeignKey("milestones.id"), unique=True)
    stripe_transfer_id: Mapped[str] = mapped_column(String(64), unique=True)
    destination: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    reversed_minor: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


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


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Job(IdMixin, Base):
    """A durable timer: run ``kind`` for ``milestone_id`` once ``due_at`` has passed.

    Timers about something other than a milestone (a contest, a negotiation round) leave
    ``milestone_id`` NULL and name their object in ``subject_id``; the kind says its type.
    """

    __tablename__ = "payment_jobs"
    __table_args__ = (Index("ix_payment_jobs_status_due", "status", "due_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    milestone_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("milestones.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(BigId)
    # One live job per purpose, e.g. "milestone-7-transfer".
    key: Mapped[str] = mapped_column(String(120), unique=True)
    due_at: Mapped[datetime]
    status: Mapped[JobStatus] = mapped_column(String(16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]
