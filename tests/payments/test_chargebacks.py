"""Chargebacks through the one settlement path, driven by the emulator's real disputes over
HTTP (issue 13): lost after payout and won, for milestones and licences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import services as disputes
from app.disputes.models import DisputeState
from app.jobs import run_due
from app.media.models import LicenseStatus, MediaLicense
from app.payments import ledger, refunds
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone
from app.payments.models import MilestoneState as S
from app.settlement.chargebacks import ChargedBack
from app.settlement.models import Chargeback, ChargebackStatus, Payout, PayoutState
from app.settlement.reconcile import reconcile
from tests.checkout_support import pay_licence
from tests.factories import login, make_business, make_user
from tests.media.helpers import published_asset
from tests.payments.helpers import (
    assert_ledger_ok,
    delivered_milestone,
    onboard,
    paid_out_milestone,
    stripe_client,
)
from tests.payments.test_webhooks import post_event

FEE_USD = 1_500  # the emulator's (and Stripe's US) dispute fee
PROCESSING_FEE_USD = 320  # Stripe's fee on the 100.00 charge: 2.9 % + 30 cents
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _dispute_event(client: FlaskClient, kind: str, stripe_dispute: dict[str, Any]) -> None:
    payload = {"id": stripe_dispute["id"], "object": "dispute"}
    response = post_event(client, f"charge.dispute.{kind}", payload)
    assert response.status_code == 200, response.get_json()


def _payout(session: Session, subject_type: str, subject_id: int) -> Payout:
    session.expire_all()
    payout = session.scalar(
        select(Payout).where(Payout.subject_type == subject_type, Payout.subject_id == subject_id)
    )
    assert payout is not None
    return payout


def _transfer(emulator: EmulatorProcess, transfer_id: str | None) -> Any:
    assert transfer_id
    return stripe_client(emulator).v1.transfers.retrieve(transfer_id)


def test_milestone_chargeback_lost_after_payout(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = paid_out_milestone(session, gateway, emulator)
    creator_id = milestone.contract.creator_id
    stripe_dispute = emulator.open_dispute(str(milestone.charge_id))
    _dispute_event(client, "created", stripe_dispute)
    _dispute_event(client, "funds_withdrawn", stripe_dispute)  # a duplicate step: no-op

    session.expire_all()
    chargeback = session.scalar(select(Chargeback))
    assert chargeback is not None and chargeback.status is ChargebackStatus.OPEN
    assert (chargeback.amount_minor, chargeback.fee_minor) == (10_000, FEE_USD)
    assert chargeback.state_before == "paid_out"
    milestone = session.get(Milestone, milestone.id)
    assert milestone is not None and milestone.state == S.DISPUTED
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == 10_000
    assert ledger.balance(session, ledger.DISPUTE_FEES, "USD") == FEE_USD
    case = disputes.active_for(session, milestone.id)
    assert case is not None and case.stripe_dispute_id == stripe_dispute["id"]

    # No refund of a charged-back payment (Stripe: charge_disputed): nothing booked.
    before = ledger.snapshot(session)
    admin = make_user(session, admin=True)
    with pytest.raises(ChargedBack):
        refunds.refund(session, gateway, milestone.id, actor=admin, reason="double")
    assert ledger.snapshot(session) == before

    # The moderator's evidence goes to Stripe from the chargebacks page.
    mod = make_user(session, moderator=True)
    session.commit()
    login(client, mod)
    page = client.get("/moderation/chargebacks")
    assert page.status_code == 200 and stripe_dispute["id"] in page.text
    url = f"/moderation/chargebacks/{chargeback.id}/evidence"
    assert client.post(url, data={"evidence": ""}).status_code == 422
    response = client.post(url, data={"evidence": "Logo delivered on time."})
    assert response.status_code == 302, response.text[:500]
    at_stripe = stripe_client(emulator).v1.disputes.retrieve(stripe_dispute["id"])
    assert at_stripe.evidence.uncategorized_text == "Logo delivered on time."
    assert at_stripe.status == "under_review"

    # The bank decides for the cardholder: the creator's transfer is reversed.
    emulator.close_dispute(stripe_dispute["id"], "lost")
    _dispute_event(client, "closed", stripe_dispute)
    _dispute_event(client, "closed", stripe_dispute)  # again: applied once

    payout = _payout(session, "milestone", milestone.id)
    assert payout.state is PayoutState.REVERSED
    assert _transfer(emulator, payout.stripe_transfer_id).amount_reversed == 9_000
    milestone = session.get(Milestone, milestone.id)
    assert milestone is not None and milestone.state == S.REFUNDED
    assert disputes.active_for(session, milestone.id) is None
    assert ledger.balance(session, ledger.creator_paid(creator_id), "USD") == 0
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == 10_000
    # The platform is out of pocket by the dispute fee and the charge's processing fee.
    assert ledger.balance(session, ledger.PLATFORM_FUNDS, "USD") == -(FEE_USD + PROCESSING_FEE_USD)
    assert ledger.balance(session, ledger.STRIPE_FEES, "USD") == PROCESSING_FEE_USD
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_milestone_chargeback_won_before_payout(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    account_id = onboard(session, gateway, emulator, milestone.contract.creator)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    session.commit()
    stripe_dispute = emulator.open_dispute(str(milestone.charge_id))
    _dispute_event(client, "created", stripe_dispute)

    # Past the hold: the payout waits while the bank decides; a moderator cannot release.
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    payout = _payout(session, "milestone", milestone.id)
    assert payout.state is PayoutState.SCHEDULED and payout.stripe_transfer_id is None
    assert payout.blocked_reason
    case = disputes.active_for(session, milestone.id)
    assert case is not None
    with pytest.raises(ChargedBack):
        disputes.resolve(
            session,
            gateway,
            case.id,
            moderator=make_user(session, moderator=True),
            outcome="release",
            note="x",
        )
    session.rollback()

    emulator.close_dispute(stripe_dispute["id"], "won")
    _dispute_event(client, "funds_reinstated", stripe_dispute)
    session.expire_all()
    milestone = session.get(Milestone, milestone.id)
    assert milestone is not None and milestone.state == S.RELEASED
    case = session.get(type(case), case.id)
    assert case is not None and case.state == DisputeState.WITHDRAWN
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == S.PAID_OUT
    transfers = stripe_client(emulator).v1.transfers.list({"destination": account_id}).data
    assert [t.amount for t in transfers] == [9_000]
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == 0
    assert ledger.balance(session, ledger.DISPUTE_FEES, "USD") == FEE_USD
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def _sold_licence(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, storage: Any
) -> MediaLicense:
    asset = published_asset(session, storage)
    onboard(session, gateway, emulator, asset.creator)
    licence = pay_licence(session, gateway, asset.id, make_business(session))
    session.commit()
    return licence


def test_licence_chargeback_lost_after_payout(
    client: FlaskClient,
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    storage: Any,
) -> None:
    licence = _sold_licence(session, gateway, emulator, storage)
    clock.advance(timedelta(days=15))
    run_due(session, gateway)
    payout = _payout(session, "media_license", licence.id)
    assert payout.state is PayoutState.PAID
    session.commit()

    stripe_dispute = emulator.open_dispute(str(licence.charge_id))
    _dispute_event(client, "created", stripe_dispute)
    emulator.close_dispute(stripe_dispute["id"], "lost")
    _dispute_event(client, "closed", stripe_dispute)

    payout = _payout(session, "media_license", licence.id)
    assert payout.state is PayoutState.REVERSED
    assert _transfer(emulator, payout.stripe_transfer_id).amount_reversed == payout.net_minor
    licence = session.get(MediaLicense, licence.id)
    assert licence is not None and licence.status is LicenseStatus.CHARGED_BACK
    assert ledger.balance(session, ledger.creator_paid(licence.creator_id), "USD") == 0
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == licence.price_minor
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_licence_chargeback_won_holds_then_pays(
    client: FlaskClient,
    session: Session,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
    storage: Any,
) -> None:
    licence = _sold_licence(session, gateway, emulator, storage)
    stripe_dispute = emulator.open_dispute(str(licence.charge_id))
    _dispute_event(client, "created", stripe_dispute)
    clock.advance(timedelta(days=15))
    run_due(session, gateway)
    payout = _payout(session, "media_license", licence.id)
    assert payout.state is PayoutState.SCHEDULED and payout.stripe_transfer_id is None

    emulator.close_dispute(stripe_dispute["id"], "won")
    _dispute_event(client, "closed", stripe_dispute)
    run_due(session, gateway)
    payout = _payout(session, "media_license", licence.id)
    assert payout.state is PayoutState.PAID
    licence = session.get(MediaLicense, licence.id)
    assert licence is not None and licence.status is LicenseStatus.ACTIVE
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == 0
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []
