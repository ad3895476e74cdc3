"""Disputes and their evidence (their history is in the audit table)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.audit import AuditEvent
from app.contracts.models import Contract
from app.db import Base, BigId, EnumText, IdMixin, TimestampMixin
from app.payments.models import Milestone


class DisputeState(enum.StrEnum):
    OPEN = "open"
    AWAITING_RESPONSE = "awaiting_response"
    UNDER_REVIEW = "under_review"
    RESOLVED_RELEASE = "resolved_release"
    RESOLVED_REFUND = "resolved_refund"
    RESOLVED_SPLIT = "resolved_split"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"


ACTIVE_STATES = frozenset(
    {DisputeState.OPEN, DisputeState.AWAITING_RESPONSE, DisputeState.UNDER_REVIEW}
)


class DisputeOrigin(enum.StrEnum):
    PARTY = "party"
    CHARGEBACK = "chargeback"


class Dispute(IdMixin, TimestampMixin, Base):
    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("refund_minor >= 0 AND release_minor >= 0", name="amounts_nonneg"),
        CheckConstraint(
            "settlement_refund_minor IS NULL OR settlement_refund_minor >= 0",
            name="settlement_nonneg",
        ),
        Index("ix_disputes_state_review_due", "state", "review_due_at"),
    )

    milestone_id: Mapped[int] = mapped_column(BigId, ForeignKey("milestones.id"), index=True)
    contract_id: Mapped[int] = mapped_column(BigId, ForeignKey("contracts.id"), index=True)
    # Equals milestone_id while the dispute is active, NULL afterwards: a unique column that
    # allows one active dispute per milestone on every backend (no partial indexes needed).
    active_milestone_id: Mapped[int | None] = mapped_column(BigId, unique=True)
    origin: Mapped[DisputeOrigin] = mapped_column(EnumText(DisputeOrigin, 16))
    state: Mapped[DisputeState] = mapped_column(
        EnumText(DisputeState, 24), default=DisputeState.OPEN
    )
    opened_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    respondent_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    moderator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    stripe_dispute_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str] = mapped_column(Text, default="")
    # The milestone's state when the dispute froze it (a withdrawal returns it there).
    milestone_state_before: Mapped[str] = mapped_column(String(24))
    response_due_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    review_due_at: Mapped[datetime | None]
    final_due_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]
    # A settlement offer: the business's share (refund) proposed by one party.
    settlement_refund_minor: Mapped[int | None]
    settlement_proposed_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    refund_minor: Mapped[int] = mapped_column(default=0)
    release_minor: Mapped[int] = mapped_column(default=0)

    milestone: Mapped[Milestone] = relationship()
    contract: Mapped[Contract] = relationship()
    evidence: Mapped[list[DisputeEvidence]] = relationship(
        back_populates="dispute", order_by="DisputeEvidence.id"
    )
    # The dispute's history is its rows in the one audit table.
    events: Mapped[list[AuditEvent]] = relationship(
        primaryjoin="and_(AuditEvent.subject_type == 'dispute',"
        " foreign(AuditEvent.subject_id) == Dispute.id)",
        order_by="AuditEvent.id",
        viewonly=True,
    )
    __lock_parent__ = ("milestone_id", "milestones")

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def party_ids(self) -> tuple[int, int]:
        return self.contract.business_id, self.contract.creator_id


class DisputeEvidence(IdMixin, Base):
    """A statement and/or a file (MEDIA_ROOT/disputes/<dispute_id>/<stored_name>)."""

    __tablename__ = "dispute_evidence"

    dispute_id: Mapped[int] = mapped_column(BigId, ForeignKey("disputes.id"), index=True)
    author_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    stored_name: Mapped[str | None] = mapped_column(String(160), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    dispute: Mapped[Dispute] = relationship(back_populates="evidence")
