"""The workflow kernel: one state-machine shape for the whole app, and one lock order."""

from __future__ import annotations

import enum
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, events
from app.audit import AuditEvent
from app.errors import Conflict, InvalidTransition
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone
from app.workflow import LOCK_ORDER, MACHINES, LockOrderViolation, StateMachine, lock
from tests.fixtures import count
from tests.payments.helpers import first_milestone, make_contract


class Door(enum.StrEnum):
    SHUT = "shut"
    OPEN = "open"
    LOCKED = "locked"


def _door(state: Door = Door.SHUT) -> Any:
    return SimpleNamespace(id=7, state=state, bolted=False)


def _bolted(door: Any) -> None:
    if door.bolted:
        raise Conflict("The bolt is on.")


DOOR = StateMachine(
    "test_door",
    Door,
    {
        "open": ({Door.SHUT}, Door.OPEN),
        "close": ({Door.OPEN}, Door.SHUT),
        "lock": ({Door.SHUT}, Door.LOCKED),
    },
    guards={"open": _bolted},
)


def test_a_move_writes_one_audit_row_and_publishes_one_event(session: Session) -> None:
    seen: list[events.Event] = []
    events.subscribe("test_door.open", lambda _s, event: seen.append(event))
    door, rows = _door(), count(session, AuditEvent)
    assert DOOR.move(session, door, "open", actor_id=None, why="air") is True
    session.flush()
    assert door.state is Door.OPEN
    assert count(session, AuditEvent) == rows + 1
    row = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert row is not None
    assert (row.action, row.subject_type, row.subject_id) == ("test_door.open", "test_door", 7)
    assert (row.from_state, row.to_state, row.data) == ("shut", "open", {"why": "air"})
    assert [(e.name, e.subject, e.data["to_state"]) for e in seen] == [
        ("test_door.open", door, "open")
    ]


@pytest.mark.parametrize(
    ("start", "action", "error"),
    [
        (Door.OPEN, "open", InvalidTransition),  # not from this state
        (Door.SHUT, "fly", InvalidTransition),  # not an action at all
        ("bolted", "open", Conflict),  # the guard says no
    ],
)
def test_a_refused_move_writes_nothing(
    session: Session, start: Any, action: str, error: Any
) -> None:
    door = _door(Door.SHUT if start == "bolted" else start)
    door.bolted = start == "bolted"
    before = (door.state, count(session, AuditEvent))
    with pytest.raises(error):
        DOOR.move(session, door, action, actor_id=None)
    session.flush()
    assert (door.state, count(session, AuditEvent)) == before
    assert DOOR.can(door, action) is False


def test_idempotent_replay_and_moves_by_target(session: Session) -> None:
    door = _door(Door.OPEN)
    assert DOOR.move(session, door, "open", actor_id=None, idempotent=True) is False
    assert DOOR.move_to(session, door, Door.SHUT, actor_id=None) is True
    with pytest.raises(InvalidTransition, match="locked"):
        DOOR.move_to(session, _door(Door.LOCKED), Door.OPEN, actor_id=None)
    assert DOOR.actions_from(Door.SHUT) == ["open", "lock"]


EXPECTED_MACHINES = {
    "offer",
    "brief",
    "proposal",
    "contract",
    "milestone",
    "dispute",
    "media",
    "media_license",
    "contest",
    "campaign",
    "negotiation",
    "negotiation_round",
    "report",
    "payout",
    "demand_pool",
    "pool_pledge",
}


def test_every_state_machine_of_the_app_has_the_one_shape(app: Any) -> None:
    machines = {name: m for name, m in MACHINES.items() if not name.startswith("test_")}
    assert set(machines) == EXPECTED_MACHINES
    for machine in machines.values():
        for action, transition in machine.transitions.items():
            assert transition.sources, (machine.subject, action)
            assert all(isinstance(s, machine.states) for s in transition.sources)
            assert isinstance(transition.target, machine.states)


def test_locking_a_child_locks_its_parents_first(session: Session) -> None:
    milestone = first_milestone(session, make_contract(session))
    session.commit()  # a new unit of work: nothing held yet
    lock(session, Milestone, milestone.id)
    held = [(table, ident) for _rank, table, ident, _root in session.info["workflow_held_locks"]]
    assert held == [("contracts", milestone.contract_id), ("milestones", milestone.id)]


def test_a_lock_out_of_order_fails_the_test_that_takes_it(
    session: Session, gateway: PaymentGateway
) -> None:
    from app.contracts.models import Contract
    from app.disputes import services as disputes
    from app.disputes.models import Dispute
    from tests.payments.helpers import delivered_milestone

    first = first_milestone(session, make_contract(session))
    second = first_milestone(session, make_contract(session))
    session.commit()
    lock(session, Milestone, second.id)
    with pytest.raises(LockOrderViolation, match="contracts"):
        lock(session, Contract, first.contract_id)  # a lower id of a table already locked
    session.rollback()

    milestone = delivered_milestone(session, gateway)
    business = milestone.contract.business
    dispute = disputes.open_dispute(session, milestone.id, user=business, reason="Late")
    session.commit()
    # A dispute is locked after its contract and milestone; taking the contract afterwards
    # (a parent after its child) is the deadlock the rule prevents.
    lock(session, Dispute, dispute.id)
    assert LOCK_ORDER.index("contracts") < LOCK_ORDER.index("milestones")
    session.info["workflow_held_locks"].remove(
        next(h for h in session.info["workflow_held_locks"] if h[1] == "contracts")
    )
    with pytest.raises(LockOrderViolation, match="after disputes"):
        lock(session, Contract, milestone.contract_id)


def test_split_waits_for_a_payment_started_in_another_tab(
    session: Session, gateway: PaymentGateway
) -> None:
    """The race of the issue, serialised by the lock order: once funding stored its
    PaymentIntent, a re-split refuses instead of deleting the milestone that carries it."""
    contract = make_contract(session, amount=10_000)
    milestone = first_milestone(session, contract)
    payments.fund(session, gateway, milestone.id, business=contract.business)
    plans = [payments.MilestonePlan("A", 5_000), payments.MilestonePlan("B", 5_000)]
    with pytest.raises(Conflict, match="before any payment"):
        payments.split(session, contract.id, plans, actor=contract.business)
    assert session.get(Milestone, milestone.id) is not None
    assert audit.history(session, "milestone", milestone.id) == []


def test_locks_taken_in_a_released_savepoint_are_held_until_the_transaction_ends(
    session: Session,
) -> None:
    """SQLAlchemy's after_commit fires for a SAVEPOINT too; releasing one (``attempt()``) must
    not make the checker forget locks that PostgreSQL holds until the outer transaction ends."""
    from app.contracts.models import Contract

    first = first_milestone(session, make_contract(session))
    second = first_milestone(session, make_contract(session))
    session.commit()
    with session.begin_nested():
        lock(session, Milestone, second.id)
    held = [(table, ident) for _rank, table, ident, _root in session.info["workflow_held_locks"]]
    assert held == [("contracts", second.contract_id), ("milestones", second.id)]
    with pytest.raises(LockOrderViolation, match="contracts"):
        lock(session, Contract, first.contract_id)  # a lower id of a table still locked
    session.rollback()
    assert "workflow_held_locks" not in session.info


def test_locks_taken_in_a_rolled_back_savepoint_are_released_with_it(session: Session) -> None:
    """Rolling back to a savepoint releases the row locks taken since it began, and only
    those: the locks taken before it stay held."""
    from app.contracts.models import Contract

    first = first_milestone(session, make_contract(session))
    second = first_milestone(session, make_contract(session))
    session.commit()
    lock(session, Contract, first.contract_id)
    savepoint = session.begin_nested()
    lock(session, Milestone, second.id)
    savepoint.rollback()
    held = [(table, ident) for _rank, table, ident, _root in session.info["workflow_held_locks"]]
    assert held == [("contracts", first.contract_id)]
    lock(session, Milestone, first.id)  # in order: nothing of the rolled-back savepoint is held
    session.rollback()
