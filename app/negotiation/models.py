"""Name-your-price negotiations on a published offer: rounds of offers and counter-offers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin
from app.offers.models import Offer


class NegotiationState(enum.StrEnum):
    OPEN = "open"  # the latest round waits for the other side
    ACCEPTED = "accepted"  # a round was accepted: ``contract_id`` is set
    DECLINED = "declined"
    EXPIRED = "expired"  # the latest round lapsed unanswered


class RoundStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"
    EXPIRED = "expired"


class Side(enum.StrEnum):
    BUSINESS = "business"
    CREATOR = "creator"


class Negotiation(IdMixin, TimestampMixin, Base):
    __tablename__ = "negotiations"

    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id"), index=True)
    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    state: Mapped[NegotiationState] = mapped_column(
        EnumText(NegotiationState, 16), default=NegotiationState.OPEN
    )
    contract_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("contracts.id"), unique=True)

    offer: Mapped[Offer] = relationship()
    rounds: Mapped[list[NegotiationRound]] = relationship(
        back_populates="negotiation", order_by="NegotiationRound.number"
    )


class NegotiationRound(IdMixin, Base):
    """One offer or counter-offer: price and terms proposed by one side, answered by the other."""

    __tablename__ = "negotiation_rounds"
    __table_args__ = (
        UniqueConstraint("negotiation_id", "number"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("delivery_days BETWEEN 1 AND 365", name="delivery_days_range"),
    )

    negotiation_id: Mapped[int] = mapped_column(BigId, ForeignKey("negotiations.id"), index=True)
    number: Mapped[int]
    side: Mapped[Side] = mapped_column(EnumText(Side, 16))
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    delivery_days: Mapped[int]
    terms: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RoundStatus] = mapped_column(
        EnumText(RoundStatus, 16), default=RoundStatus.PENDING
    )
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    negotiation: Mapped[Negotiation] = relationship(back_populates="rounds")
