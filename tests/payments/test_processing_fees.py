"""Stripe's processing fee of each charge is booked from its balance transaction and
reconciled against it (issue 13): milestone funding, licence sale, contest prize, pool pledge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.contests.models import Contest
from app.devtools.stripe_emulator import EmulatorProcess
from app.jobs import run_due
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import JournalEntry, Posting
from app.settlement.reconcile import reconcile
from app.settlement.stripe_fees import book_processing_fee, fee_key
from tests.checkout_support import pay_licence
from tests.contests.test_contest_flow import _contest
from tests.factories import make_business
from tests.media.helpers import published_asset
from tests.payments.helpers import assert_ledger_ok, funded_milestone, stripe_client
from tests.pools.support import DEADLINE, make_pool, pledge

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the pool helpers' T0 too


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _stripe_fee(emulator: EmulatorProcess, charge_id: str) -> Any:
    """The charge's balance transaction, read from the emulator directly (not our gateway)."""
    client = stripe_client(emulator)
    charge = client.v1.charges.retrieve(charge_id)
    return client.v1.balance_transactions.retrieve(str(charge.balance_transaction))


def _fee_entries(session: Session, charge_id: str) -> list[tuple[str, int, str]]:
    return [
        (p.account, p.amount_minor, p.currency)
        for p in session.scalars(
            select(Posting)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(JournalEntry.key == fee_key(charge_id))
            .order_by(Posting.account)
        )
    ]


def _assert_booked(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, charge_id: str, fee: int
) -> None:
    txn = _stripe_fee(emulator, charge_id)
    # Stripe's standard card pricing as the emulator documents it: 2.9 % + 30 cents.
    assert txn.fee == fee and txn.net == txn.amount - fee
    assert [d["type"] for d in txn.fee_details] == ["stripe_fee"]
    assert _fee_entries(session, charge_id) == [
        (ledger.PLATFORM_FUNDS, -fee, "USD"),
        (ledger.STRIPE_FEES, fee, "USD"),
    ]
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_fee_booked_for_a_milestone_payment(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = funded_milestone(session, gateway, amount=10_000)
    charge_id = str(milestone.charge_id)
    _assert_booked(session, gateway, emulator, charge_id, 320)  # 10_000 * 2.9 % + 30
    entries = session.scalar(select(JournalEntry.id).where(JournalEntry.key == fee_key(charge_id)))
    assert book_processing_fee(session, gateway, charge_id) == 320  # once per charge
    assert session.scalars(
        select(JournalEntry.id).where(JournalEntry.kind == "stripe_fee")
    ).all() == [entries]


def test_fee_booked_for_a_licence_sale(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, storage: Any
) -> None:
    asset = published_asset(session, storage)
    licence = pay_licence(session, gateway, asset.id, make_business(session))
    price = licence.price_minor
    expected = round(price * 29 / 1000) + 30
    _assert_booked(session, gateway, emulator, str(licence.charge_id), expected)


def test_fee_booked_for_a_contest_prize(
    session: Session, client: FlaskClient, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    contest, _biz, _business = _contest(session, client, prize=30_000)
    charge_id = session.scalar(select(Contest.charge_id).where(Contest.id == contest["id"]))
    _assert_booked(session, gateway, emulator, str(charge_id), 900)  # 30_000 * 2.9 % + 30


def test_reconcile_finds_a_tampered_and_a_missing_fee(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, app: Any
) -> None:
    milestone = funded_milestone(session, gateway, amount=10_000)
    charge_id = str(milestone.charge_id)
    session.commit()
    ok = app.test_cli_runner().invoke(args=["ledger-check", "--reconcile"])
    assert ok.exit_code == 0, ok.output

    # Tampered: postings are append-only, so a wrong fee is a second stripe_fee entry for
    # the charge (balanced, so only Stripe's balance transaction can tell).
    ledger.post(
        session,
        key="tampered",
        kind="stripe_fee",
        currency="USD",
        lines=[(ledger.STRIPE_FEES, -20), (ledger.PLATFORM_FUNDS, 20)],
        memo=charge_id,
    )
    session.commit()
    assert ledger.check(session).ok
    assert reconcile(session, gateway) == [
        f"charge {charge_id} (milestone): Stripe's processing fee is 320 USD, our books 300 USD"
    ]
    bad = app.test_cli_runner().invoke(args=["ledger-check", "--reconcile"])
    assert bad.exit_code == 1 and "processing fee is 320 USD" in bad.output

    # Missing: the milestone's charge is one whose fee was never booked (paid at Stripe
    # outside our checkout); the fee we did book now belongs to no purchase.
    intent = stripe_client(emulator).v1.payment_intents.create(
        {
            "amount": 10_000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    assert intent.status == "succeeded"
    other = str(intent.latest_charge)  # an id, as on Stripe (not expanded)
    milestone.charge_id = other
    session.commit()
    assert reconcile(session, gateway) == [
        f"charge {other} (milestone): Stripe's processing fee is 320 USD, our books 0 USD",
        f"charge {charge_id}: a processing fee of 300 USD is booked but no purchase has "
        "this charge",
    ]


def test_fee_booked_for_every_charged_pool_pledge(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    pool = make_pool(session, currency="USD")
    pledges = [pledge(session, gateway, pool) for _ in range(3)]
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)  # the close job charges every pledge off-session
    for charged in pledges:
        session.refresh(charged)
        assert (charged.state, charged.amount_minor) == ("charged", 6000)
        _assert_booked(session, gateway, emulator, str(charged.charge_id), 204)  # 6000 * 2.9 % + 30
