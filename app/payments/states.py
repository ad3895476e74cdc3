"""The milestone state machine: one transition table, one way to move along it.

pending -> funded -> delivered -> (changes_requested -> delivered)* -> released -> paid_out,
with refunded, disputed and cancelled branches. ``transition`` is the only writer of
``Milestone.state``: it needs the row locked (``lock_milestone``), checks the table, writes a
MilestoneEvent audit row and is idempotent when asked (a replayed system action is a no-op).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidTransition, NotFound
from app.payments.models import Milestone, MilestoneEvent
from app.payments.models import MilestoneState as S

ACTIVE = (S.FUNDED, S.DELIVERED, S.CHANGES_REQUESTED)

# action -> (allowed source states, target state)
TRANSITIONS: dict[str, tuple[frozenset[S], S]] = {
    "fund": (frozenset({S.PENDING}), S.FUNDED),
    "deliver": (frozenset({S.FUNDED, S.CHANGES_REQUESTED}), S.DELIVERED),
    "request_changes": (frozenset({S.DELIVERED}), S.CHANGES_REQUESTED),
    "accept": (frozenset({S.DELIVERED}), S.RELEASED),
    "auto_accept": (frozenset({S.DELIVERED}), S.RELEASED),
    "pay_out": (frozenset({S.RELEASED}), S.PAID_OUT),
    "refund": (frozenset({*ACTIVE, S.RELEASED, S.PAID_OUT, S.DISPUTED}), S.REFUNDED),
    "dispute": (frozenset({*ACTIVE, S.RELEASED, S.PAID_OUT}), S.DISPUTED),
    "cancel": (frozenset({S.PENDING}), S.CANCELLED),
    # Ends of a dispute (app.disputes): the money goes to the creator (release from escrow,
    # or back to where a chargeback on a released / paid-out milestone found it), or the
    # opener withdraws and the milestone continues where it stopped.
    "resolve_release": (frozenset({S.DISPUTED}), S.RELEASED),
    "resolve_paid_out": (frozenset({S.DISPUTED}), S.PAID_OUT),
    "resume_funded": (frozenset({S.DISPUTED}), S.FUNDED),
    "resume_delivered": (frozenset({S.DISPUTED}), S.DELIVERED),
    "resume_changes_requested": (frozenset({S.DISPUTED}), S.CHANGES_REQUESTED),
}


def allowed(action: str, state: S | str) -> bool:
    sources, _target = TRANSITIONS[action]
    return S(state) in sources


def target_of(action: str) -> S:
    return TRANSITIONS[action][1]


def lock_milestone(session: Session, milestone_id: int) -> Milestone:
    """Load the milestone with a row lock (``SELECT ... FOR UPDATE``), fresh from the database."""
    milestone = session.scalars(
        select(Milestone)
        .where(Milestone.id == milestone_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if milestone is None:
        raise NotFound("No such milestone.")
    return milestone


def lock_milestones(session: Session, ids: Iterable[int]) -> list[Milestone]:
    """Lock several milestones, always in ascending id order (no lock-order deadlocks)."""
    return [lock_milestone(session, ident) for ident in sorted(set(ids))]


def transition(
    session: Session,
    milestone: Milestone,
    action: str,
    *,
    actor_id: int | None,
    idempotent: bool = False,
    **data: Any,
) -> bool:
    """Move ``milestone`` (already locked) by ``action``; return False for an idempotent no-op.

    Raises InvalidTransition when the table forbids it; nothing is written in that case. With
    ``idempotent=True`` a milestone already in the action's target state is left unchanged.
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(f"Unknown milestone action {action!r}.")
    sources, target = TRANSITIONS[action]
    current = S(milestone.state)
    if current not in sources:
        if idempotent and current is target:
            return False
        raise InvalidTransition(
            f"Cannot {action.replace('_', ' ')} a milestone that is {current.value}.",
            state=current.value,
            action=action,
        )
    milestone.state = target
    session.add(
        MilestoneEvent(
            milestone_id=milestone.id,
            action=action,
            from_state=current.value,
            to_state=target.value,
            actor_id=actor_id,
            data=data,
        )
    )
    return True
