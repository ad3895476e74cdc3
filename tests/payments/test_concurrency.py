"""Real concurrency on PostgreSQL: threads with their own sessions and real commits."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.devtools.stripe_emulator import EmulatorProcess
from app.errors import DomainError
from app.extensions import db
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import JournalEntry, MilestoneState
from app.settlement.models import Payout
from tests.stripe_support import event_payload, sign

from .helpers import (
    assert_ledger_ok,
    delivered_milestone,
    first_milestone,
    make_contract,
    onboard,
    stripe_client,
)

pytestmark = pytest.mark.postgres


def in_threads(app: Flask, count: int, work: Callable[[Session], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads at once, each with its own session; collect results
    (the return value, or the DomainError raised)."""
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        with app.app_context():
            session = db.session()
            barrier.wait()
            try:
                outcome: Any = work(session)
                session.commit()
            except DomainError as exc:
                session.rollback()
                outcome = exc
            finally:
                db.session.remove()
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == count
    return results


def test_twenty_parallel_accepts_and_payouts_pay_once(
    app: Flask, committed: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    with clock.frozen_at(datetime(2026, 4, 1, tzinfo=UTC)):
        milestone = delivered_milestone(committed, gateway, amount=10_000)
        account_id = onboard(committed, gateway, emulator, milestone.contract.creator)
        business_id, milestone_id = milestone.contract.business_id, milestone.id
        committed.commit()

        def accept(session: Session) -> Any:
            business = session.get(User, business_id)
            return services.accept(session, milestone_id, business=business).state

        results = in_threads(app, 20, accept)
        assert sum(1 for r in results if r == MilestoneState.RELEASED) == 1
        assert all(isinstance(r, DomainError) for r in results if r != MilestoneState.RELEASED)

        clock.advance(timedelta(days=15))
        payouts = in_threads(app, 20, lambda s: services.pay_out(s, gateway, milestone_id).id)
        assert len({p for p in payouts if isinstance(p, int)}) == 1

    committed.expire_all()
    assert (
        committed.scalar(
            select(func.count()).select_from(Payout).where(Payout.stripe_transfer_id.is_not(None))
        )
        == 1
    )
    transfers = stripe_client(emulator).v1.transfers.list({"destination": account_id}).data
    assert len(transfers) == 1 and transfers[0].amount == 9_000
    assert (
        committed.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "release")
        )
        == 1
    )
    assert_ledger_ok(committed)
    result = app.test_cli_runner().invoke(args=["ledger-check"])
    assert result.exit_code == 0, result.output


def test_same_webhook_ten_times_at_once_has_one_effect(
    app: Flask, committed: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    contract = make_contract(committed, amount=6_000)
    milestone_id = first_milestone(committed, contract).id
    intent = services.fund(committed, gateway, milestone_id, business=contract.business)
    committed.commit()
    stripe = stripe_client(emulator)
    stripe.v1.payment_intents.update(intent.payment_intent_id, {"payment_method": "pm_card_visa"})
    stripe.v1.payment_intents.confirm(intent.payment_intent_id)
    payload = event_payload(
        f"evt_{uuid.uuid4().hex}",
        "payment_intent.succeeded",
        {"id": intent.payment_intent_id, "object": "payment_intent"},
    )
    barrier = threading.Barrier(10)
    answers: list[tuple[int, Any]] = []

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/stripe/webhook", data=payload, headers={"Stripe-Signature": sign(payload)}
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [code for code, _ in answers] == [200] * 10
    assert sum(1 for _, body in answers if body == {"status": "duplicate"}) == 9
    committed.expire_all()
    assert ledger.balance(committed, ledger.escrow(milestone_id), "USD") == 6_000
    assert (
        committed.scalar(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.kind == "fund")
        )
        == 1
    )
    assert_ledger_ok(committed)
