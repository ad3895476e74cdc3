"""A creator's track record as buyers read it on cards: stars, reviews, level, completed
contracts and the share of deliveries made by the due date (raw counts, not the smoothed
reputation components, so "on time 4 of 5" means exactly that)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditEvent
from app.contracts.models import Contract, ContractStatus
from app.payments.models import Milestone
from app.reviews.formula import NEW
from app.reviews.models import Reputation, Side


@dataclass(frozen=True)
class TrackRecord:
    rating_average: float | None = None
    review_count: int = 0
    level: str = NEW.name
    completed_contracts: int = 0
    on_time: int = 0
    delivered: int = 0  # deliveries with a due date

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.delivered if self.delivered else None


def track_records(session: Session, creator_ids: Iterable[int]) -> dict[int, TrackRecord]:
    """Track records of ``creator_ids`` (every id gets one; no history = an empty record),
    in three queries whatever their number."""
    ids = sorted(set(creator_ids))
    if not ids:
        return {}
    reputations = {
        row.user_id: row
        for row in session.scalars(
            select(Reputation).where(Reputation.user_id.in_(ids), Reputation.side == Side.CREATOR)
        )
    }
    completed = dict(
        session.execute(
            select(Contract.creator_id, func.count())
            .where(Contract.creator_id.in_(ids), Contract.status == ContractStatus.COMPLETED)
            .group_by(Contract.creator_id)
        ).all()
    )
    first_delivery = (
        select(
            AuditEvent.subject_id.label("milestone_id"),
            func.min(AuditEvent.created_at).label("at"),
        )
        .where(AuditEvent.subject_type == "milestone", AuditEvent.action == "milestone.deliver")
        .group_by(AuditEvent.subject_id)
        .subquery()
    )
    deliveries = session.execute(
        select(Contract.creator_id, Milestone.due_date, first_delivery.c.at)
        .join(Milestone, Milestone.contract_id == Contract.id)
        .join(first_delivery, first_delivery.c.milestone_id == Milestone.id)
        .where(Contract.creator_id.in_(ids), Milestone.due_date.is_not(None))
    ).all()
    on_time: dict[int, list[int]] = {}
    for creator_id, due, delivered_at in deliveries:
        if delivered_at.tzinfo is None:  # SQLite hands back naive UTC from an aggregate
            delivered_at = delivered_at.replace(tzinfo=UTC)
        counts = on_time.setdefault(creator_id, [0, 0])
        counts[0] += delivered_at <= datetime.combine(due, time.max, tzinfo=UTC)
        counts[1] += 1
    out = {}
    for creator_id in ids:
        rep = reputations.get(creator_id)
        hits, total = on_time.get(creator_id, [0, 0])
        out[creator_id] = TrackRecord(
            rating_average=rep.rating_average if rep and rep.review_count else None,
            review_count=rep.review_count if rep else 0,
            level=rep.level if rep else NEW.name,
            completed_contracts=completed.get(creator_id, 0),
            on_time=hits,
            delivered=total,
        )
    return out
