"""Pool money in the ledger: one escrow account per charged pledge, and its invariants.

charge    customer_payments -A, escrow:pool_pledge:<id> +A      (off-session charge at close)
          platform_funds -F, stripe_fees +F                     (Stripe's processing fee)
release   escrow:pool_pledge:<id> -A, creator_pending +net, platform_fees +fee (app.settlement)
refund    escrow:pool_pledge:<id> -A, refunds +A                 (pool failed or cancelled)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, settlement
from app.payments import ledger
from app.payments.gateway import PaymentGateway, PaymentIntentInfo
from app.payments.ledger import CheckReport
from app.pools.models import DemandPool, PledgeState, PoolPledge
from app.pools.states import PLEDGE
from app.settlement import escrow as sale_escrow


def book_charge(
    session: Session,
    gateway: PaymentGateway,
    pool: DemandPool,
    pledge: PoolPledge,
    intent: PaymentIntentInfo,
    action: str,
) -> None:
    """A succeeded off-session (``charge``) or on-session (``complete``) payment of a locked
    pledge: into its escrow, with the processing fee Stripe kept from the charge."""
    PLEDGE.move(session, pledge, action, actor_id=None, payment_intent=intent.id)
    pledge.payment_intent_id, pledge.charge_id = intent.id, intent.charge_id
    pledge.amount_minor, pledge.charged_at, pledge.last_error = intent.amount, clock.now(), ""
    sale_escrow.book_charge(
        session,
        gateway,
        intent,
        account=ledger.escrow_pool_pledge(pledge.id),
        key=f"pool-pledge-{pledge.id}-charge",
        currency=pool.currency,
    )


def refund(session: Session, gateway: PaymentGateway, pool: DemandPool, pledge: PoolPledge) -> None:
    """Give a charged, locked pledge's whole amount back (Stripe Refund + ledger)."""
    refund_id = sale_escrow.refund(
        session,
        gateway,
        pledge,
        pledge.amount_minor - pledge.refunded_minor,
        account=ledger.escrow_pool_pledge(pledge.id),
        key=f"pool-pledge-{pledge.id}-refund",
        currency=pool.currency,
        metadata={"pool_pledge_id": str(pledge.id)},
    )
    PLEDGE.move(session, pledge, "refund", actor_id=None, refund=refund_id)


def release(
    session: Session, pool: DemandPool, pledge: PoolPledge, *, actor_id: int | None
) -> None:
    """Delivery accepted for a charged, locked pledge: its escrow goes to the creator through
    the one settlement path (reputation fee and clearance hold fixed now, transfer later)."""
    PLEDGE.move(session, pledge, "release", actor_id=actor_id)
    pledge.accepted_at = clock.now()
    settlement.settle(
        session,
        settlement.Release(
            subject_type="pool_pledge",
            subject_id=pledge.id,
            creator_id=pool.creator_id,
            gross_minor=pledge.amount_minor,
            currency=pool.currency,
            charge_id=pledge.charge_id,
            source_account=ledger.escrow_pool_pledge(pledge.id),
            transfer_group=f"pool-{pool.id}",
            title=f"Demand pool: {pool.title}",
        ),
        memo=f"pool {pool.id} pledge {pledge.id}",
    )


PLEDGE_PAYOUTS = sale_escrow.RecordedPayouts("pool_pledge", PoolPledge, "No such pledge.")


def check_escrow(
    session: Session, balances: dict[tuple[str, str], int], report: CheckReport
) -> None:
    """Ledger invariants of pools (``flask ledger-check``): a charged pledge's escrow holds its
    amount; every other pledge's escrow holds nothing (released or refunded)."""
    rows = session.execute(
        select(PoolPledge, DemandPool.currency)
        .join(DemandPool, DemandPool.id == PoolPledge.pool_id)
        .execution_options(populate_existing=True)
    )
    for pledge, currency in rows:
        held = balances.get((ledger.escrow_pool_pledge(pledge.id), currency), 0)
        wanted = pledge.amount_minor if pledge.state is PledgeState.CHARGED else 0
        if held != wanted:
            report.problems.append(
                f"pool pledge {pledge.id} is {pledge.state} but its escrow holds {held}"
            )
        if pledge.state is PledgeState.REFUNDED and pledge.refunded_minor != pledge.amount_minor:
            report.problems.append(f"pool pledge {pledge.id}: refunded part of its charge")
