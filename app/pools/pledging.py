"""Businesses pledge to an open pool: the card is saved with a SetupIntent confirmed by
Stripe.js (3-D Secure now, while the business is here); nothing is charged until close.
Withdrawal is possible until the pool closes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.errors import Conflict, NotFound, PermissionDenied
from app.payments.gateway import PaymentGateway, SetupIntentInfo
from app.pools.models import PledgeState, PoolPledge, PoolState
from app.pools.services import get_pool, pledge_of
from app.pools.states import PLEDGE, lock_pledge, lock_pool

L = PledgeState


def _open_pool_for(session: Session, pool_id: int, business: User):  # noqa: ANN202
    if not business.is_business:
        raise PermissionDenied("Only business accounts can pledge.")
    get_pool(session, pool_id)
    pool = lock_pool(session, pool_id)
    if pool.creator_id == business.id:
        raise PermissionDenied("You cannot pledge to your own pool.")
    if pool.state is not PoolState.OPEN or pool.deadline <= clock.now():
        raise Conflict("This pool no longer takes pledges.")
    return pool


def start_pledge(
    session: Session, gateway: PaymentGateway, pool_id: int, business: User
) -> tuple[PoolPledge, SetupIntentInfo | None]:
    """Pledge to an open pool: the pledge and the SetupIntent Stripe.js confirms (None when a
    card saved earlier is reused, e.g. rejoining after a withdrawal).

    Raises NotFound, PermissionDenied (not a business, own pool), Conflict (closed, already
    pledged), GatewayError. Idempotent while the card is not saved yet.
    """
    pool = _open_pool_for(session, pool_id, business)
    pledge = pledge_of(session, pool, business.id)
    if pledge is None:
        pledge = PoolPledge(pool_id=pool.id, business_id=business.id)
        session.add(pledge)
        session.flush()
        PLEDGE.record(session, pledge, "started", actor_id=business.id, pool_id=pool.id)
    pledge = lock_pledge(session, pledge.id)
    if pledge.state is L.WITHDRAWN and pledge.payment_method_id:
        PLEDGE.move(session, pledge, "rejoin", actor_id=business.id)
        return pledge, None
    if pledge.state is not L.SAVING:
        raise Conflict("You have already pledged to this pool.")
    if pledge.customer_id is None:
        pledge.customer_id = gateway.create_customer(
            email=business.email,
            metadata={"user_id": str(business.id)},
            idempotency_key=f"pool-pledge-{pledge.id}-customer",
        )
    if pledge.setup_intent_id:
        setup = gateway.retrieve_setup_intent(pledge.setup_intent_id)
        if setup.status != "canceled":
            return pledge, setup
    setup = gateway.create_setup_intent(
        customer=pledge.customer_id,
        metadata={"pool_pledge_id": str(pledge.id), "pool_id": str(pool.id)},
        idempotency_key=f"pool-pledge-{pledge.id}-setup",
    )
    pledge.setup_intent_id = setup.id
    return pledge, setup


def confirm_pledge(
    session: Session, gateway: PaymentGateway, setup_intent_id: str, business: User
) -> PoolPledge:
    """Stripe.js saved the card (the business is back on the return page): the pledge counts.

    Re-fetches the SetupIntent (the browser's word is not trusted). Raises NotFound (not this
    business's pledge), Conflict (not saved, or the pool closed meanwhile), GatewayError.
    Idempotent, and the same rule as the ``setup_intent.succeeded`` webhook (``_save``).
    """
    found = _pledge_by_setup(session, setup_intent_id)
    if found is None or found.business_id != business.id:
        raise NotFound("No such pledge.")
    return _save(session, gateway, found, actor_id=business.id)


def _pledge_by_setup(session: Session, setup_intent_id: str) -> PoolPledge | None:
    return session.scalar(select(PoolPledge).where(PoolPledge.setup_intent_id == setup_intent_id))


def _save(
    session: Session,
    gateway: PaymentGateway,
    found: PoolPledge,
    *,
    actor_id: int,
    via: str = "return page",
) -> PoolPledge:
    """The one rule that turns a saved card into a counting pledge, whoever reports it (the
    return page or Stripe's webhook): re-fetch the SetupIntent, lock pool then pledge, save
    once. Raises Conflict (not saved, or the pool closed first), GatewayError."""
    assert found.setup_intent_id is not None
    setup = gateway.retrieve_setup_intent(found.setup_intent_id)
    pool = lock_pool(session, found.pool_id)
    pledge = lock_pledge(session, found.id)
    if pledge.state is L.VOID or (pledge.state is L.SAVING and pool.state is not PoolState.OPEN):
        raise Conflict("The pool closed before your card was saved; nothing will be charged.")
    if pledge.state is not L.SAVING:
        return pledge
    if setup.status != "succeeded" or not setup.payment_method:
        raise Conflict(
            setup.last_error or "Your card was not saved (3-D Secure not completed); try again."
        )
    PLEDGE.move(session, pledge, "save", actor_id=actor_id, via=via)
    pledge.payment_method_id = setup.payment_method
    pledge.last_error = ""
    return pledge


def save_from_webhook(session: Session, gateway: PaymentGateway, setup_intent_id: str) -> str:
    """``setup_intent.succeeded``: the card was saved even if the browser never came back to
    the return page (tab closed after 3-D Secure). Same rule as ``confirm_pledge``; the
    business is told its pledge counts. Idempotent; returns the outcome for the event log.
    Raises GatewayError (unknown SetupIntent)."""
    found = _pledge_by_setup(session, setup_intent_id)
    if found is None:
        return "not ours"
    before = found.state
    try:
        pledge = _save(session, gateway, found, actor_id=found.business_id, via="webhook")
    except Conflict as error:
        return f"pool pledge {found.id} not saved: {error.message}"[:200]
    if before is L.SAVING and pledge.state is L.ACTIVE:
        return f"pool pledge {pledge.id} saved"
    return f"pool pledge {pledge.id} already {pledge.state.value}"


def setup_failed_from_webhook(
    session: Session, gateway: PaymentGateway, setup_intent_id: str
) -> str:
    """``setup_intent.setup_failed``: the card was not saved (declined, 3-D Secure failed).
    The pledge stays unsaved (it does not count; the same SetupIntent can be retried); the
    reason is kept and the business is told, with a link back to the pledge page."""
    found = _pledge_by_setup(session, setup_intent_id)
    if found is None:
        return "not ours"
    setup = gateway.retrieve_setup_intent(setup_intent_id)
    lock_pool(session, found.pool_id)
    pledge = lock_pledge(session, found.id)
    if pledge.state is not L.SAVING or setup.status == "succeeded":
        return f"pool pledge {pledge.id} already {pledge.state.value}"
    reason = (setup.last_error or "Your card was not saved.")[:300]
    if pledge.last_error == reason:
        return f"pool pledge {pledge.id} card not saved (already told)"
    pledge.last_error = reason
    PLEDGE.record(session, pledge, "setup_failed", actor_id=None, reason=reason)
    return f"pool pledge {pledge.id} card not saved"


def withdraw(session: Session, pool_id: int, business: User) -> PoolPledge:
    """The business withdraws its pledge before the pool closes (nothing was charged).

    Raises NotFound (no pledge), Conflict (pool closed), InvalidTransition.
    """
    get_pool(session, pool_id)
    pool = lock_pool(session, pool_id)
    found = pledge_of(session, pool, business.id)
    if found is None:
        raise NotFound("You have not pledged to this pool.")
    if pool.state is not PoolState.OPEN:
        raise Conflict("The pool has closed; pledges can no longer be withdrawn.")
    pledge = lock_pledge(session, found.id)
    PLEDGE.move(session, pledge, "withdraw", actor_id=business.id)
    return pledge
