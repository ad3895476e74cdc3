"""Lifecycles that span machines: contracts complete when their money is settled, a refund
closes the dispute it makes moot, a late first webhook is news rather than an error."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import clock, jobs
from app.contracts.models import ContractStatus
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import services as disputes
from app.disputes.models import DisputeState
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import MilestoneState, StripeEvent
from tests.factories import api_token, login
from tests.payments.helpers import (
    assert_ledger_ok,
    delivered_milestone,
    first_milestone,
    make_contract,
    onboard,
)
from tests.stripe_support import event_payload, sign

T0 = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def test_a_contract_completes_when_its_last_milestone_is_paid_out(
    client: FlaskClient,
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    frozen: Any,
) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    onboard(session, gateway, emulator, contract.creator)
    payments.accept(session, milestone.id, business=contract.business)
    assert contract.status is ContractStatus.ACTIVE  # released, not paid yet
    clock.advance(timedelta(days=15))
    jobs.run_due(session, gateway)
    session.refresh(contract)
    assert milestone.state == MilestoneState.PAID_OUT
    assert contract.status is ContractStatus.COMPLETED
    login(client, contract.creator)
    assert "Completed" in client.get(f"/contracts/{contract.id}").text
    api = client.get(
        f"/api/v1/contracts/{contract.id}", headers=api_token(session, contract.business)
    )
    assert api.json["status"] == "completed"


def test_a_contract_whose_milestones_were_all_cancelled_is_cancelled(
    session: Session, gateway: PaymentGateway
) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    payments.cancel(session, gateway, milestone.id, actor=contract.business)
    assert contract.status is ContractStatus.CANCELLED
    with pytest.raises(Exception, match="no longer active"):
        payments.fund(session, gateway, milestone.id, business=contract.business)


def test_a_refund_during_an_open_dispute_closes_it(
    session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    dispute = disputes.open_dispute(session, milestone.id, user=contract.business, reason="Late")
    payments.refund(session, gateway, milestone.id, actor=contract.creator, reason="Sorry")
    session.refresh(dispute)
    assert dispute.state is DisputeState.RESOLVED_REFUND and not dispute.active
    assert dispute.refund_minor == milestone.funded_minor
    assert contract.status is ContractStatus.COMPLETED
    assert milestone.state == MilestoneState.REFUNDED
    # Its timers find nothing to do any more (they used to retry forever).
    clock_later = clock.now() + timedelta(days=60)
    with clock.frozen_at(clock_later):
        report = jobs.run_due(session, gateway)
    assert report.failed == 0 and report.retried == 0
    assert_ledger_ok(session)


def test_a_first_payment_webhook_after_delivery_is_not_an_error(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    event_id = f"evt_{uuid.uuid4().hex}"
    payload = event_payload(
        event_id,
        "payment_intent.succeeded",
        {"id": milestone.payment_intent_id, "object": "payment_intent"},
    )
    response = client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload)},
    )
    assert response.status_code == 200
    stored = session.get(StripeEvent, event_id)
    assert stored is not None and not stored.outcome.startswith("error")
    assert milestone.state == MilestoneState.DELIVERED
