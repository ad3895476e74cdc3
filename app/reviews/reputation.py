"""Reputation from the database: gather the facts, apply ``formula.compute``, store the result.

Stored in ``reputations`` (one row per user and side) and, for creators, mirrored into
``CreatorProfile.reputation_score`` — the attribute the payout fee/hold formula reads
(app/payments/fees.reputation_score). Recomputed when a review is submitted or revealed, when
a milestone is paid out or refunded and when a dispute closes (domain events, subscribed in
app/reviews/wiring.py) and by ``flask recompute-reputation``.

Dispute outcomes come from the milestone history (``dispute_outcomes``): it works whether or
not the disputes package records its own resolutions, because every resolution moves the
milestone through the payments transition table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts.models import CreatorProfile
from app.audit import AuditEvent
from app.contracts.models import Contract
from app.payments.models import Milestone, MilestoneState
from app.reviews import formula
from app.reviews.formula import Inputs, Observation
from app.reviews.models import Reputation, Review, Side
from app.reviews.window import revealed_clause

S = MilestoneState
_DONE = frozenset({S.RELEASED, S.PAID_OUT})
_FAILED = frozenset({S.REFUNDED, S.CANCELLED})


class DisputeOutcome(enum.StrEnum):
    CREATOR_WON = "creator_won"  # resolved by releasing / paying out to the creator
    BUSINESS_WON = "business_won"  # resolved by a refund to the business
    WITHDRAWN = "withdrawn"  # the milestone resumed where it was
    OPEN = "open"


_RESOLUTIONS = {
    "refund": DisputeOutcome.BUSINESS_WON,
    "resolve_release": DisputeOutcome.CREATOR_WON,
    "resolve_paid_out": DisputeOutcome.CREATOR_WON,
}


def dispute_outcomes(
    events: Sequence[AuditEvent],
) -> dict[int, tuple[DisputeOutcome, datetime]]:
    """Outcome of the last dispute of each disputed milestone, from its transition history
    (events in time order): the first transition out of ``disputed`` decides it."""
    outcomes: dict[int, tuple[DisputeOutcome, datetime]] = {}
    for event in events:
        if event.verb == "dispute":
            outcomes[event.subject_id] = (DisputeOutcome.OPEN, event.created_at)
        elif (
            event.from_state == S.DISPUTED.value
            and event.to_state != S.DISPUTED.value
            and event.subject_id in outcomes
        ):
            outcome = _RESOLUTIONS.get(event.verb, DisputeOutcome.WITHDRAWN)
            outcomes[event.subject_id] = (outcome, event.created_at)
    return outcomes


def _milestone_facts(session: Session, user_id: int, side: Side, inputs: Inputs) -> None:
    party = Contract.creator_id if side is Side.CREATOR else Contract.business_id
    milestones = session.scalars(
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(party == user_id)
    ).all()
    if not milestones:
        return
    events = audit.history(session, "milestone", [m.id for m in milestones])
    by_milestone: dict[int, list[AuditEvent]] = {}
    for event in events:
        by_milestone.setdefault(event.subject_id, []).append(event)
    outcomes = dispute_outcomes(events)
    lost = DisputeOutcome.BUSINESS_WON if side is Side.CREATOR else DisputeOutcome.CREATOR_WON
    now = clock.now()
    for milestone in milestones:
        history = by_milestone.get(milestone.id, [])
        state = S(milestone.state)
        last_at = history[-1].created_at if history else milestone.updated_at
        _on_time(milestone, history, side, now, inputs)
        if state in _DONE or state in _FAILED:
            inputs.completion.append(Observation(1.0 if state in _DONE else 0.0, last_at))
        outcome = outcomes.get(milestone.id)
        if outcome is not None and outcome[0] is not DisputeOutcome.OPEN:
            inputs.disputes.append(Observation(0.0 if outcome[0] is lost else 1.0, outcome[1]))
        elif outcome is None and state in _DONE | {S.REFUNDED}:
            inputs.disputes.append(Observation(1.0, last_at))


def _on_time(
    milestone: Milestone, history: list[AuditEvent], side: Side, now: datetime, inputs: Inputs
) -> None:
    if side is Side.BUSINESS:
        # A business is "on time" when it reviews deliveries itself instead of timing out.
        for event in history:
            if event.verb in ("accept", "auto_accept"):
                inputs.on_time.append(Observation(float(event.verb == "accept"), event.created_at))
        return
    if milestone.due_date is None:
        return
    due_end = datetime.combine(milestone.due_date, time.max, tzinfo=UTC)
    delivered = next((e.created_at for e in history if e.verb == "deliver"), None)
    if delivered is not None:
        inputs.on_time.append(Observation(float(delivered <= due_end), delivered))
    elif S(milestone.state) in (S.FUNDED, S.CHANGES_REQUESTED) and now > due_end:
        inputs.on_time.append(Observation(0.0, due_end))


def gather(session: Session, user_id: int, side: Side) -> Inputs:
    inputs = Inputs()
    reviews = session.scalars(
        select(Review).where(
            Review.reviewee_id == user_id, Review.reviewee_side == side, revealed_clause()
        )
    ).all()
    for review in reviews:
        inputs.ratings.append(Observation(float(review.rating), review.submitted_at))
        inputs.feedback.append(Observation(float(review.would_work_again), review.submitted_at))
    _milestone_facts(session, user_id, side, inputs)
    return inputs


def recompute(session: Session, user_id: int, side: Side) -> Reputation:
    """Compute and store ``user_id``'s reputation as ``side``; returns the stored row."""
    now = clock.now()
    result = formula.compute(gather(session, user_id, side), now)
    row = session.get(Reputation, (user_id, side))
    if row is None:
        row = Reputation(user_id=user_id, side=side, score=result.score, level=result.level)
        session.add(row)
    row.score = result.score
    row.level = result.level
    row.review_count = result.review_count
    row.rating_average = result.rating_average
    row.components = result.components
    row.computed_at = now
    if side is Side.CREATOR:
        profile = session.get(CreatorProfile, user_id)
        if profile is not None:
            profile.reputation_score = result.score
            profile.reputation_computed_at = now
    session.flush()
    return row


def recompute_parties(session: Session, contract: Contract) -> None:
    recompute(session, contract.creator_id, Side.CREATOR)
    recompute(session, contract.business_id, Side.BUSINESS)


def recompute_all(session: Session) -> int:
    """Every user who took part in a contract, both sides; returns the number of rows."""
    pairs = session.execute(select(Contract.creator_id, Contract.business_id)).all()
    creators = {c for c, _b in pairs}
    businesses = {b for _c, b in pairs}
    for user_id in sorted(creators):
        recompute(session, user_id, Side.CREATOR)
    for user_id in sorted(businesses):
        recompute(session, user_id, Side.BUSINESS)
    return len(creators) + len(businesses)


def reputation_of(session: Session, user_id: int, side: Side) -> Reputation | None:
    return session.get(Reputation, (user_id, side))


def ranking_scores(session: Session, creator_ids: Iterable[int]) -> dict[int, float]:
    """Scores for matching: only creators with at least one revealed review (the others get
    None from the caller, so the ranking's neutral prior applies)."""
    ids = list(set(creator_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Reputation.user_id, Reputation.score).where(
            Reputation.user_id.in_(ids),
            Reputation.side == Side.CREATOR,
            Reputation.review_count > 0,
        )
    ).all()
    return {user_id: score for user_id, score in rows}
