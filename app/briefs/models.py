"""Briefs posted by businesses, invitations to creators, and creators' proposals."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin


class BriefStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    INVITE_ONLY = "invite_only"


class ProposalStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class Brief(IdMixin, TimestampMixin, Base):
    __tablename__ = "briefs"
    __table_args__ = (
        CheckConstraint("budget_min_minor > 0", name="budget_min_positive"),
        CheckConstraint("budget_max_minor >= budget_min_minor", name="budget_range"),
        Index("ix_briefs_status_visibility", "status", "visibility"),
        CheckConstraint(
            "audience_max_followers IS NULL OR audience_min_followers IS NULL "
            "OR audience_max_followers >= audience_min_followers",
            name="audience_range",
        ),
        CheckConstraint(
            "audience_min_engagement_bp IS NULL OR audience_min_engagement_bp BETWEEN 0 AND 10000",
            name="audience_engagement_range",
        ),
    )

    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    skills: Mapped[list[str]] = mapped_column(default=list)
    offer_kinds: Mapped[list[str]] = mapped_column(default=list)
    budget_min_minor: Mapped[int]
    budget_max_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    deadline: Mapped[date | None]
    # Influencer briefs: who the sponsored posts should reach (ISO 3166 country codes, a
    # follower range, a minimum engagement rate in basis points). Empty/None = no preference.
    audience_regions: Mapped[list[str]] = mapped_column(default=list)
    audience_min_followers: Mapped[int | None] = mapped_column(BigId)
    audience_max_followers: Mapped[int | None] = mapped_column(BigId)
    audience_min_engagement_bp: Mapped[int | None]
    visibility: Mapped[Visibility] = mapped_column(
        EnumText(Visibility, 16), default=Visibility.PUBLIC
    )
    status: Mapped[BriefStatus] = mapped_column(
        EnumText(BriefStatus, 16), default=BriefStatus.DRAFT
    )
    published_at: Mapped[datetime | None]
    # Set by a moderator (app.moderation): a hidden brief leaves the board and public pages.
    hidden_at: Mapped[datetime | None]

    business: Mapped[User] = relationship()
    proposals: Mapped[list[Proposal]] = relationship(back_populates="brief", order_by="Proposal.id")
    invitations: Mapped[list[BriefInvitation]] = relationship(back_populates="brief")


class BriefInvitation(IdMixin, Base):
    __tablename__ = "brief_invitations"
    __table_args__ = (UniqueConstraint("brief_id", "creator_id"),)

    brief_id: Mapped[int] = mapped_column(BigId, ForeignKey("briefs.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    invited_by_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    seen_at: Mapped[datetime | None]

    brief: Mapped[Brief] = relationship(back_populates="invitations")
    creator: Mapped[User] = relationship(foreign_keys=[creator_id])


class Proposal(IdMixin, TimestampMixin, Base):
    __tablename__ = "proposals"
    __table_args__ = (
        # One proposal per creator per brief; the service turns the violation into a clear error.
        UniqueConstraint("brief_id", "creator_id"),
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint("delivery_days BETWEEN 1 AND 365", name="delivery_days_range"),
    )

    brief_id: Mapped[int] = mapped_column(BigId, ForeignKey("briefs.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    cover_letter: Mapped[str] = mapped_column(Text)
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    delivery_days: Mapped[int]
    status: Mapped[ProposalStatus] = mapped_column(
        EnumText(ProposalStatus, 16), default=ProposalStatus.SUBMITTED
    )

    brief: Mapped[Brief] = relationship(back_populates="proposals")
    creator: Mapped[User] = relationship()
