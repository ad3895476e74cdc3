"""Content reports. The subject is generic (``subject_type``, ``subject_id``) so new kinds of
content can be reported without a migration; app/moderation/subjects.py validates the types."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, EnumText, IdMixin


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    ACTIONED = "actioned"  # a moderator hid the content or suspended its owner
    DISMISSED = "dismissed"


class ReportReason(enum.StrEnum):
    SPAM = "spam"
    SCAM = "scam"
    ABUSE = "abuse"
    INAPPROPRIATE = "inappropriate"
    COPYRIGHT = "copyright"
    OTHER = "other"


class Report(IdMixin, Base):
    __tablename__ = "content_reports"
    __table_args__ = (
        Index("ix_content_reports_status_created", "status", "created_at"),
        Index("ix_content_reports_subject", "subject_type", "subject_id"),
    )

    reporter_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(BigId)
    reason: Mapped[ReportReason] = mapped_column(EnumText(ReportReason, 16))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(
        EnumText(ReportStatus, 16), default=ReportStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
