"""The milestone transition table, every cell: legal moves write one audit row, illegal ones
raise InvalidTransition and write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.errors import InvalidTransition
from app.payments import ledger
from app.payments.models import MilestoneState
from app.payments.states import MILESTONE, lock_milestone

from .helpers import event_count, first_milestone, make_contract

CELLS = [(action, state) for action in MILESTONE.transitions for state in MilestoneState]


@pytest.mark.parametrize(("action", "state"), CELLS)
def test_transition_table(session: Session, action: str, state: MilestoneState) -> None:
    milestone = first_milestone(session, make_contract(session))
    milestone.state = state
    session.flush()
    events, money = event_count(session), ledger.snapshot(session)
    locked = lock_milestone(session, milestone.id)
    if MILESTONE.allowed(action, state):
        assert MILESTONE.move(session, locked, action, actor_id=None) is True
        session.flush()
        assert locked.state == MILESTONE.target(action)
        assert event_count(session) == events + 1
    else:
        with pytest.raises(InvalidTransition):
            MILESTONE.move(session, locked, action, actor_id=None)
        session.flush()
        assert locked.state == state
        assert event_count(session) == events
    assert ledger.snapshot(session) == money


def test_idempotent_replay_is_a_no_op(session: Session) -> None:
    milestone = first_milestone(session, make_contract(session))
    locked = lock_milestone(session, milestone.id)
    assert MILESTONE.move(session, locked, "fund", actor_id=None, idempotent=True)
    session.flush()
    events = event_count(session)
    assert MILESTONE.move(session, locked, "fund", actor_id=None, idempotent=True) is False
    with pytest.raises(InvalidTransition):
        MILESTONE.move(session, locked, "fund", actor_id=None)
    session.flush()
    assert event_count(session) == events


def test_the_happy_path_is_in_the_table() -> None:
    path = ["fund", "deliver", "request_changes", "deliver", "accept", "pay_out"]
    state = MilestoneState.PENDING
    for action in path:
        assert MILESTONE.allowed(action, state), (action, state)
        state = MILESTONE.target(action)
    assert state == MilestoneState.PAID_OUT
