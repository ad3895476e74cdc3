"""Refund after payout is two Stripe calls (reverse the transfer, then refund): a failure of the
second leaves the first done at Stripe, and trying again resumes instead of reversing twice,
even after Stripe forgot the first call's idempotency key (issue 13)."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import clock, settlement
from app.devtools.stripe_emulator import EmulatorProcess
from app.payments import ledger, refunds
from app.payments.gateway import GatewayError, PaymentGateway
from app.payments.models import MilestoneState as S
from app.settlement.models import PayoutState
from app.settlement.reconcile import reconcile
from tests.factories import make_user
from tests.payments.helpers import assert_ledger_ok, paid_out_milestone, stripe_client

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _fail_next_refund(emulator: EmulatorProcess) -> None:
    request = urllib.request.Request(
        emulator.api_base + "/_config/fail_next_requests",
        data=json.dumps({"path": "/v1/refunds", "mode": "api_error"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_a_failed_refund_after_the_reversal_resumes_without_reversing_twice(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = paid_out_milestone(session, gateway, emulator)
    milestone_payout = settlement.payout_for(session, "milestone", milestone.id)
    assert milestone_payout is not None
    payout = milestone_payout
    transfer_id = str(payout.stripe_transfer_id)
    session.commit()
    admin = make_user(session, admin=True)
    session.commit()

    _fail_next_refund(emulator)
    before = ledger.snapshot(session)
    with pytest.raises(GatewayError, match="try again to finish it"):
        refunds.refund(session, gateway, milestone.id, actor=admin, reason="cancelled")
    session.rollback()  # what the request's unit of work does
    assert ledger.snapshot(session) == before
    stripe = stripe_client(emulator)
    assert stripe.v1.transfers.retrieve(transfer_id).amount_reversed == 9_000  # step 1 done

    # A day later (Stripe forgot the reversal's key): trying again finishes the refund.
    emulator.advance_clock(25 * 3600)
    clock.advance(timedelta(hours=25))
    record = refunds.refund(session, gateway, milestone.id, actor=admin, reason="cancelled")
    session.refresh(milestone)
    session.refresh(milestone_payout)
    assert milestone.state == S.REFUNDED and milestone_payout.state is PayoutState.REVERSED
    reversals = stripe.v1.transfers.reversals.list(transfer_id).data
    assert [r.amount for r in reversals] == [9_000]  # reversed once
    assert record.stripe_reversal_id == reversals[0].id
    assert stripe.v1.charges.retrieve(str(milestone.charge_id)).amount_refunded == 10_000
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []
