"""The contest state machine (app.workflow shape) and the contest lock.

draft -fund-> open -close-> judging -award-> awarded
                                    -split-> split      (no pick within the judging window)
open/judging -refund-> refunded (no entries); draft -cancel-> cancelled
open/judging/awarded/split -dispute-> disputed (a chargeback on the prize's payment)
disputed -resume_<state>-> the state before (chargeback won)
disputed -charge_back-> refunded (chargeback lost: the bank gave the prize back to the business)

Awards (the prize or its shares) are paid through the one settlement path: their state is
their payout's (app.settlement).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.contests.models import Contest
from app.contests.models import ContestState as C
from app.workflow import StateMachine, lock

# States a chargeback can interrupt, and that a won chargeback returns to.
RESUMABLE = (C.OPEN, C.JUDGING, C.AWARDED, C.SPLIT)
CONTEST = StateMachine(
    "contest",
    C,
    {
        "fund": ({C.DRAFT}, C.OPEN),
        "close": ({C.OPEN}, C.JUDGING),
        "award": ({C.JUDGING}, C.AWARDED),
        "split": ({C.JUDGING}, C.SPLIT),
        "refund": ({C.OPEN, C.JUDGING}, C.REFUNDED),
        "cancel": ({C.DRAFT}, C.CANCELLED),
        "dispute": (set(RESUMABLE), C.DISPUTED),
        "charge_back": ({C.DISPUTED}, C.REFUNDED),
        **{f"resume_{state.value}": ({C.DISPUTED}, state) for state in RESUMABLE},
    },
)


def lock_contest(session: Session, contest_id: int) -> Contest:
    return lock(session, Contest, contest_id, missing="No such contest.")
