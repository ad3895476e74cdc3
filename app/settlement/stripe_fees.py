"""Stripe's processing fee of each charge, booked from the charge's balance transaction.

Stripe keeps its fee out of every charge (docs.stripe.com/reports/balance-transaction-types:
the charge's balance transaction has ``amount``, ``fee``, ``fee_details`` and ``net``). The
sale itself is booked at its gross (the business paid it; the creator's share and our fee are
computed on it), so the processing fee is the platform's expense: platform_funds -F,
stripe_fees +F, in the balance transaction's currency (the settlement currency). Booked once
per charge (ledger key ``charge-<id>-stripe-fee``), in the same unit of work as the payment's
own entry, by every purchase kind (milestone funding, licence sale, contest prize, pool
pledge charged off-session or completed on-session).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.payments import ledger, purchases
from app.payments.gateway import GatewayError, PaymentGateway
from app.payments.models import JournalEntry, Posting

KIND = "stripe_fee"


def fee_key(charge_id: str) -> str:
    return f"charge-{charge_id}-stripe-fee"


def book_processing_fee(session: Session, gateway: PaymentGateway, charge_id: str | None) -> int:
    """Book the processing fee Stripe took from ``charge_id`` (read from its balance
    transaction); returns it. Idempotent (a charge already booked costs no call). Raises
    GatewayError (retryable while the charge has not settled), so the payment's confirmation
    rolls back and its webhook is retried."""
    if not charge_id:
        return 0
    if session.scalar(select(JournalEntry.id).where(JournalEntry.key == fee_key(charge_id))):
        return booked(session).get(charge_id, (0, ""))[0]
    settled = gateway.charge_settlement(charge_id)
    if settled.fee:
        ledger.post(
            session,
            key=fee_key(charge_id),
            kind=KIND,
            currency=settled.currency,
            lines=[(ledger.PLATFORM_FUNDS, -settled.fee), (ledger.STRIPE_FEES, settled.fee)],
            memo=charge_id,
        )
    return settled.fee


def booked(session: Session) -> dict[str, tuple[int, str]]:
    """charge id -> (fee booked in stripe_fees, currency)."""
    fees: dict[str, tuple[int, str]] = {}
    rows = session.execute(
        select(JournalEntry.memo, Posting.amount_minor, Posting.currency)
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .where(JournalEntry.kind == KIND, Posting.account == ledger.STRIPE_FEES)
    )
    for memo, amount, currency in rows:
        before = fees.get(memo, (0, currency))[0]
        fees[memo] = (before + int(amount), currency)
    return fees


def reconcile_fees(session: Session, gateway: PaymentGateway) -> list[str]:
    """Every paid purchase's charge: the fee we booked equals its balance transaction's fee
    (in its currency); a fee booked for a charge no purchase has is reported too."""
    problems: list[str] = []
    ours = booked(session)
    seen: dict[str, str] = {}
    for kind, charge_id in purchases.charges(session):
        seen[charge_id] = kind
        name = f"charge {charge_id} ({kind.replace('_', ' ')})"
        try:
            settled = gateway.charge_settlement(charge_id)
        except GatewayError as exc:
            problems.append(f"{name}: {exc.message}")
            continue
        fee, currency = ours.get(charge_id, (0, settled.currency))
        if (fee, currency) != (settled.fee, settled.currency):
            problems.append(
                f"{name}: Stripe's processing fee is {settled.fee} {settled.currency}, our "
                f"books {fee} {currency}"
            )
    problems.extend(
        f"charge {charge_id}: a processing fee of {fee} {currency} is booked but no purchase "
        "has this charge"
        for charge_id, (fee, currency) in sorted(ours.items())
        if charge_id not in seen
    )
    return problems
