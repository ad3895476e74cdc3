"""Funding a milestone: a PaymentIntent on the platform account, then ``confirm_funding``.

The business pays with Stripe.js in the browser (app.payments.checkout). The milestone becomes
funded in ``confirm_funding``, reached from the return page and from the
payment_intent.succeeded webhook; both may run, in any order, and book the money once (row
lock + idempotent transition + unique ledger key).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.contracts.models import ContractStatus
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount, check_currency
from app.payments import ledger
from app.payments.gateway import PaymentGateway, PaymentIntentInfo
from app.payments.models import Milestone, MilestoneState
from app.payments.purchases import Landing, payment_intent_for
from app.payments.states import MILESTONE, lock_milestone
from app.settlement.stripe_fees import book_processing_fee


@dataclass(frozen=True)
class FundingIntent:
    """What the payment page needs to collect the card."""

    milestone_id: int
    payment_intent_id: str
    client_secret: str | None
    publishable_key: str
    amount_minor: int
    currency: str


def transfer_group(contract_id: int) -> str:
    return f"contract-{contract_id}"


def _owned_pending(session: Session, milestone_id: int, business: User) -> Milestone:
    milestone = lock_milestone(session, milestone_id)
    if milestone.contract.business_id != business.id:
        raise PermissionDenied("You can only fund milestones of your own contracts.")
    if milestone.contract.status != ContractStatus.ACTIVE:
        raise Conflict("This contract is no longer active.")
    if milestone.state != MilestoneState.PENDING:
        raise InvalidTransition(f"This milestone is already {milestone.state}.")
    try:
        check_amount(milestone.amount_minor, milestone.currency)
        if check_currency(milestone.currency) != milestone.contract.currency:
            raise MoneyError("Milestone and contract currencies differ.")
    except MoneyError as exc:
        raise ValidationFailed(str(exc), field="amount") from exc
    return milestone


def fund(
    session: Session, gateway: PaymentGateway, milestone_id: int, *, business: User
) -> FundingIntent:
    """Start (or resume) paying a pending milestone; returns the PaymentIntent's client data.

    Raises NotFound, PermissionDenied (not the contract's business), InvalidTransition (not
    pending), ValidationFailed (bad amount/currency), GatewayError. Stores the PaymentIntent id
    on the milestone; calling it again returns the same PaymentIntent.
    """
    milestone, intent = start(session, gateway, milestone_id, business=business)
    return FundingIntent(
        milestone_id=milestone.id,
        payment_intent_id=intent.id,
        client_secret=intent.client_secret,
        publishable_key=gateway.publishable_key,
        amount_minor=intent.amount,
        currency=intent.currency,
    )


def start(
    session: Session, gateway: PaymentGateway, milestone_id: int, *, business: User
) -> tuple[Milestone, PaymentIntentInfo]:
    """The pending milestone and its PaymentIntent, created once (raises what ``fund`` does)."""
    milestone = _owned_pending(session, milestone_id, business)
    intent = payment_intent_for(
        session,
        gateway,
        milestone,
        key=f"milestone-{milestone.id}",
        amount=milestone.amount_minor,
        currency=milestone.currency,
        transfer_group=transfer_group(milestone.contract_id),
        metadata={
            "milestone_id": str(milestone.id),
            "contract_id": str(milestone.contract_id),
            "business_id": str(business.id),
        },
        description=f"Milestone {milestone.id}: {milestone.title}",
    )
    return milestone, intent


def confirm_from_webhook(
    session: Session, gateway: PaymentGateway, payment_intent_id: str
) -> str | None:
    """Webhook entry: fund the milestone paid by ``payment_intent_id``, if it is a milestone's."""
    owned = session.scalar(
        select(Milestone.id).where(Milestone.payment_intent_id == payment_intent_id)
    )
    if owned is None:
        return None
    milestone = confirm_funding(session, gateway, payment_intent_id)
    return None if milestone is None else f"milestone {milestone.id} {milestone.state}"


def landing(session: Session, payment_intent_id: str) -> Landing | None:
    """Where the business pays this milestone and lands once paid (None: not a milestone's)."""
    milestone = session.scalar(
        select(Milestone).where(Milestone.payment_intent_id == payment_intent_id)
    )
    if milestone is None:
        return None
    return Landing(
        kind="milestone",
        buyer_id=milestone.contract.business_id,
        pay_url=url_for("payments.fund", milestone_id=milestone.id),
        done_url=url_for("contracts.detail", contract_id=milestone.contract_id),
        paid_message=f"Payment received: “{milestone.title}” is funded.",
    )


def _milestone_for(session: Session, intent: PaymentIntentInfo) -> Milestone | None:
    # Only the PaymentIntent id we stored counts: metadata alone could point at a milestone
    # whose funding transaction never committed (or at another database entirely).
    return session.scalar(select(Milestone).where(Milestone.payment_intent_id == intent.id))


def confirm_funding(
    session: Session,
    gateway: PaymentGateway,
    payment_intent_id: str,
    *,
    actor_id: int | None = None,
) -> Milestone | None:
    """Mark the milestone funded if its PaymentIntent (re-fetched from Stripe) succeeded.

    Idempotent: a funded milestone is returned unchanged. Returns None for a PaymentIntent that
    is not one of ours. Raises Conflict when the payment does not match the milestone (amount,
    currency, another PaymentIntent) and InvalidTransition when the milestone cannot be funded
    any more (cancelled). Books customer_payments -> escrow in the same transaction.
    """
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    found = _milestone_for(session, intent)
    if found is None:
        return None
    milestone = lock_milestone(session, found.id)
    if milestone.payment_intent_id != intent.id:
        raise Conflict("This payment belongs to another attempt for the milestone.")
    if intent.status != "succeeded":
        return milestone
    if (intent.amount, intent.currency) != (milestone.amount_minor, milestone.currency):
        raise Conflict("The payment amount does not match the milestone.")
    if milestone.funded_at is not None:
        # Booked already (by the page or an earlier delivery of the event), however far the
        # milestone has moved on since: a late first webhook is news, not an error.
        return milestone
    MILESTONE.move(session, milestone, "fund", actor_id=actor_id, payment_intent=intent.id)
    milestone.charge_id = intent.charge_id
    milestone.funded_minor = intent.amount
    milestone.funded_at = clock.now()
    paid_in = [
        (ledger.CUSTOMER_PAYMENTS, -intent.amount),
        (ledger.escrow(milestone.id), intent.amount),
    ]
    ledger.post_milestone(session, milestone, "fund", paid_in, memo=intent.id)
    book_processing_fee(session, gateway, intent.charge_id)
    return milestone


def cancel(
    session: Session, gateway: PaymentGateway, milestone_id: int, *, actor: User
) -> Milestone:
    """Cancel a milestone that was never paid (either party). Cancels its PaymentIntent.

    Raises NotFound, PermissionDenied, InvalidTransition (not pending), GatewayError (e.g. it
    was paid meanwhile: Stripe refuses to cancel a succeeded PaymentIntent).
    """
    milestone = lock_milestone(session, milestone_id)
    if actor.id not in (milestone.contract.business_id, milestone.contract.creator_id):
        raise NotFound("No such milestone.")
    if milestone.state != MilestoneState.PENDING:
        raise InvalidTransition(f"Cannot cancel a milestone that is {milestone.state}.")
    if milestone.payment_intent_id:
        intent = gateway.retrieve_payment_intent(milestone.payment_intent_id)
        if intent.status == "succeeded":
            raise Conflict("This milestone was just paid; ask for a refund instead.")
        if intent.status != "canceled":
            gateway.cancel_payment_intent(
                intent.id, idempotency_key=f"milestone-{milestone.id}-cancel-payment-intent"
            )
    MILESTONE.move(session, milestone, "cancel", actor_id=actor.id)
    return milestone


def paid_charges(session: Session) -> list[str]:
    """The charge of every funded milestone (app.payments.purchases)."""
    return list(
        session.scalars(
            select(Milestone.charge_id).where(
                Milestone.funded_at.is_not(None), Milestone.charge_id.is_not(None)
            )
        )
    )
