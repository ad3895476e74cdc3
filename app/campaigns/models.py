"""Influencer campaigns: an order of influencer deliverables, paid through a contract milestone.

The campaign carries the content workflow (draft, approval, live post); the money sits in the
contract's milestone and moves only through the payments services.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.campaigns.content import disclosures_for
from app.contracts.models import Contract
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin
from app.offers.models import Platform


class CampaignState(enum.StrEnum):
    ORDERED = "ordered"  # contract made; waits for funding and the creator's draft
    DRAFT_SUBMITTED = "draft_submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    POSTED = "posted"  # live URL submitted; the business confirms (or silence does)
    COMPLETED = "completed"  # confirmed; the milestone is released


class Campaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "campaigns"

    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), unique=True)
    milestone_id: Mapped[int] = mapped_column(BigId, ForeignKey("milestones.id"), unique=True)
    business_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    creator_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("offers.id"))
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    deliverables: Mapped[list[str]] = mapped_column(default=list)
    state: Mapped[CampaignState] = mapped_column(
        EnumText(CampaignState, 24), default=CampaignState.ORDERED
    )
    draft_text: Mapped[str] = mapped_column(Text, default="")
    draft_file: Mapped[str | None] = mapped_column(String(255))
    draft_caption: Mapped[str] = mapped_column(Text, default="")
    approved_caption: Mapped[str | None] = mapped_column(Text)
    change_note: Mapped[str] = mapped_column(Text, default="")
    post_url: Mapped[str | None] = mapped_column(String(500))
    live_caption: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    confirm_due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    contract: Mapped[Contract] = relationship()
    # Lock order (app.workflow): contract -> campaign -> milestone.
    __lock_parent__ = ("contract_id", "contracts")
    violations: Mapped[list[CampaignViolation]] = relationship(
        back_populates="campaign", order_by="CampaignViolation.id"
    )

    @property
    def disclosures(self) -> tuple[str, ...]:
        """The disclosure tags the platform accepts on a sponsored post (any one will do)."""
        return disclosures_for(self.platform)


class ViolationKind(enum.StrEnum):
    POSTED_BEFORE_APPROVAL = "posted_before_approval"
    CONTENT_CHANGED = "content_changed"


class CampaignViolation(IdMixin, Base):
    """A recorded ground for a dispute, shown to both parties and to moderators.

    The dispute itself is opened through the disputes flow; this row is the evidence.
    """

    __tablename__ = "campaign_violations"

    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("campaigns.id"), index=True)
    kind: Mapped[ViolationKind] = mapped_column(EnumText(ViolationKind, 32))
    detail: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    campaign: Mapped[Campaign] = relationship(back_populates="violations")
