"""Two moderators resolving the same dispute at once: one resolution, one refund (PostgreSQL,
real commits, threads with their own sessions)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import AuditEvent
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import services
from app.disputes.models import Dispute
from app.disputes.models import DisputeState as D
from app.errors import DomainError
from app.payments.gateway import PaymentGateway
from app.payments.models import JournalEntry, PaymentRefund
from tests.payments.helpers import assert_ledger_ok, delivered_milestone, stripe_client
from tests.payments.test_concurrency import in_threads

from .helpers import moderator, under_review

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("outcome", ["refund", "split"])
def test_two_moderators_resolve_once(
    app: Flask,
    committed: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    outcome: str,
) -> None:
    milestone = delivered_milestone(committed, gateway, amount=10_000)
    dispute = under_review(committed, milestone)
    moderators = [moderator(committed).id, moderator(committed).id]
    dispute_id, charge = dispute.id, milestone.charge_id
    committed.commit()

    turn = iter(moderators)

    def resolve(session: Session) -> Any:
        user = session.get(User, next(turn))
        return services.resolve(
            session,
            gateway,
            dispute_id,
            moderator=user,
            outcome=outcome,
            refund_minor=4_000 if outcome == "split" else None,
            note="decided",
        ).state

    results = in_threads(app, 2, resolve)
    assert sum(1 for r in results if not isinstance(r, DomainError)) == 1
    assert sum(1 for r in results if isinstance(r, DomainError)) == 1
    committed.expire_all()
    stored = committed.get(Dispute, dispute_id)
    assert stored is not None and stored.state in (D.RESOLVED_REFUND, D.RESOLVED_SPLIT)
    assert committed.scalar(select(func.count()).select_from(PaymentRefund)) == 1
    resolutions = committed.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action.like("dispute.resolve_%"))
    )
    assert resolutions == 1
    refunds = [r for r in stripe_client(emulator).v1.refunds.list({"limit": 100}).data]
    assert [r.amount for r in refunds if r.charge == charge] == [
        10_000 if outcome == "refund" else 4_000
    ]
    kinds = committed.scalars(select(JournalEntry.kind)).all()
    assert kinds.count("refund") == 1
    assert_ledger_ok(committed)
