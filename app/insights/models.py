"""Offer detail views, recorded for the creator's demand insights."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, IdMixin


class OfferView(IdMixin, Base):
    """One view of an offer's detail page by someone other than its creator (bots excluded)."""

    __tablename__ = "offer_views"
    __table_args__ = (Index("ix_offer_views_offer_viewed", "offer_id", "viewed_at"),)

    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    viewed_at: Mapped[datetime] = mapped_column(default=clock.now)
