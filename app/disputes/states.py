"""The dispute state machine (app.workflow shape), the dispute lock, and history rows.

    open -> awaiting_response -> under_review -> resolved_release | resolved_refund
                                              | resolved_split
    open -> under_review (a Stripe chargeback: no response window)
    awaiting_response | under_review -> settled (mutual agreement) | withdrawn (by the opener)
    open | awaiting_response | under_review -> closed_by_refund (the creator refunded)

``DISPUTE.move`` is the only writer of ``Dispute.state``; callers hold ``lock_dispute`` (which
locks contract -> milestone -> dispute, the app's lock order). Actions without a state change
(evidence, claim, a chargeback joining) are history rows in the same audit table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.disputes.models import ACTIVE_STATES, Dispute
from app.disputes.models import DisputeState as D
from app.workflow import StateMachine, lock

REVIEWABLE = frozenset({D.AWAITING_RESPONSE, D.UNDER_REVIEW})


DISPUTE = StateMachine(
    "dispute",
    D,
    {
        "request_response": ({D.OPEN}, D.AWAITING_RESPONSE),
        "escalate": ({D.OPEN}, D.UNDER_REVIEW),
        "respond": ({D.AWAITING_RESPONSE}, D.UNDER_REVIEW),
        "response_timeout": ({D.AWAITING_RESPONSE}, D.UNDER_REVIEW),
        "resolve_release": ({D.UNDER_REVIEW}, D.RESOLVED_RELEASE),
        "resolve_refund": ({D.UNDER_REVIEW}, D.RESOLVED_REFUND),
        "resolve_split": ({D.UNDER_REVIEW}, D.RESOLVED_SPLIT),
        "settle": (REVIEWABLE, D.SETTLED),
        "withdraw": (REVIEWABLE, D.WITHDRAWN),
        # The creator gave the money back while the dispute was open: nothing is left to
        # decide, so the refund closes it in the same transaction.
        "close_refunded": ({D.OPEN, *REVIEWABLE}, D.RESOLVED_REFUND),
    },
)


def allowed(action: str, state: D | str) -> bool:
    return DISPUTE.allowed(action, state)


def lock_dispute(session: Session, dispute_id: int) -> Dispute:
    """The dispute, locked after its contract and milestone. Raises NotFound."""
    return lock(session, Dispute, dispute_id, missing="No such dispute.")


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
    """``DISPUTE.move`` plus what every move away from the active states does: the milestone
    is freed for a later dispute. Raises InvalidTransition (nothing written)."""
    if note:
        data["note"] = note[:4000]
    moved = DISPUTE.move(session, dispute, action, actor_id=actor_id, idempotent=idempotent, **data)
    if moved and dispute.state not in ACTIVE_STATES:
        dispute.active_milestone_id = None
    session.flush()
    return moved


def record(
    session: Session,
    dispute: Dispute,
    action: str,
    *,
    actor_id: int | None,
    note: str = "",
    **data: Any,
) -> audit.AuditEvent:
    """A history row for an action that does not change the dispute's state."""
    if note:
        data["note"] = note[:4000]
    row = DISPUTE.record(session, dispute, action, actor_id=actor_id, **data)
    session.flush()
    return row
