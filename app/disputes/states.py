"""The dispute state machine: one transition table, one way to move along it.

    open -> awaiting_response -> under_review -> resolved_release | resolved_refund
                                              | resolved_split
    open -> under_review (a Stripe chargeback: no response window)
    awaiting_response | under_review -> settled (mutual agreement) | withdrawn (by the opener)

``transition`` is the only writer of ``Dispute.state``; it needs the dispute locked
(``lock_dispute``), checks the table before writing anything, records a DisputeEvent and an
audit row, and is idempotent when asked (a replayed timer is a no-op).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.disputes.models import ACTIVE_STATES, Dispute, DisputeEvent
from app.disputes.models import DisputeState as D
from app.errors import InvalidTransition, NotFound
from app.payments.states import lock_milestone

REVIEWABLE = frozenset({D.AWAITING_RESPONSE, D.UNDER_REVIEW})

# action -> (allowed source states, target state)
TRANSITIONS: dict[str, tuple[frozenset[D], D]] = {
    "request_response": (frozenset({D.OPEN}), D.AWAITING_RESPONSE),
    "escalate": (frozenset({D.OPEN}), D.UNDER_REVIEW),
    "respond": (frozenset({D.AWAITING_RESPONSE}), D.UNDER_REVIEW),
    "response_timeout": (frozenset({D.AWAITING_RESPONSE}), D.UNDER_REVIEW),
    "resolve_release": (frozenset({D.UNDER_REVIEW}), D.RESOLVED_RELEASE),
    "resolve_refund": (frozenset({D.UNDER_REVIEW}), D.RESOLVED_REFUND),
    "resolve_split": (frozenset({D.UNDER_REVIEW}), D.RESOLVED_SPLIT),
    "settle": (REVIEWABLE, D.SETTLED),
    "withdraw": (REVIEWABLE, D.WITHDRAWN),
}


def allowed(action: str, state: D | str) -> bool:
    return D(state) in TRANSITIONS[action][0]


def lock_dispute(session: Session, dispute_id: int) -> Dispute:
    """Lock the dispute's milestone, then the dispute, fresh from the database.

    Milestone first, always: the payments services and the chargeback webhook lock the
    milestone before touching a dispute, so the same order here cannot deadlock with them.
    """
    milestone_id = session.scalar(select(Dispute.milestone_id).where(Dispute.id == dispute_id))
    if milestone_id is None:
        raise NotFound("No such dispute.")
    lock_milestone(session, milestone_id)
    dispute = session.scalars(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return dispute


def record(
    session: Session,
    dispute: Dispute,
    action: str,
    *,
    actor_id: int | None,
    note: str = "",
    from_state: D | None = None,
    **data: Any,
) -> DisputeEvent:
    """History row + audit row for ``action`` (a transition or an action without one)."""
    before = (from_state or dispute.state).value
    event = DisputeEvent(
        dispute_id=dispute.id,
        actor_id=actor_id,
        action=action,
        from_state=before,
        to_state=dispute.state.value,
        note=note[:4000],
        data=data,
    )
    session.add(event)
    audit.record(
        session,
        actor_id=actor_id,
        action=f"dispute.{action}",
        subject_type="dispute",
        subject_id=dispute.id,
        note=note[:500],
        from_state=before,
        to_state=dispute.state.value,
        **data,
    )
    session.flush()
    return event


def transition(
    session: Session,
    dispute: Dispute,
    action: str,
    *,
    actor_id: int | None,
    note: str = "",
    idempotent: bool = False,
    **data: Any,
) -> bool:
    """Move a locked ``dispute`` by ``action``; False for an idempotent no-op.

    Raises InvalidTransition when the table forbids it (nothing written).
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(f"Unknown dispute action {action!r}.")
    sources, target = TRANSITIONS[action]
    current = D(dispute.state)
    if current not in sources:
        if idempotent and current is target:
            return False
        raise InvalidTransition(
            f"Cannot {action.replace('_', ' ')} a dispute that is {current.value}.",
            state=current.value,
            action=action,
        )
    dispute.state = target
    if target not in ACTIVE_STATES:
        dispute.active_milestone_id = None  # frees the milestone for a later dispute
    record(session, dispute, action, actor_id=actor_id, note=note, from_state=current, **data)
    return True
