"""After the charges: the creator delivers, each pledger accepts (or the acceptance window
does), each pledge's escrow is released through the one settlement path; the pool is settled
when every charged pledge is released. Completing an off-session charge on-session (the link
a business gets when its bank asked for authentication) is a purchase of the one checkout
(app.payments.purchases)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.notifications.services import path_for
from app.payments import purchases
from app.payments.gateway import PaymentGateway
from app.payments.purchases import Landing
from app.pools import ACCEPT_TIMER, escrow
from app.pools.closing import _in, cancel, lock_pledges
from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState
from app.pools.services import get_pool, pledge_of
from app.pools.states import POOL, lock_pledge, lock_pool

L = PledgeState
DEFAULT_ACCEPT_DAYS = 7
MAX_NOTE = 5000


def accept_window() -> timedelta:
    days: float = DEFAULT_ACCEPT_DAYS
    if has_app_context():
        days = float(current_app.config.get("POOL_ACCEPT_DAYS", DEFAULT_ACCEPT_DAYS))
    return timedelta(days=min(max(days, 0.0), 30.0))


def _creators_pool(session: Session, pool_id: int, creator: User) -> DemandPool:
    get_pool(session, pool_id)
    pool = lock_pool(session, pool_id)
    if pool.creator_id != creator.id:
        raise PermissionDenied("Only the pool's creator can do that.")
    return pool


def deliver(session: Session, pool_id: int, creator: User, *, note: str) -> DemandPool:
    """The creator delivers (a note with the link or how to get it); the acceptance window
    starts. Raises NotFound, PermissionDenied, ValidationFailed, InvalidTransition."""
    if not isinstance(note, str) or not note.strip() or len(note) > MAX_NOTE:
        raise ValidationFailed({"note": [f"Say how to get the delivery (at most {MAX_NOTE})."]})
    pool = _creators_pool(session, pool_id, creator)
    POOL.move(session, pool, "deliver", actor_id=creator.id)
    pool.delivered_at, pool.delivery_note = clock.now(), note.strip()
    pool.accept_due_at = pool.delivered_at + accept_window()
    ACCEPT_TIMER.set(session, pool.id, pool.accept_due_at)
    return pool


def cancel_pool(
    session: Session, gateway: PaymentGateway, pool_id: int, creator: User
) -> DemandPool:
    """The creator cancels: everyone charged is refunded. Raises NotFound, PermissionDenied,
    InvalidTransition (delivered, settled, failed), GatewayError."""
    pool = _creators_pool(session, pool_id, creator)
    cancel(session, gateway, pool, creator.id)
    ACCEPT_TIMER.cancel(session, pool.id)
    return pool


def _settle_if_done(session: Session, pool: DemandPool, pledges: list[PoolPledge]) -> None:
    if not _in(pledges, L.CHARGED):
        POOL.move(session, pool, "settle", actor_id=None)
        pool.settled_at = clock.now()
        ACCEPT_TIMER.cancel(session, pool.id)


def accept(session: Session, pool_id: int, business: User) -> PoolPledge:
    """A pledger accepts the delivery: its pledge's money goes to the creator (settlement).
    Raises NotFound (no charged pledge), Conflict (not delivered yet), InvalidTransition."""
    get_pool(session, pool_id)
    pool = lock_pool(session, pool_id)
    found = pledge_of(session, pool, business.id)
    if found is None or found.state not in (L.CHARGED, L.RELEASED):
        raise NotFound("You have no paid pledge in this pool.")
    if pool.state is not PoolState.DELIVERED:
        raise Conflict("The creator has not delivered yet.")
    pledges = lock_pledges(session, pool)
    pledge = next(p for p in pledges if p.id == found.id)
    escrow.release(session, pool, pledge, actor_id=business.id)
    _settle_if_done(session, pool, pledges)
    return pledge


def auto_accept(session: Session, pool_id: int) -> str:
    pool = lock_pool(session, pool_id)
    skip = jobs.not_due(pool.state is PoolState.DELIVERED, pool.accept_due_at)
    if skip is not None:
        return skip
    pledges = lock_pledges(session, pool)
    waiting = _in(pledges, L.CHARGED)
    for pledge in waiting:
        escrow.release(session, pool, pledge, actor_id=None)
    _settle_if_done(session, pool, pledges)
    return f"auto-accepted {len(waiting)}"


def run_auto_accept_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return auto_accept(session, job.subject_id)


# --- completing an off-session charge on-session ---------------------------------------------


def confirm_from_webhook(
    session: Session, gateway: PaymentGateway, payment_intent_id: str
) -> str | None:
    """A pledge's PaymentIntent succeeded on-session (return page or webhook): book it when
    the pledge still waits for it; a payment that arrives after the pledge lapsed (or the pool
    ended) is refunded at once. Idempotent."""
    found = purchases.by_payment_intent(session, PoolPledge, payment_intent_id)
    if found is None:
        return None
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    if intent.status != "succeeded":
        return f"pool pledge: {intent.status}"
    pool = lock_pool(session, found.pool_id)
    pledge = lock_pledge(session, found.id)
    if pledge.state is not L.ACTION_REQUIRED:
        return f"pool pledge already {pledge.state.value}"
    escrow.book_charge(session, gateway, pool, pledge, intent, "complete")
    if pool.state is not PoolState.FUNDED:
        escrow.refund(session, gateway, pool, pledge)
        return "pool pledge: paid too late, refunded"
    return "pool pledge charged"


def _landing(pledge: PoolPledge) -> Landing:
    return Landing(
        kind="pool_pledge",
        buyer_id=pledge.business_id,
        pay_url=path_for("pools.complete", pledge_id=pledge.id),
        done_url=path_for("pools.detail", pool_id=pledge.pool_id),
        paid_message="Payment completed: your pledge stays in the pool.",
    )


landing = purchases.locator(PoolPledge, _landing)
paid_charges = purchases.paid_charges(PoolPledge, PoolPledge.charged_at)  # every charged pledge


def completion(session: Session, gateway: PaymentGateway, pledge_id: int, business: User):  # noqa: ANN201
    """The PaymentIntent a business completes on-session (its bank asked for authentication
    or declined). Raises NotFound, Conflict (nothing to complete)."""
    pledge = session.get(PoolPledge, pledge_id) if 0 < pledge_id < 2**62 else None
    if pledge is None or pledge.business_id != business.id:
        raise NotFound("No such pledge.")
    if pledge.state is not L.ACTION_REQUIRED or not pledge.payment_intent_id:
        raise Conflict("This pledge has no payment waiting for you.")
    return pledge, gateway.retrieve_payment_intent(pledge.payment_intent_id)
