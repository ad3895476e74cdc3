"""The contest state machine: one transition table, one writer of ``Contest.state``.

draft -fund-> open -close-> judging -award-> awarded
                                    -split-> split      (no pick within the judging window)
open/judging -refund-> refunded (no entries); draft -cancel-> cancelled
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.contests.models import Contest, ContestState
from app.errors import InvalidTransition, NotFound

C = ContestState

TRANSITIONS: dict[str, tuple[frozenset[ContestState], ContestState]] = {
    "fund": (frozenset({C.DRAFT}), C.OPEN),
    "close": (frozenset({C.OPEN}), C.JUDGING),
    "award": (frozenset({C.JUDGING}), C.AWARDED),
    "split": (frozenset({C.JUDGING}), C.SPLIT),
    "refund": (frozenset({C.OPEN, C.JUDGING}), C.REFUNDED),
    "cancel": (frozenset({C.DRAFT}), C.CANCELLED),
}


def lock_contest(session: Session, contest_id: int) -> Contest:
    contest = session.scalars(
        select(Contest)
        .where(Contest.id == contest_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if contest is None:
        raise NotFound("No such contest.")
    return contest


def transition(
    session: Session, contest: Contest, action: str, *, actor_id: int | None, **data: Any
) -> None:
    """Move a locked contest; InvalidTransition (nothing written) when the table forbids it."""
    sources, target = TRANSITIONS[action]
    current = C(contest.state)
    if current not in sources:
        raise InvalidTransition(
            f"Cannot {action} a contest that is {current.value}.", state=current.value
        )
    contest.state = target
    audit.record(
        session,
        actor_id=actor_id,
        action=f"contest.{action}",
        subject_type="contest",
        subject_id=contest.id,
        from_state=current.value,
        to_state=target.value,
        **data,
    )
