"""``flask ledger-check --reconcile``: what our books say against what Stripe says.

For every payout that was transferred: the Stripe transfer exists, to the same account, for the
same amount and currency, with the reversed amount our books hold; its charge settled in the
payout's currency. For every chargeback: Stripe's dispute has the amount, fee and outcome we
booked. For every paid purchase: the processing fee we booked is its balance transaction's
(app.settlement.stripe_fees). Read-only; each difference is one line in the report.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.payments.gateway import GatewayError, PaymentGateway
from app.settlement.models import Chargeback, ChargebackStatus, Payout, PayoutState
from app.settlement.stripe_fees import reconcile_fees


def _payout_differences(gateway: PaymentGateway, payout: Payout) -> Iterator[str]:
    transfer = gateway.retrieve_transfer(str(payout.stripe_transfer_id))
    settled = gateway.charge_settlement(str(payout.charge_id))
    if (transfer.amount, transfer.currency) != (payout.net_minor, payout.currency):
        yield (
            f"Stripe transferred {transfer.amount} {transfer.currency}, our books "
            f"{payout.net_minor} {payout.currency}"
        )
    if transfer.destination != payout.destination:
        yield f"sent to {transfer.destination}, not {payout.destination}"
    if transfer.amount_reversed != payout.reversed_minor:
        yield f"Stripe reversed {transfer.amount_reversed}, our books {payout.reversed_minor}"
    if settled.currency != payout.currency:
        yield f"its charge settled in {settled.currency}"


def _chargeback_differences(gateway: PaymentGateway, chargeback: Chargeback) -> Iterator[str]:
    dispute = gateway.retrieve_dispute(chargeback.stripe_dispute_id)
    if (dispute.amount, dispute.fee) != (chargeback.amount_minor, chargeback.fee_minor):
        yield (
            f"Stripe says {dispute.amount} + fee {dispute.fee}, our books "
            f"{chargeback.amount_minor} + fee {chargeback.fee_minor}"
        )
    ours = chargeback.status.value
    theirs = dispute.status if dispute.status in ("won", "lost") else ChargebackStatus.OPEN
    if ours != theirs:
        yield f"Stripe says {dispute.status}, our books {ours}"


def _report(name: str, differences: Iterator[str]) -> list[str]:
    """Each difference as one line about ``name``; Stripe not answering is one line too."""
    try:
        return [f"{name}: {difference}" for difference in differences]
    except GatewayError as exc:
        return [f"{name}: {exc.message}"]


def reconcile(session: Session, gateway: PaymentGateway) -> list[str]:
    problems: list[str] = []
    paid = (PayoutState.PAID, PayoutState.REVERSED)
    for payout in session.scalars(select(Payout).where(Payout.state.in_(paid)).order_by(Payout.id)):
        name = f"payout {payout.id} ({payout.subject_type} {payout.subject_id})"
        problems += _report(name, _payout_differences(gateway, payout))
    for chargeback in session.scalars(select(Chargeback).order_by(Chargeback.id)):
        name = f"chargeback {chargeback.id} ({chargeback.stripe_dispute_id})"
        problems += _report(name, _chargeback_differences(gateway, chargeback))
    problems.extend(reconcile_fees(session, gateway))
    return problems
