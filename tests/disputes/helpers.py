"""Builders for dispute tests (contracts and money through the real services)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import AuditEvent
from app.disputes import services
from app.disputes.models import Dispute
from app.payments.models import Milestone
from tests.factories import make_user


def moderator(session: Session) -> User:
    return make_user(session, moderator=True)


def open_on(session: Session, milestone: Milestone, *, by: str = "business", **kw: Any) -> Dispute:
    contract = milestone.contract
    user = contract.business if by == "business" else contract.creator
    return services.open_dispute(
        session, milestone.id, user=user, reason=kw.pop("reason", "Not what we agreed."), **kw
    )


def under_review(session: Session, milestone: Milestone, *, by: str = "business") -> Dispute:
    dispute = open_on(session, milestone, by=by)
    respondent = session.get(User, dispute.respondent_id)
    assert respondent is not None
    services.respond(session, dispute.id, user=respondent, response="It is what we agreed.")
    return dispute


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Dispute)) or 0,
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.subject_type == "dispute")
        )
        or 0,
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )
