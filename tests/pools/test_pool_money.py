"""A pool's money from pledge to payout, through the Stripe emulator and the job queue:
charged at the tier price reached, escrow per pledger, acceptance (or its window), the one
settlement path; failure, cancellation, withdrawal and authentication needed off-session."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.audit import AuditEvent
from app.errors import Conflict
from app.jobs import run_due
from app.payments import ledger
from app.pools import delivery, pledging
from app.pools.models import DemandPool, PoolPledge
from app.settlement.models import Payout
from tests.checkout_support import ALWAYS_AUTHENTICATE, THREE_D_SECURE, VISA, stripe_js_confirm
from tests.payments.helpers import onboard
from tests.pools.support import DEADLINE, T0, make_pool, pledge


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _fresh(session, pool_id: int) -> DemandPool:
    session.expire_all()
    return session.get(DemandPool, pool_id)


def _states(pool: DemandPool) -> list[str]:
    return [p.state.value for p in pool.pledges]


def _escrow(session, pledge: PoolPledge) -> int:
    return ledger.balance(session, ledger.escrow_pool_pledge(pledge.id), "EUR")


def test_three_pledges_charged_tier_price_then_delivered_accepted_paid_out(
    session, gateway, emulator, frozen
) -> None:
    pool = make_pool(session)
    pledges = [pledge(session, gateway, pool, card) for card in (VISA, THREE_D_SECURE, VISA)]
    assert [p.state.value for p in pledges] == ["active"] * 3
    snapshot = ledger.snapshot(session)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    # Three pledges reach the 60.00 tier: everyone pays 60.00, not the 80.00 of two.
    assert pool.state == "delivering" and pool.price_minor == 6000
    assert _states(pool) == ["charged"] * 3
    assert all(p.amount_minor == 6000 and _escrow(session, p) == 6000 for p in pool.pledges)
    assert ledger.snapshot(session) != snapshot and ledger.check(session).ok
    with pytest.raises(Conflict):
        delivery.accept(session, pool.id, pool.pledges[0].business)
    delivery.deliver(session, pool.id, pool.creator, note="https://example.com/pack.zip")
    first = delivery.accept(session, pool.id, pool.pledges[0].business)
    assert first.state == "released" and _escrow(session, first) == 0
    assert _fresh(session, pool.id).state == "delivered"
    # The others say nothing: the acceptance window accepts for them.
    clock.advance(timedelta(days=7, minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "settled" and _states(pool) == ["released"] * 3
    payouts = session.scalars(select(Payout).where(Payout.subject_type == "pool_pledge")).all()
    assert len(payouts) == 3 and {p.gross_minor for p in payouts} == {6000}
    fee = sum(p.fee_minor for p in payouts)
    assert fee > 0
    assert ledger.balance(session, ledger.creator_pending(pool.creator_id), "EUR") == 18000 - fee
    onboard(session, gateway, emulator, pool.creator)
    clock.advance(timedelta(days=30))
    run_due(session, gateway)
    assert ledger.balance(session, ledger.creator_paid(pool.creator_id), "EUR") == 18000 - fee
    assert ledger.balance(session, ledger.creator_pending(pool.creator_id), "EUR") == 0
    assert ledger.check(session).ok


def test_failed_pool_charges_nobody(session, gateway, frozen) -> None:
    pool = make_pool(session, min_pledges=3)
    pledge(session, gateway, pool)
    pledge(session, gateway, pool)
    before = ledger.snapshot(session)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "failed" and _states(pool) == ["void", "void"]
    assert all(p.payment_intent_id is None and p.amount_minor == 0 for p in pool.pledges)
    assert ledger.snapshot(session) == before


def test_authentication_needed_one_completes_one_lapses_tier_recomputed(
    session, gateway, frozen
) -> None:
    pool = make_pool(session)
    card_ok = pledge(session, gateway, pool, VISA)
    completes = pledge(session, gateway, pool, ALWAYS_AUTHENTICATE)
    lapses = pledge(session, gateway, pool, ALWAYS_AUTHENTICATE)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "funded" and pool.price_minor == 6000 and pool.grace_until
    assert _states(pool) == ["charged", "action_required", "action_required"]
    # The business whose bank wants authentication completes it on-session (3-D Secure).
    pledge_row, intent = delivery.completion(session, gateway, completes.id, completes.business)
    paid = stripe_js_confirm(str(intent.client_secret), payment_method=pledge_row.payment_method_id)
    assert paid["status"] == "succeeded"
    assert delivery.confirm_from_webhook(session, gateway, intent.id) == "pool pledge charged"
    clock.advance(timedelta(hours=49))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "delivering"
    assert _states(pool) == ["charged", "charged", "lapsed"]
    assert gateway.retrieve_payment_intent(str(lapses.payment_intent_id)).status == "canceled"
    recomputed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "demand_pool.tier_recomputed")
    ).all()
    assert recomputed[-1].data["pledges"] == 2 and recomputed[-1].data["tier_price"] == 8000
    assert [p.amount_minor for p in pool.pledges] == [6000, 6000, 0]
    assert card_ok.id == pool.pledges[0].id


def test_dropouts_below_minimum_refund_everyone_charged(session, gateway, frozen) -> None:
    pool = make_pool(session, min_pledges=3)
    charged = [pledge(session, gateway, pool, VISA) for _ in range(2)]
    pledge(session, gateway, pool, ALWAYS_AUTHENTICATE)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    assert _fresh(session, pool.id).state == "funded"
    clock.advance(timedelta(hours=49))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "failed" and _states(pool) == ["refunded", "refunded", "lapsed"]
    assert all(_escrow(session, p) == 0 for p in charged)
    assert ledger.balance(session, ledger.REFUNDS, "EUR") >= 12000
    assert all(p.refunded_minor == p.amount_minor == 6000 for p in pool.pledges[:2])


def test_creator_cancellation_refunds_everyone(session, gateway, frozen) -> None:
    pool = make_pool(session)
    for _ in range(3):
        pledge(session, gateway, pool)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    assert pool.state == "delivering"
    delivery.cancel_pool(session, gateway, pool.id, pool.creator)
    pool = _fresh(session, pool.id)
    assert pool.state == "cancelled" and _states(pool) == ["refunded"] * 3
    assert all(_escrow(session, p) == 0 for p in pool.pledges)


def test_business_withdraws_before_close_only(session, gateway, frozen) -> None:
    pool = make_pool(session)
    leaving = pledge(session, gateway, pool)
    staying = [pledge(session, gateway, pool) for _ in range(2)]
    pledging.withdraw(session, pool.id, leaving.business)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)
    pool = _fresh(session, pool.id)
    # Two pledges are left: the 80.00 tier; the withdrawn business is never charged.
    assert pool.state == "delivering" and pool.price_minor == 8000
    assert _states(pool) == ["withdrawn", "charged", "charged"]
    assert pool.pledges[0].payment_intent_id is None
    with pytest.raises(Conflict):
        pledging.withdraw(session, pool.id, staying[0].business)


def test_every_transition_is_told_to_the_people_it_concerns(session, gateway, frozen) -> None:
    from app.notifications.models import Notification

    pool = make_pool(session)
    ok = pledge(session, gateway, pool, VISA)
    needs = pledge(session, gateway, pool, ALWAYS_AUTHENTICATE)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)

    def kinds(user_id: int) -> list[tuple[str, str]]:
        return [
            (n.kind, n.link)
            for n in session.scalars(select(Notification).where(Notification.user_id == user_id))
        ]

    creator = kinds(pool.creator_id)
    assert sum(k == "pool_pledge" for k, _ in creator) == 2
    assert any(k == "pool_update" for k, _ in creator)
    assert ("pool_action_needed", f"/pools/pledges/{needs.id}/complete") in kinds(needs.business_id)
    assert not any(k == "pool_action_needed" for k, _ in kinds(ok.business_id))
    assert any(k == "pool_update" for k, _ in kinds(ok.business_id))
    clock.advance(timedelta(hours=49))
    run_due(session, gateway)
    # One business lapsed: two pledges are still the minimum; the lapse is told to its owner.
    assert sum(k == "pool_update" for k, _ in kinds(needs.business_id)) >= 2
