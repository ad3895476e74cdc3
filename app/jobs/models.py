"""The one durable job table: a timer or a retryable task about any object of the app."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, EnumText, IdMixin


class JobStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for due_at
    RUNNING = "running"  # claimed by a worker until locked_until (a lease, not a row lock)
    DONE = "done"
    FAILED = "failed"  # gave up: needs a person (see `flask jobs` and the admin pages)


class Job(IdMixin, Base):
    """Run handler ``kind`` for (``subject_type``, ``subject_id``) once ``due_at`` has passed.

    ``key`` names the purpose ("milestone-7-auto-accept-0") so scheduling it again moves the
    one live job instead of adding a second.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_status_due", "status", "due_at"),
        Index("ix_jobs_subject", "subject_type", "subject_id"),
        CheckConstraint("attempts >= 0", name="attempts_nonneg"),
    )

    kind: Mapped[str] = mapped_column(String(48))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    due_at: Mapped[datetime]
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, 16), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]
