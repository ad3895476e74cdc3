"""Contracts: the agreement a hire creates, from an accepted proposal or an ordered package.

Milestones and the money that moves through them belong to the payments domain.
"""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin


class ContractStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Contract(IdMixin, TimestampMixin, Base):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("total_minor > 0", name="total_positive"),
        CheckConstraint("business_id <> creator_id", name="distinct_parties"),
        CheckConstraint("proposal_id IS NOT NULL OR offer_id IS NOT NULL", name="has_origin"),
    )

    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    brief_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("briefs.id"))
    proposal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("proposals.id"), unique=True)
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offers.id"))
    package_tier: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(120))
    scope: Mapped[str] = mapped_column(Text, default="")
    total_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    delivery_days: Mapped[int]
    status: Mapped[ContractStatus] = mapped_column(
        EnumText(ContractStatus, 16), default=ContractStatus.ACTIVE
    )

    business: Mapped[User] = relationship(foreign_keys=[business_id])
    creator: Mapped[User] = relationship(foreign_keys=[creator_id])
