"""Disputes through the services, the payments jobs and the Stripe emulator: freezing,
each resolution's exact money movements, settlement, withdrawal, chargebacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import services
from app.disputes.models import DisputeOrigin
from app.disputes.models import DisputeState as D
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.jobs import run_due
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import MilestoneState as S
from app.payments.models import PaymentRefund
from app.settlement.chargebacks import ChargedBack
from app.settlement.models import Payout
from tests.factories import make_creator
from tests.payments.helpers import (
    assert_ledger_ok,
    delivered_milestone,
    funded_milestone,
    onboard,
    stripe_client,
)

from .helpers import counts, moderator, open_on, under_review

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def refunds_of(emulator: EmulatorProcess, charge_id: str) -> list[Any]:
    refunds = stripe_client(emulator).v1.refunds.list({"limit": 100}).data
    return [r for r in refunds if r.charge == charge_id]


def transfers_to(emulator: EmulatorProcess, account_id: str) -> list[Any]:
    return stripe_client(emulator).v1.transfers.list({"destination": account_id}).data


def test_opening_freezes_auto_release(session: Session, gateway: PaymentGateway) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    dispute = open_on(session, milestone)
    assert milestone.state == S.DISPUTED and dispute.state == D.AWAITING_RESPONSE
    money = ledger.snapshot(session)
    # Past the 7-day review window: the auto-accept job runs and leaves it alone.
    clock.advance(timedelta(days=8))
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == S.DISPUTED and milestone.released_minor == 0
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 10_000
    assert ledger.snapshot(session)[0] == money[0]  # no journal entry booked


def test_chargeback_freezes_payout_and_opens_a_platform_dispute(
    client: Any, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    from tests.payments.test_webhooks import post_event

    milestone = delivered_milestone(session, gateway, amount=10_000)
    account_id = onboard(session, gateway, emulator, milestone.contract.creator)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    charge = str(milestone.charge_id)
    session.commit()
    stripe_dispute = emulator.open_dispute(charge)
    payload = {"id": stripe_dispute["id"], "object": "dispute", "charge": charge}
    response = post_event(client, "charge.dispute.created", payload)
    assert response.status_code == 200, response.get_json()
    again = post_event(client, "charge.dispute.created", payload)
    assert again.status_code == 200
    session.expire_all()
    disputes, _, _ = counts(session)
    assert disputes == 1
    dispute = services.active_for(session, milestone.id)
    assert dispute is not None and dispute.origin == DisputeOrigin.CHARGEBACK
    assert dispute.state == D.UNDER_REVIEW and dispute.milestone_state_before == "released"
    # Past the clearance hold: the payout job must not transfer a disputed milestone.
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == S.DISPUTED
    assert (
        session.scalar(
            select(func.count()).select_from(Payout).where(Payout.stripe_transfer_id.is_not(None))
        )
        == 0
    )
    assert transfers_to(emulator, account_id) == []
    with pytest.raises(InvalidTransition):
        payments.pay_out(session, gateway, milestone.id)

    # While the bank decides, a moderator can neither release nor refund (Stripe would refuse
    # the refund with charge_disputed; a release would pay money the bank already took).
    mod = moderator(session)
    before = ledger.snapshot(session)
    for outcome in ("release", "refund"):
        with pytest.raises(ChargedBack):
            services.resolve(session, gateway, dispute.id, moderator=mod, outcome=outcome, note="x")
    assert ledger.snapshot(session) == before

    # The bank decides for the creator: the case closes, the milestone is released again and
    # paid out once, later.
    emulator.close_dispute(stripe_dispute["id"], "won")
    response = post_event(client, "charge.dispute.closed", payload)
    assert response.status_code == 200, response.get_json()
    session.expire_all()
    milestone = session.get(type(milestone), milestone.id)
    assert milestone.state == S.RELEASED
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == S.PAID_OUT
    assert [t.amount for t in transfers_to(emulator, account_id)] == [9_000]
    assert_ledger_ok(session)


def test_release_resolution_pays_the_creator_once_after_the_hold(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    account_id = onboard(session, gateway, emulator, milestone.contract.creator)
    dispute = under_review(session, milestone)
    mod = moderator(session)
    services.resolve(
        session, gateway, dispute.id, moderator=mod, outcome="release", note="Work delivered."
    )
    assert dispute.state == D.RESOLVED_RELEASE and milestone.state == S.RELEASED
    assert (dispute.refund_minor, dispute.release_minor) == (0, 10_000)
    creator = milestone.contract.creator_id
    assert ledger.balance(session, ledger.creator_pending(creator), "USD") == 9_000
    assert ledger.balance(session, ledger.PLATFORM_FEES, "USD") >= 1_000
    assert refunds_of(emulator, milestone.charge_id or "") == []
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    run_due(session, gateway)
    assert [t.amount for t in transfers_to(emulator, account_id)] == [9_000]
    assert_ledger_ok(session)


def test_refund_resolution_refunds_exactly_once(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    dispute = under_review(session, milestone)
    mod = moderator(session)
    services.resolve(session, gateway, dispute.id, moderator=mod, outcome="refund", note="Late.")
    assert milestone.state == S.REFUNDED and dispute.state == D.RESOLVED_REFUND
    assert [r.amount for r in refunds_of(emulator, milestone.charge_id or "")] == [10_000]
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    before = ledger.snapshot(session)
    with pytest.raises(InvalidTransition):
        services.resolve(session, gateway, dispute.id, moderator=mod, outcome="refund", note="x")
    assert ledger.snapshot(session) == before
    assert len(refunds_of(emulator, milestone.charge_id or "")) == 1
    assert_ledger_ok(session)


def test_split_resolution_moves_each_share_exactly(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    account_id = onboard(session, gateway, emulator, milestone.contract.creator)
    dispute = under_review(session, milestone)
    mod = moderator(session)
    services.resolve(
        session,
        gateway,
        dispute.id,
        moderator=mod,
        outcome="split",
        refund_minor=3_000,
        note="Half done.",
    )
    assert dispute.state == D.RESOLVED_SPLIT and milestone.state == S.RELEASED
    assert (milestone.refunded_minor, milestone.released_minor, milestone.fee_minor) == (
        3_000,
        7_000,
        700,
    )
    assert [r.amount for r in refunds_of(emulator, milestone.charge_id or "")] == [3_000]
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    assert ledger.balance(session, ledger.REFUNDS, "USD") >= 3_000
    creator = milestone.contract.creator_id
    assert ledger.balance(session, ledger.creator_pending(creator), "USD") == 6_300
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    assert [t.amount for t in transfers_to(emulator, account_id)] == [6_300]
    assert_ledger_ok(session)


@pytest.mark.parametrize("refund", [0, 10_000, -5, 12_000])
def test_split_needs_a_share_strictly_inside(
    session: Session, gateway: PaymentGateway, refund: int
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    dispute = under_review(session, milestone)
    before, rows = ledger.snapshot(session), counts(session)
    with pytest.raises(ValidationFailed):
        services.resolve(
            session,
            gateway,
            dispute.id,
            moderator=moderator(session),
            outcome="split",
            refund_minor=refund,
            note="x",
        )
    assert ledger.snapshot(session) == before and counts(session) == rows
    assert dispute.state == D.UNDER_REVIEW


def test_only_staff_resolve_and_only_under_review(
    session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    dispute = open_on(session, milestone)
    before = ledger.snapshot(session), counts(session)
    with pytest.raises(PermissionDenied):
        services.resolve(
            session,
            gateway,
            dispute.id,
            moderator=make_creator(session),
            outcome="refund",
            note="x",
        )
    with pytest.raises(InvalidTransition):  # still awaiting the response
        services.resolve(
            session, gateway, dispute.id, moderator=moderator(session), outcome="refund", note="x"
        )
    assert (ledger.snapshot(session), counts(session)[:2]) == (before[0], before[1][:2])


def test_settlement_by_agreement(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    contract = milestone.contract
    dispute = open_on(session, milestone)
    services.propose_settlement(session, dispute.id, user=contract.business, refund_minor=4_000)
    with pytest.raises(PermissionDenied):  # one cannot accept one's own proposal
        services.accept_settlement(
            session, gateway, dispute.id, user=contract.business, refund_minor=4_000
        )
    with pytest.raises(Conflict):  # the amount must be the one proposed
        services.accept_settlement(
            session, gateway, dispute.id, user=contract.creator, refund_minor=3_000
        )
    assert refunds_of(emulator, milestone.charge_id or "") == []
    services.accept_settlement(
        session, gateway, dispute.id, user=contract.creator, refund_minor=4_000
    )
    assert dispute.state == D.SETTLED and milestone.state == S.RELEASED
    assert (dispute.refund_minor, dispute.release_minor) == (4_000, 6_000)
    assert [r.amount for r in refunds_of(emulator, milestone.charge_id or "")] == [4_000]
    assert session.scalar(select(func.count()).select_from(PaymentRefund)) == 1
    assert_ledger_ok(session)


def test_withdrawal_returns_the_milestone_with_a_fresh_review_window(
    session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    dispute = open_on(session, milestone, by="business")
    with pytest.raises(PermissionDenied):
        services.withdraw(session, dispute.id, user=milestone.contract.creator)
    services.withdraw(session, dispute.id, user=milestone.contract.business)
    assert dispute.state == D.WITHDRAWN and milestone.state == S.DELIVERED
    assert milestone.review_due_at == clock.now() + timedelta(days=7)
    clock.advance(timedelta(days=8))
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == S.RELEASED  # auto-accepted after the new window
    # The milestone can be disputed again? Not once released.
    with pytest.raises(InvalidTransition):
        open_on(session, milestone)


def test_opening_rules(session: Session, gateway: PaymentGateway) -> None:
    milestone = funded_milestone(session, gateway)
    stranger = make_creator(session)
    before = counts(session), ledger.snapshot(session)
    with pytest.raises(NotFound):
        services.open_dispute(session, milestone.id, user=stranger, reason="x")
    with pytest.raises(ValidationFailed):
        open_on(session, milestone, reason="  ")
    assert (counts(session), ledger.snapshot(session)) == before
    open_on(session, milestone, by="creator")
    with pytest.raises(Conflict):
        open_on(session, milestone)
    assert counts(session)[0] == before[0][0] + 1


def test_respondent_only_responds(session: Session, gateway: PaymentGateway) -> None:
    milestone = funded_milestone(session, gateway)
    dispute = open_on(session, milestone)
    with pytest.raises(PermissionDenied):
        services.respond(session, dispute.id, user=milestone.contract.business, response="me")
    services.respond(session, dispute.id, user=milestone.contract.creator, response="no")
    assert dispute.state == D.UNDER_REVIEW
    with pytest.raises(InvalidTransition):
        services.respond(session, dispute.id, user=milestone.contract.creator, response="again")
