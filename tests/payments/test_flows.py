"""End to end through the local Stripe emulator over HTTP, with the app's own services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.devtools.stripe_emulator import EmulatorProcess
from app.errors import Conflict, InvalidTransition, PermissionDenied
from app.jobs import Job, JobStatus, run_due
from app.payments import ledger, services
from app.payments.gateway import CardDeclined, PaymentGateway
from app.payments.models import MilestoneState
from app.settlement import payout_for
from tests.checkout_support import pay_milestone

from .helpers import (
    DECLINED,
    VISA,
    assert_ledger_ok,
    delivered_milestone,
    first_milestone,
    funded_milestone,
    make_contract,
    onboard,
    stripe_client,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def test_fund_deliver_accept_hold_transfer(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, frozen: object
) -> None:
    contract = make_contract(session, amount=20_000)
    milestone = first_milestone(session, contract)
    assert milestone.state == MilestoneState.PENDING and milestone.amount_minor == 20_000

    intent = services.fund(session, gateway, milestone.id, business=contract.business)
    assert intent.client_secret and intent.amount_minor == 20_000
    again = services.fund(session, gateway, milestone.id, business=contract.business)
    assert again.payment_intent_id == intent.payment_intent_id  # no second PaymentIntent
    pi = stripe_client(emulator).v1.payment_intents.retrieve(intent.payment_intent_id)
    assert pi.transfer_group == f"contract-{contract.id}"
    assert pi.metadata["milestone_id"] == str(milestone.id)

    pay_milestone(session, gateway, milestone.id, contract.business, VISA)
    assert milestone.state == MilestoneState.FUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 20_000
    # The webhook path arriving afterwards is a no-op.
    services.confirm_funding(session, gateway, intent.payment_intent_id)
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 20_000

    account_id = onboard(session, gateway, emulator, contract.creator)
    services.deliver(
        session, milestone.id, creator=contract.creator, message="Done", files=["a.png"]
    )
    services.accept(session, milestone.id, business=contract.business)
    assert milestone.state == MilestoneState.RELEASED
    # Neutral reputation: 10% fee, 8 day hold.
    assert (milestone.fee_bp, milestone.fee_minor, milestone.hold_hours) == (1000, 2_000, 192)
    assert milestone.clears_at == T0 + timedelta(days=8)
    pending = ledger.balance(session, ledger.creator_pending(contract.creator_id), "USD")
    assert pending == 18_000

    earnings = services.earnings(session, contract.creator_id)
    assert earnings.pending == {"USD": 18_000} and earnings.clearing[0].clears_at == T0 + timedelta(
        days=8
    )
    assert earnings.terms.fee_bp == 1000 and earnings.terms.hold_hours == 192

    with pytest.raises(Conflict):  # still clearing
        services.pay_out(session, gateway, milestone.id)
    run_due(session, gateway)  # the notification mails so far (app.notifications)
    assert run_due(session, gateway).done == 0
    clock.advance(timedelta(days=8))
    report = run_due(session, gateway)
    # the transfer, the stale auto-accept and reminder timers (no-ops), the "payout sent" mail
    assert report.done == 4
    session.refresh(milestone)
    assert milestone.state == MilestoneState.PAID_OUT
    transfer = payout_for(session, "milestone", milestone.id)
    assert transfer is not None and transfer.net_minor == 18_000
    remote = stripe_client(emulator).v1.transfers.retrieve(transfer.stripe_transfer_id)
    assert remote.destination == account_id and remote.amount == 18_000
    assert remote.source_transaction == milestone.charge_id
    assert ledger.balance(session, ledger.creator_paid(contract.creator_id), "USD") == 18_000
    assert ledger.balance(session, ledger.PLATFORM_FEES, "USD") >= 2_000
    assert services.earnings(session, contract.creator_id).paid == {"USD": 18_000}
    history = services.payment_history(session, contract.business_id)
    assert [(r.milestone_id, r.state) for r in history] == [(milestone.id, "paid_out")]
    assert_ledger_ok(session)


def test_auto_accept_after_review_window(
    session: Session, gateway: PaymentGateway, frozen: object
) -> None:
    milestone = delivered_milestone(session, gateway)
    assert milestone.review_due_at == T0 + timedelta(days=7)
    clock.advance(timedelta(days=6, hours=23))
    run_due(session, gateway)
    assert milestone.state == MilestoneState.DELIVERED
    clock.advance(timedelta(hours=1))
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == MilestoneState.RELEASED
    # The payout timer waits for an onboarded creator and keeps pending.
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    payout = payout_for(session, "milestone", milestone.id)
    assert payout is not None
    job = session.scalar(select(Job).where(Job.key == f"payout-{payout.id}"))
    assert job is not None and job.status == JobStatus.PENDING
    assert_ledger_ok(session)


def test_changes_requested_is_bounded(
    session: Session, gateway: PaymentGateway, frozen: object
) -> None:
    milestone = delivered_milestone(session, gateway)
    business, creator = milestone.contract.business, milestone.contract.creator
    for _ in range(milestone.max_revisions):
        services.request_changes(session, milestone.id, business=business, note="Bigger")
        assert milestone.state == MilestoneState.CHANGES_REQUESTED
        services.deliver(session, milestone.id, creator=creator, message="v2")
    with pytest.raises(Conflict):
        services.request_changes(session, milestone.id, business=business, note="Again")
    # An old auto-accept timer (first delivery) does not release before the newest window.
    clock.advance(timedelta(days=7))
    run_due(session, gateway)
    assert milestone.state == MilestoneState.RELEASED
    assert_ledger_ok(session)


def test_declined_card_leaves_milestone_pending(session: Session, gateway: PaymentGateway) -> None:
    contract = make_contract(session)
    milestone = first_milestone(session, contract)
    before = ledger.snapshot(session)
    with pytest.raises(CardDeclined):
        pay_milestone(session, gateway, milestone.id, contract.business, DECLINED)
    assert milestone.state == MilestoneState.PENDING
    assert ledger.snapshot(session) == before


def test_refund_before_release(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = funded_milestone(session, gateway, amount=5_000)
    business, creator = milestone.contract.business, milestone.contract.creator
    before = ledger.snapshot(session)
    # The business cannot take escrowed money back alone: it asks, the creator agrees.
    with pytest.raises(PermissionDenied):
        services.refund(session, gateway, milestone.id, actor=business, reason="changed mind")
    services.request_refund(session, milestone.id, business=business, reason="changed mind")
    assert milestone.state == MilestoneState.FUNDED and ledger.snapshot(session) == before
    record = services.refund(session, gateway, milestone.id, actor=creator, reason="agreed")
    assert milestone.state == MilestoneState.REFUNDED
    remote = stripe_client(emulator).v1.refunds.retrieve(record.stripe_refund_id)
    assert remote.amount == 5_000
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    assert ledger.balance(session, ledger.REFUNDS, "USD") >= 5_000
    with pytest.raises(InvalidTransition):
        services.refund(session, gateway, milestone.id, actor=creator)
    assert_ledger_ok(session)


def test_refund_after_transfer_reverses_it(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, frozen: object
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    creator = milestone.contract.creator
    onboard(session, gateway, emulator, creator)
    services.accept(session, milestone.id, business=milestone.contract.business)
    clock.advance(timedelta(days=8))
    transfer = services.pay_out(session, gateway, milestone.id)
    assert services.pay_out(session, gateway, milestone.id).id == transfer.id  # idempotent

    record = services.refund(session, gateway, milestone.id, actor=creator, reason="dispute")
    assert milestone.state == MilestoneState.REFUNDED and record.stripe_reversal_id
    client = stripe_client(emulator)
    assert client.v1.transfers.retrieve(transfer.stripe_transfer_id).amount_reversed == 9_000
    assert client.v1.charges.retrieve(milestone.charge_id).amount_refunded == 10_000
    assert ledger.balance(session, ledger.creator_paid(creator.id), "USD") == 0
    assert ledger.balance(session, ledger.creator_pending(creator.id), "USD") == 0
    assert_ledger_ok(session)


@pytest.mark.parametrize("mode", ["api_error", "connection_lost"])
def test_failed_transfer_is_retried_with_the_same_key_and_pays_once(
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    frozen: object,
    mode: str,
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    account_id = onboard(session, gateway, emulator, milestone.contract.creator)
    services.accept(session, milestone.id, business=milestone.contract.business)
    clock.advance(timedelta(days=8))
    emulator.fail_next_transfers(count=1, destination=account_id, mode=mode)

    first = run_due(session, gateway)
    assert first.retried == 1  # (the stale auto-accept timer is "done")
    session.refresh(milestone)
    assert milestone.state == MilestoneState.RELEASED
    payout = payout_for(session, "milestone", milestone.id)
    assert payout is not None
    job = session.scalar(select(Job).where(Job.key == f"payout-{payout.id}"))
    assert (
        job is not None and job.attempts == 1 and job.due_at == clock.now() + timedelta(minutes=1)
    )

    clock.advance(timedelta(minutes=1))
    assert run_due(session, gateway).done == 2  # the transfer and the "payout sent" mail
    session.refresh(milestone)
    assert milestone.state == MilestoneState.PAID_OUT
    transfers = stripe_client(emulator).v1.transfers.list({"destination": account_id}).data
    assert len(transfers) == 1 and transfers[0].amount == 9_000
    assert_ledger_ok(session)


def test_split_into_milestones_before_funding(session: Session, gateway: PaymentGateway) -> None:
    contract = make_contract(session, amount=30_000)
    parts = [
        services.MilestonePlan("Sketches", 10_000),
        services.MilestonePlan("Final", 20_000),
    ]
    created = services.split(session, contract.id, parts, actor=contract.business)
    assert [m.amount_minor for m in services.milestones_of(session, contract.id)] == [
        10_000,
        20_000,
    ]
    pay_milestone(session, gateway, created[0].id, contract.business, VISA)
    with pytest.raises(Conflict):
        services.split(session, contract.id, parts, actor=contract.business)
    assert_ledger_ok(session)
