"""The dispute transition table (every cell) and the timers: response window, moderator SLA
(auto-resolution for the opener, or overdue), final deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import queries
from app.disputes.models import DisputeState as D
from app.disputes.states import DISPUTE, allowed, lock_dispute, transition
from app.errors import InvalidTransition
from app.jobs import run_due
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import MilestoneState as S
from tests.payments.helpers import assert_ledger_ok, delivered_milestone, stripe_client

from .helpers import open_on, under_review

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _events(session: Session) -> tuple[int, int]:
    return (
        session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.subject_type == "dispute")
        )
        or 0,
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
    )


@pytest.mark.parametrize(("action", "state"), [(a, s) for a in DISPUTE.transitions for s in D])
def test_transition_table(session: Session, gateway: PaymentGateway, action: str, state: D) -> None:
    milestone = delivered_milestone(session, gateway)
    dispute = open_on(session, milestone)
    dispute.state = state
    session.flush()
    before = _events(session)
    locked = lock_dispute(session, dispute.id)
    if allowed(action, state):
        assert transition(session, locked, action, actor_id=None) is True
        assert locked.state == DISPUTE.target(action)
        assert _events(session) == (before[0] + 1, before[1] + 1)
    else:
        with pytest.raises(InvalidTransition):
            transition(session, locked, action, actor_id=None)
        assert locked.state == state and _events(session) == before


def test_idempotent_replay(session: Session, gateway: PaymentGateway) -> None:
    dispute = open_on(session, delivered_milestone(session, gateway))
    assert transition(session, dispute, "response_timeout", actor_id=None, idempotent=True)
    before = _events(session)
    assert not transition(session, dispute, "response_timeout", actor_id=None, idempotent=True)
    assert _events(session) == before


def test_silence_goes_to_moderators_then_the_opener_wins(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, frozen: Any
) -> None:
    milestone = delivered_milestone(session, gateway, amount=8_000)
    dispute = open_on(session, milestone)  # the business opens; the creator stays silent
    clock.advance(timedelta(days=2, hours=23))
    run_due(session, gateway)
    session.refresh(dispute)
    assert dispute.state == D.AWAITING_RESPONSE
    clock.advance(timedelta(hours=2))
    run_due(session, gateway)
    session.refresh(dispute)
    assert dispute.state == D.UNDER_REVIEW and dispute in queries.queue(session, "waiting")
    clock.advance(timedelta(days=14, hours=1))
    assert dispute in queries.queue(session, "overdue")
    run_due(session, gateway)
    session.refresh(dispute)
    session.refresh(milestone)
    assert dispute.state == D.RESOLVED_REFUND and milestone.state == S.REFUNDED
    refunds = [r for r in stripe_client(emulator).v1.refunds.list({"limit": 100}).data]
    assert [r.amount for r in refunds if r.charge == milestone.charge_id] == [8_000]
    assert [e.verb for e in dispute.events][-1] == "resolve_refund"
    assert_ledger_ok(session)


def test_after_a_response_the_sla_flags_overdue_then_the_deadline_refunds(
    session: Session, gateway: PaymentGateway, frozen: Any
) -> None:
    milestone = delivered_milestone(session, gateway, amount=5_000)
    dispute = under_review(session, milestone, by="creator")
    clock.advance(timedelta(days=14, minutes=1))
    run_due(session, gateway)
    session.refresh(dispute)
    assert dispute.state == D.UNDER_REVIEW and dispute.overdue_at is not None
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "dispute.overdue")
        )
        == 1
    )
    escrow = ledger.balance(session, ledger.escrow(milestone.id), "USD")
    assert escrow == 5_000
    clock.advance(timedelta(days=31))  # 45 days after opening
    run_due(session, gateway)
    session.refresh(dispute)
    session.refresh(milestone)
    assert dispute.state == D.RESOLVED_REFUND and milestone.state == S.REFUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    assert_ledger_ok(session)


def test_creator_opener_wins_by_silence_with_a_release(
    session: Session, gateway: PaymentGateway, frozen: Any
) -> None:
    milestone = delivered_milestone(session, gateway, amount=5_000)
    dispute = open_on(session, milestone, by="creator")
    clock.advance(timedelta(days=18))
    run_due(session, gateway)
    run_due(session, gateway)
    session.refresh(dispute)
    session.refresh(milestone)
    assert dispute.state == D.RESOLVED_RELEASE and milestone.state == S.RELEASED
    assert_ledger_ok(session)
