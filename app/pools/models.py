"""Demand pools, their price tiers and the businesses' pledges.

Money of a pledge sits in the ledger account ``escrow:pool_pledge:<id>`` from its off-session
charge until its delivery is accepted (released through app.settlement) or it is refunded.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin


class PoolState(enum.StrEnum):
    OPEN = "open"  # taking pledges until the deadline
    FUNDED = "funded"  # closed with the minimum met; charged; failed charges in their grace
    FAILED = "failed"  # minimum not met (at close, or after dropouts): nobody keeps a charge
    DELIVERING = "delivering"  # charges final (price fixed); the creator makes the deliverable
    DELIVERED = "delivered"  # delivered; each pledger accepts (or the window does)
    SETTLED = "settled"  # every charged pledge released to the creator
    CANCELLED = "cancelled"  # the creator cancelled: everyone charged was refunded


class PledgeState(enum.StrEnum):
    SAVING = "saving"  # SetupIntent made; the card is not saved yet
    ACTIVE = "active"  # card saved (3-D Secure done at pledge time); counts towards the tiers
    WITHDRAWN = "withdrawn"  # the business withdrew before close
    ACTION_REQUIRED = "action_required"  # off-session charge needs authentication / declined
    CHARGED = "charged"  # charged, in escrow
    LAPSED = "lapsed"  # not completed within the grace period: dropped out
    REFUNDED = "refunded"  # charged, then given back (pool failed or cancelled)
    RELEASED = "released"  # delivery accepted: released to the creator (app.settlement)
    VOID = "void"  # never charged: the pool failed or was cancelled


class DemandPool(IdMixin, TimestampMixin, Base):
    __tablename__ = "demand_pools"
    __table_args__ = (
        CheckConstraint("min_pledges >= 1", name="min_pledges_positive"),
        CheckConstraint("min_total_minor IS NULL OR min_total_minor > 0", name="min_total"),
    )

    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    delivery_promise: Mapped[str] = mapped_column(Text, default="")
    delivery_days: Mapped[int] = mapped_column(default=14)
    currency: Mapped[str] = mapped_column(String(3))
    deadline: Mapped[datetime]
    min_pledges: Mapped[int] = mapped_column(default=1)
    min_total_minor: Mapped[int | None]
    state: Mapped[PoolState] = mapped_column(EnumText(PoolState, 16), default=PoolState.OPEN)
    # The demand-signal cluster the pool was started from (app.insights), if any.
    source_cluster: Mapped[str | None] = mapped_column(String(64), index=True)
    price_minor: Mapped[int | None]  # the tier price charged at close
    closed_at: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    delivery_note: Mapped[str] = mapped_column(Text, default="")
    accept_due_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]

    creator: Mapped[User] = relationship()
    tiers: Mapped[list[PoolTier]] = relationship(
        back_populates="pool", order_by="PoolTier.min_pledges", cascade="all, delete-orphan"
    )
    pledges: Mapped[list[PoolPledge]] = relationship(
        back_populates="pool", order_by="PoolPledge.id"
    )


class PoolTier(IdMixin, Base):
    """``price_minor`` per pledger once ``min_pledges`` pledges are in."""

    __tablename__ = "pool_tiers"
    __table_args__ = (
        UniqueConstraint("pool_id", "min_pledges"),
        CheckConstraint("min_pledges >= 1 AND price_minor > 0", name="tier_positive"),
    )

    pool_id: Mapped[int] = mapped_column(BigId, ForeignKey("demand_pools.id"), index=True)
    min_pledges: Mapped[int]
    price_minor: Mapped[int]

    pool: Mapped[DemandPool] = relationship(back_populates="tiers")


class PoolPledge(IdMixin, TimestampMixin, Base):
    __tablename__ = "pool_pledges"
    __table_args__ = (
        UniqueConstraint("pool_id", "business_id"),
        CheckConstraint("amount_minor >= 0 AND refunded_minor >= 0", name="pledge_money"),
    )
    # Lock order (app.workflow): pool -> pledge -> payout.
    __lock_parent__ = ("pool_id", "demand_pools")

    pool_id: Mapped[int] = mapped_column(BigId, ForeignKey("demand_pools.id"), index=True)
    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    state: Mapped[PledgeState] = mapped_column(
        EnumText(PledgeState, 16), default=PledgeState.SAVING
    )
    customer_id: Mapped[str | None] = mapped_column(String(64))
    setup_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(64))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(default=0)  # charged (in escrow, then released)
    refunded_minor: Mapped[int] = mapped_column(default=0)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(String(300), default="")
    charged_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]

    pool: Mapped[DemandPool] = relationship(back_populates="pledges")
    business: Mapped[User] = relationship()
