"""Read-only views of money: a creator's earnings, a business's payment history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.contracts.models import Contract
from app.payments import fees, ledger
from app.payments.models import ConnectedAccount, Milestone
from app.payments.states import ACTIVE
from app.settlement.models import Payout, PayoutState


@dataclass(frozen=True)
class ClearingItem:
    """A released sale waiting for its clearance hold (any payable kind)."""

    subject_type: str
    subject_id: int
    title: str
    net_minor: int
    currency: str
    clears_at: datetime | None
    blocked_reason: str = ""


@dataclass
class Earnings:
    """Amounts per currency (minor units), derived from the ledger."""

    creator_id: int
    terms: fees.Terms
    pending: dict[str, int] = field(default_factory=dict)  # released, clearing
    paid: dict[str, int] = field(default_factory=dict)  # transferred to Stripe
    in_escrow: dict[str, int] = field(default_factory=dict)  # funded, not released yet
    clearing: list[ClearingItem] = field(default_factory=list)
    payouts_ready: bool = False


def earnings(session: Session, creator_id: int) -> Earnings:
    """Pending, clearing (with release dates), paid, escrowed, and the fee/hold formula with
    the creator's current numbers."""
    result = Earnings(creator_id=creator_id, terms=fees.terms_for(session, creator_id))
    for (account, currency), total in ledger.balances(session).items():
        if account == ledger.creator_pending(creator_id):
            result.pending[currency] = total
        elif account == ledger.creator_paid(creator_id):
            result.paid[currency] = total
    waiting = session.scalars(
        select(Payout)
        .where(Payout.creator_id == creator_id, Payout.state == PayoutState.SCHEDULED)
        .order_by(Payout.clears_at, Payout.id)
    )
    result.clearing = [
        ClearingItem(
            p.subject_type,
            p.subject_id,
            p.title,
            p.net_minor,
            p.currency,
            p.clears_at,
            p.blocked_reason,
        )
        for p in waiting
    ]
    escrowed = session.scalars(
        select(Milestone)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.creator_id == creator_id, Milestone.state.in_(ACTIVE))
    )
    for milestone in escrowed:
        result.in_escrow[milestone.currency] = (
            result.in_escrow.get(milestone.currency, 0) + milestone.funded_minor
        )
    connected = session.get(ConnectedAccount, creator_id)
    result.payouts_ready = bool(connected and connected.ready)
    return result


@dataclass(frozen=True)
class PaymentRow:
    milestone_id: int
    contract_id: int
    contract_title: str
    title: str
    amount_minor: int
    currency: str
    state: str
    funded_at: datetime | None
    released_at: datetime | None
    refunded_minor: int


def payment_history(session: Session, business_id: int) -> list[PaymentRow]:
    """Every milestone of the business's contracts, newest contract first."""
    rows = session.execute(
        select(Milestone, Contract.title)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.business_id == business_id)
        .order_by(Contract.id.desc(), Milestone.position)
    )
    return [
        PaymentRow(
            milestone_id=m.id,
            contract_id=m.contract_id,
            contract_title=title,
            title=m.title,
            amount_minor=m.amount_minor,
            currency=m.currency,
            state=str(m.state),
            funded_at=m.funded_at,
            released_at=m.released_at,
            refunded_minor=m.refunded_minor,
        )
        for m, title in rows
    ]
