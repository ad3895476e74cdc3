"""Offers: one table family, three kinds (service gig, stock media, influencer)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin


class OfferKind(enum.StrEnum):
    SERVICE = "service"
    STOCK_MEDIA = "stock_media"
    INFLUENCER = "influencer"


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    REMOVED = "removed"


class PackageTier(enum.StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class Platform(enum.StrEnum):
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    X = "x"
    LINKEDIN = "linkedin"
    TWITCH = "twitch"
    PINTEREST = "pinterest"


class DeliverableKind(enum.StrEnum):
    POST = "post"
    STORY = "story"
    VIDEO = "video"
    UGC_CLIP = "ugc_clip"
    REEL = "reel"
    LIVE = "live"


CATEGORIES: tuple[str, ...] = (
    "Design & Creative",
    "Writing & Translation",
    "Video & Animation",
    "Music & Audio",
    "Photography",
    "Programming & Tech",
    "Data & AI",
    "Marketing & Social Media",
    "Business & Finance",
    "Education & Training",
    "Lifestyle & Wellness",
    "Engineering & Architecture",
    "Other",
)


class Offer(IdMixin, TimestampMixin, Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(
            "price_from_minor IS NULL OR price_from_minor > 0", name="price_from_positive"
        ),
        Index("ix_offers_status_kind", "status", "kind"),
    )

    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    kind: Mapped[OfferKind] = mapped_column(EnumText(OfferKind, 16))
    status: Mapped[OfferStatus] = mapped_column(
        EnumText(OfferStatus, 16), default=OfferStatus.DRAFT
    )
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(default=list)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Denormalised from the kind's prices/durations on every save, so the catalog can filter
    # and sort in SQL; the services keep them in step (see offers.services._refresh_summary).
    price_from_minor: Mapped[int | None]
    delivery_days_min: Mapped[int | None]
    published_at: Mapped[datetime | None]
    # Set by a moderator (app.moderation): a hidden offer is unlisted everywhere.
    hidden_at: Mapped[datetime | None]

    creator: Mapped[User] = relationship()
    packages: Mapped[list[ServicePackage]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="ServicePackage.position"
    )
    stock: Mapped[StockMediaTerms | None] = relationship(
        back_populates="offer", cascade="all, delete-orphan", uselist=False
    )
    influencer: Mapped[InfluencerChannel | None] = relationship(
        back_populates="offer", cascade="all, delete-orphan", uselist=False
    )
    deliverables: Mapped[list[InfluencerDeliverable]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="InfluencerDeliverable.id"
    )


class ServicePackage(IdMixin, Base):
    __tablename__ = "service_packages"
    __table_args__ = (
        UniqueConstraint("offer_id", "tier"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("delivery_days BETWEEN 1 AND 365", name="delivery_days_range"),
        CheckConstraint("revisions BETWEEN 0 AND 20", name="revisions_range"),
    )

    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    tier: Mapped[PackageTier] = mapped_column(EnumText(PackageTier, 16))
    position: Mapped[int] = mapped_column(default=0)
    price_minor: Mapped[int]
    delivery_days: Mapped[int]
    revisions: Mapped[int] = mapped_column(default=1)
    includes: Mapped[str] = mapped_column(Text, default="")

    offer: Mapped[Offer] = relationship(back_populates="packages")


class StockMediaTerms(Base):
    __tablename__ = "stock_media_terms"
    __table_args__ = (
        CheckConstraint("standard_license_minor > 0", name="standard_positive"),
        CheckConstraint(
            "enhanced_license_minor >= standard_license_minor", name="enhanced_not_below_standard"
        ),
    )

    offer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    standard_license_minor: Mapped[int]
    enhanced_license_minor: Mapped[int]

    offer: Mapped[Offer] = relationship(back_populates="stock")


class InfluencerChannel(Base):
    __tablename__ = "influencer_channels"
    __table_args__ = (
        CheckConstraint("audience_size >= 0", name="audience_nonnegative"),
        CheckConstraint("engagement_rate_bp BETWEEN 0 AND 10000", name="engagement_range"),
    )

    offer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    handle: Mapped[str] = mapped_column(String(64))
    audience_size: Mapped[int] = mapped_column(BigId)
    # Engagement rate in basis points (345 = 3.45%), an integer like money.
    engagement_rate_bp: Mapped[int]
    audience_topics: Mapped[list[str]] = mapped_column(default=list)
    audience_regions: Mapped[list[str]] = mapped_column(default=list)

    offer: Mapped[Offer] = relationship(back_populates="influencer")


class InfluencerDeliverable(IdMixin, Base):
    __tablename__ = "influencer_deliverables"
    __table_args__ = (
        UniqueConstraint("offer_id", "kind"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("delivery_days BETWEEN 1 AND 365", name="delivery_days_range"),
    )

    offer_id: Mapped[int] = mapped_column(BigId, ForeignKey("offers.id", ondelete="CASCADE"))
    kind: Mapped[DeliverableKind] = mapped_column(EnumText(DeliverableKind, 16))
    price_minor: Mapped[int]
    delivery_days: Mapped[int] = mapped_column(default=7)
    description: Mapped[str] = mapped_column(Text, default="")

    offer: Mapped[Offer] = relationship(back_populates="deliverables")
