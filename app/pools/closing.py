"""Closing a pool at its deadline, the off-session charges, and the grace period.

Rule when charges fail (decided for issue 19, README "Demand pools"):
1. At close every active pledge is charged off-session the price of the tier reached by all
   active pledges (the price announced at close).
2. A charge that needs authentication or is declined leaves the pledge ``action_required``:
   the business is told, with a link to pay on-session within the grace period.
3. When the grace period ends, pledges not completed lapse (their PaymentIntents are
   cancelled) and the tier is recomputed from the pledges actually charged; it is recorded
   (audit ``tier_recomputed``). Nobody is charged a second time off-session: the charged
   price stands even if the recomputed tier is dearer (the creator receives less).
4. If the charged pledges no longer meet the pool's minimum (pledges or total), the pool
   fails: everyone charged so far is refunded in full and nobody keeps a charge.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app import clock, jobs
from app.payments.gateway import OffSessionDeclined, PaymentGateway
from app.pools import CLOSE_TIMER, GRACE_TIMER, escrow
from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState
from app.pools.services import meets_minimum, price_for
from app.pools.states import PLEDGE, POOL, lock_pool
from app.workflow import lock_many

L = PledgeState
DEFAULT_GRACE_HOURS = 48


def grace_period() -> timedelta:
    hours: float = DEFAULT_GRACE_HOURS
    if has_app_context():
        hours = float(current_app.config.get("POOL_GRACE_HOURS", DEFAULT_GRACE_HOURS))
    return timedelta(hours=min(max(hours, 1.0), 7 * 24.0))


def lock_pledges(session: Session, pool: DemandPool) -> list[PoolPledge]:
    """Every pledge of a locked pool, locked in id order (one pass: app.workflow's order)."""
    session.refresh(pool, ["pledges"])
    return lock_many(session, PoolPledge, [p.id for p in pool.pledges])


def _in(pledges: list[PoolPledge], *states: PledgeState) -> list[PoolPledge]:
    return [p for p in pledges if p.state in states]


def close(session: Session, gateway: PaymentGateway, pool_id: int) -> str:
    """Deadline passed: charge everyone the tier price reached, or fail the pool."""
    pool = lock_pool(session, pool_id)
    if pool.state is not PoolState.OPEN or pool.deadline > clock.now():
        return "nothing to do"
    pledges = lock_pledges(session, pool)
    active = _in(pledges, L.ACTIVE)
    price = price_for(pool, len(active))
    pool.closed_at = clock.now()
    for pledge in _in(pledges, L.SAVING):
        PLEDGE.move(session, pledge, "void", actor_id=None, reason="card never saved")
    if not meets_minimum(pool, len(active), price):
        POOL.move(session, pool, "close_failed", actor_id=None, pledges=len(active))
        for pledge in active:
            PLEDGE.move(session, pledge, "void", actor_id=None, reason="minimum not met")
        return f"failed: {len(active)} pledges"
    assert price is not None
    POOL.move(session, pool, "close_funded", actor_id=None, pledges=len(active), price=price)
    pool.price_minor = price
    for pledge in active:
        charge(session, gateway, pool, pledge, price)
    if any(p.state is L.ACTION_REQUIRED for p in active):
        pool.grace_until = clock.now() + grace_period()
        GRACE_TIMER.set(session, pool.id, pool.grace_until)
        return "funded: waiting for pledges that need action"
    return finish_charges(session, gateway, pool)


def charge(
    session: Session, gateway: PaymentGateway, pool: DemandPool, pledge: PoolPledge, price: int
) -> None:
    """Charge one locked active pledge off-session (idempotent per pledge at Stripe)."""
    try:
        intent = gateway.charge_off_session(
            amount=price,
            currency=pool.currency,
            customer=str(pledge.customer_id),
            payment_method=str(pledge.payment_method_id),
            transfer_group=f"pool-{pool.id}",
            metadata={"pool_pledge_id": str(pledge.id), "pool_id": str(pool.id)},
            description=f"Demand pool: {pool.title}"[:200],
            idempotency_key=f"pool-pledge-{pledge.id}-charge",
        )
    except OffSessionDeclined as declined:
        pledge.payment_intent_id = declined.payment_intent_id
        pledge.last_error = declined.message[:300]
        PLEDGE.move(
            session, pledge, "need_action", actor_id=None, decline_code=declined.decline_code
        )
        return
    escrow.book_charge(session, gateway, pool, pledge, intent, "charge")


def grace_over(session: Session, gateway: PaymentGateway, pool_id: int) -> str:
    pool = lock_pool(session, pool_id)
    if pool.state is not PoolState.FUNDED:
        return "nothing to do"
    if pool.grace_until is not None and pool.grace_until > clock.now():
        return "not due"
    return finish_charges(session, gateway, pool)


def finish_charges(session: Session, gateway: PaymentGateway, pool: DemandPool) -> str:
    """The locked, funded pool's charges are final: lapse what was not completed, recompute
    the tier, then deliver (delivering) or fail and refund everyone charged."""
    pledges = lock_pledges(session, pool)
    for pledge in _in(pledges, L.ACTION_REQUIRED):
        if pledge.payment_intent_id:
            gateway.cancel_payment_intent(
                pledge.payment_intent_id, idempotency_key=f"pool-pledge-{pledge.id}-lapse"
            )
        PLEDGE.move(session, pledge, "lapse", actor_id=None)
    charged = _in(pledges, L.CHARGED)
    recomputed = price_for(pool, len(charged))
    POOL.record(
        session,
        pool,
        "tier_recomputed",
        actor_id=None,
        pledges=len(charged),
        tier_price=recomputed,
        charged_price=pool.price_minor,
    )
    GRACE_TIMER.cancel(session, pool.id)
    if meets_minimum(pool, len(charged), recomputed):
        POOL.move(session, pool, "confirm", actor_id=None, pledges=len(charged))
        return f"delivering: {len(charged)} pledges"
    POOL.move(session, pool, "fall_short", actor_id=None, pledges=len(charged))
    for pledge in charged:
        escrow.refund(session, gateway, pool, pledge)
    return f"failed after dropouts: refunded {len(charged)}"


def cancel(session: Session, gateway: PaymentGateway, pool: DemandPool, actor_id: int) -> None:
    """The creator cancels a locked pool (open, funded or delivering): everyone charged is
    refunded, every other pledge is void, the timers stop."""
    POOL.move(session, pool, "cancel", actor_id=actor_id)
    pledges = lock_pledges(session, pool)
    for pledge in _in(pledges, L.CHARGED):
        escrow.refund(session, gateway, pool, pledge)
    for pledge in _in(pledges, L.SAVING, L.ACTIVE, L.ACTION_REQUIRED):
        if pledge.state is L.ACTION_REQUIRED and pledge.payment_intent_id:
            gateway.cancel_payment_intent(
                pledge.payment_intent_id, idempotency_key=f"pool-pledge-{pledge.id}-lapse"
            )
        PLEDGE.move(session, pledge, "void", actor_id=None, reason="pool cancelled")
    CLOSE_TIMER.cancel(session, pool.id)
    GRACE_TIMER.cancel(session, pool.id)


def run_close_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return close(session, context.gateway, job.subject_id)


def run_grace_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return grace_over(session, context.gateway, job.subject_id)
