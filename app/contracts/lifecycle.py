"""Where a contract stands, read from its milestones: one stage for every page that shows
a contract (the contract page, the Orders list), and the next thing each side should do.

The stored ``Contract.status`` only says active / completed / cancelled; a contract that
waits for funding, is in review or is accepted and clearing is "active" in all three, so
pages show this stage instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.contracts.models import Contract, ContractStatus
from app.payments.models import Milestone
from app.payments.models import MilestoneState as S

# The steps of every contract, in order; a stage says how far it got.
STEPS: tuple[str, ...] = ("Ordered", "Funded", "Delivered", "Accepted", "Paid out")
_OVER = {S.PAID_OUT, S.REFUNDED, S.CANCELLED}


@dataclass(frozen=True)
class Stage:
    phase: str  # awaiting_funding, in_progress, in_review, accepted, completed, disputed, ...
    label: str
    step: int  # index in STEPS reached (-1 for a contract that ended without the work)
    finished: bool


def stage(contract: Contract, milestones: Sequence[Milestone]) -> Stage:
    states = [S(m.state) for m in milestones]
    if S.DISPUTED in states:
        return Stage("disputed", "In dispute", _reached(states), False)
    if contract.status is ContractStatus.CANCELLED:
        return Stage("cancelled", "Cancelled", -1, True)
    if states and all(s in (S.REFUNDED, S.CANCELLED) for s in states):
        return Stage("refunded", "Refunded", -1, True)
    if S.DELIVERED in states:
        return Stage("in_review", "Delivered, in review", 2, False)
    if S.FUNDED in states or S.CHANGES_REQUESTED in states:
        label = "Changes requested" if S.CHANGES_REQUESTED in states else "Funded, in progress"
        return Stage("in_progress", label, 1, False)
    if S.PENDING in states:
        return Stage("awaiting_funding", "Waiting for funding", 0, False)
    if S.RELEASED in states:
        return Stage("accepted", "Accepted, payout clearing", 3, False)
    if contract.status is ContractStatus.COMPLETED or (states and all(s in _OVER for s in states)):
        return Stage("completed", "Completed, paid out", 4, True)
    return Stage("in_progress", "In progress", 1, False)


def _reached(states: list[S]) -> int:
    if S.PAID_OUT in states:
        return 4
    if S.RELEASED in states:
        return 3
    return 1


@dataclass(frozen=True)
class NextAction:
    text: str
    endpoint: str
    values: dict[str, Any]
    mine: bool  # the viewer is the one who should act


def next_action(
    contract: Contract, milestones: Sequence[Milestone], viewer_id: int, *, can_review: bool
) -> NextAction:
    """What the viewer should do next on ``contract`` (or what they are waiting for)."""
    here = {"contract_id": contract.id}
    business = viewer_id == contract.business_id
    now = stage(contract, milestones)
    first = {S(m.state): m for m in reversed(milestones)}
    if now.phase == "disputed":
        return NextAction("See the dispute", "contracts.detail", here, True)
    if now.phase == "awaiting_funding":
        pending = first[S.PENDING]
        if business:
            return NextAction(
                f"Fund “{pending.title}”", "payments.fund", {"milestone_id": pending.id}, True
            )
        return NextAction("Waiting for the business to fund", "contracts.detail", here, False)
    if now.phase == "in_progress":
        working = first.get(S.CHANGES_REQUESTED) or first.get(S.FUNDED)
        if not business and working is not None:
            return NextAction(
                f"Deliver “{working.title}”", "payments.deliver", {"milestone_id": working.id}, True
            )
        return NextAction("Waiting for the delivery", "contracts.detail", here, False)
    if now.phase == "in_review":
        if business:
            return NextAction("Review the delivery", "contracts.detail", here, True)
        return NextAction("Waiting for the business's review", "contracts.detail", here, False)
    if can_review:
        return NextAction("Leave your review", "reviews.write", here, True)
    if now.phase == "accepted":
        text = "Payout after the clearance hold" if not business else "Accepted"
        return NextAction(text, "contracts.detail", here, False)
    return NextAction("Done", "contracts.detail", here, False)
