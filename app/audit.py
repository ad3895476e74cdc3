"""The one audit trail: who did what to which object, when, why, and which state it left.

Every state machine (``app.workflow.StateMachine.move``) and every audited action without a
state change writes here, in the same unit of work as the change it describes. Rows are never
updated or deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app import clock
from app.accounts.models import User
from app.db import Base, BigId, IdMixin


class AuditEvent(IdMixin, Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id"),)

    actor_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigId)
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    actor: Mapped[User | None] = relationship()

    @property
    def verb(self) -> str:
        """The action without its subject prefix ("milestone.fund" -> "fund")."""
        return self.action.partition(".")[2] or self.action

    @property
    def note(self) -> str:
        return str(self.data.get("note", ""))


def record(
    session: Session,
    action: str,
    subject: tuple[str, int],
    *,
    actor_id: int | None,
    from_state: str | None = None,
    to_state: str | None = None,
    **data: Any,
) -> AuditEvent:
    """Add an audit row about ``subject`` (type, id) to ``session``, committed with the change
    it describes; ``actor_id`` None is the system (a timer, a webhook)."""
    subject_type, subject_id = subject
    event = AuditEvent(actor_id=actor_id, action=action, data=data, from_state=from_state)
    event.subject_type, event.subject_id, event.to_state = subject_type, subject_id, to_state
    session.add(event)
    return event


def history(
    session: Session,
    subject_type: str,
    subject_ids: int | list[int],
    *,
    verbs: tuple[str, ...] = (),
) -> list[AuditEvent]:
    """The audit rows of one or several objects of ``subject_type``, oldest first."""
    ids = [subject_ids] if isinstance(subject_ids, int) else list(subject_ids)
    stmt = select(AuditEvent).where(
        AuditEvent.subject_type == subject_type, AuditEvent.subject_id.in_(ids)
    )
    if verbs:
        stmt = stmt.where(AuditEvent.action.in_([f"{subject_type}.{v}" for v in verbs]))
    return list(session.scalars(stmt.order_by(AuditEvent.id)))
