"""The milestone state machine (app.workflow shape) and the milestone lock.

pending -> funded -> delivered -> (changes_requested -> delivered)* -> released -> paid_out,
with refunded, disputed and cancelled branches. ``MILESTONE.move`` is the only writer of
``Milestone.state``; callers hold the milestone's lock (``lock_milestone``: contract first).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.payments.models import Milestone
from app.payments.models import MilestoneState as S
from app.workflow import StateMachine, lock

ACTIVE = (S.FUNDED, S.DELIVERED, S.CHANGES_REQUESTED)
# No money will move any more: the contract may complete.
SETTLED = (S.PAID_OUT, S.REFUNDED, S.CANCELLED)

MILESTONE = StateMachine(
    "milestone",
    S,
    {
        "fund": ({S.PENDING}, S.FUNDED),
        "deliver": ({S.FUNDED, S.CHANGES_REQUESTED}, S.DELIVERED),
        "request_changes": ({S.DELIVERED}, S.CHANGES_REQUESTED),
        "accept": ({S.DELIVERED}, S.RELEASED),
        "auto_accept": ({S.DELIVERED}, S.RELEASED),
        "pay_out": ({S.RELEASED}, S.PAID_OUT),
        "refund": ({*ACTIVE, S.RELEASED, S.PAID_OUT, S.DISPUTED}, S.REFUNDED),
        "dispute": ({*ACTIVE, S.RELEASED, S.PAID_OUT}, S.DISPUTED),
        "cancel": ({S.PENDING}, S.CANCELLED),
        # Ends of a dispute (app.disputes): the money goes to the creator (release from
        # escrow, or back to where a chargeback on a released / paid-out milestone found
        # it), or the opener withdraws and the milestone continues where it stopped.
        "resolve_release": ({S.DISPUTED}, S.RELEASED),
        "resolve_paid_out": ({S.DISPUTED}, S.PAID_OUT),
        "resume_funded": ({S.DISPUTED}, S.FUNDED),
        "resume_delivered": ({S.DISPUTED}, S.DELIVERED),
        "resume_changes_requested": ({S.DISPUTED}, S.CHANGES_REQUESTED),
    },
)


def lock_milestone(session: Session, milestone_id: int) -> Milestone:
    """The milestone, locked after its contract (the app's lock order), fresh from the database.

    Raises NotFound.
    """
    return lock(session, Milestone, milestone_id, missing="No such milestone.")
