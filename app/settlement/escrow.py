"""Money of one sale held in an escrow account of its own, written once for every sale kind
(contest prizes, pool pledges; milestones book the same entries): the buyer's charge goes in,
a refund goes back out. Releasing it to the creator is ``app.settlement.settle``.

fund    customer_payments -A, <escrow> +A    (a succeeded PaymentIntent)
        platform_funds -F, stripe_fees +F      (Stripe's processing fee of its charge)
refund  <escrow> -A, refunds +A              (a Stripe Refund of that PaymentIntent)
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.payments import ledger
from app.payments.gateway import PaymentGateway, PaymentIntentInfo
from app.settlement.models import Payout
from app.settlement.stripe_fees import book_processing_fee
from app.workflow import lock


class Refundable(Protocol):
    """A sale paid by one PaymentIntent that can be given back (its columns)."""

    id: int
    payment_intent_id: str | None
    stripe_refund_id: str | None
    refunded_minor: int


def book_charge(
    session: Session,
    gateway: PaymentGateway,
    intent: PaymentIntentInfo,
    *,
    account: str,
    key: str,
    currency: str,
    milestone_id: int | None = None,
) -> None:
    """Book a succeeded PaymentIntent into the sale's escrow ``account`` (journal ``key``),
    with the processing fee Stripe kept from its charge."""

    ledger.post(
        session,
        key=key,
        kind="fund",
        currency=currency,
        milestone_id=milestone_id,
        lines=[(ledger.CUSTOMER_PAYMENTS, -intent.amount), (account, intent.amount)],
        memo=intent.id,
    )
    book_processing_fee(session, gateway, intent.charge_id)


def refund(
    session: Session,
    gateway: PaymentGateway,
    sale: Refundable,
    amount: int,
    *,
    account: str,
    key: str,
    currency: str,
    metadata: dict[str, str],
) -> str:
    """Give ``amount`` of a locked sale's escrow back to the buyer: one Stripe Refund (its
    idempotency key and journal key are ``key``), recorded on the sale and in the ledger.
    Returns the refund id."""
    assert sale.payment_intent_id and amount > 0
    sale.stripe_refund_id = gateway.create_refund(
        payment_intent=sale.payment_intent_id,
        amount=amount,
        metadata=metadata,
        idempotency_key=key,
    )
    sale.refunded_minor += amount
    ledger.post(
        session,
        key=key,
        kind="refund",
        currency=currency,
        lines=[(account, -amount), (ledger.REFUNDS, amount)],
        memo=sale.stripe_refund_id,
    )
    return sale.stripe_refund_id


class RecordedPayouts:
    """A payable kind (app.settlement) whose sale has no state of its own to move when paid:
    it is never held, and the payout row alone records the transfer."""

    def __init__(self, subject_type: str, model: type[Any], missing: str) -> None:
        self.subject_type, self.model, self.missing = subject_type, model, missing

    def lock(self, session: Session, subject_id: int) -> Any:
        return lock(session, self.model, subject_id, missing=self.missing)

    def hold_reason(self, session: Session, subject: Any) -> str | None:
        return None

    def paid(self, session: Session, subject: Any, payout: Payout) -> None:
        """Nothing of the sale changes; the payout row records the transfer."""
