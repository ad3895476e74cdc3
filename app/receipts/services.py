"""Earnings and spend lines, and the receipt behind each one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.contests.models import Contest
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import NotFound
from app.media.models import LicenseStatus, MediaLicense
from app.payments.models import Milestone
from app.settlement.models import Payout, PayoutState

INCOME_KINDS = {
    "milestone": "Contract milestone",
    "media_license": "Licence royalty",
    "contest_award": "Contest prize",
}
SPEND_KINDS = {"milestone": "Milestone", "licence": "Media licence", "contest": "Contest prize"}


@dataclass(frozen=True)
class EarningLine:
    payout: Payout
    kind: str
    status: str  # what a person reads: "Clearing until …", "Paid out on …", "On hold: …"
    hold: timedelta

    @property
    def receipt_kind(self) -> str:
        return "payout"


def _name(user: User | None) -> str:
    if user is None:
        return "—"
    return (user.company_name or user.display_name) if user.is_business else user.display_name


def earnings_ledger(session: Session, creator_id: int) -> list[EarningLine]:
    """Every payout of the creator (milestones, campaign orders, licence royalties, contest
    prizes), newest first, with its state and clearance hold."""
    lines = []
    now = clock.now()
    for payout in session.scalars(
        select(Payout).where(Payout.creator_id == creator_id).order_by(Payout.id.desc())
    ):
        state = PayoutState(payout.state)
        if state is PayoutState.PAID:
            status = f"Paid out on {payout.paid_at:%d %b %Y}" if payout.paid_at else "Paid out"
        elif state is PayoutState.SCHEDULED and payout.blocked_reason:
            status = f"On hold: {payout.blocked_reason}"
        elif state is PayoutState.SCHEDULED and payout.clears_at > now:
            status = f"Clearing until {payout.clears_at:%d %b %Y, %H:%M} UTC"
        elif state is PayoutState.SCHEDULED:
            status = "Cleared, being paid out"
        else:
            status = state.value.capitalize()
        lines.append(
            EarningLine(
                payout=payout,
                kind=INCOME_KINDS.get(payout.subject_type, payout.subject_type),
                status=status,
                hold=timedelta(hours=payout.hold_hours),
            )
        )
    return lines


@dataclass(frozen=True)
class SpendLine:
    kind: str  # milestone, licence, contest
    id: int
    title: str
    amount_minor: int
    refunded_minor: int
    currency: str
    paid_at: datetime
    state: str
    url: str = ""


def spend(session: Session, business_id: int) -> list[SpendLine]:
    """Everything the business paid for: funded milestones, licences, contest prizes."""
    lines: list[SpendLine] = []
    for m, contract in session.execute(
        select(Milestone, Contract)
        .join(Contract, Contract.id == Milestone.contract_id)
        .where(Contract.business_id == business_id, Milestone.funded_at.is_not(None))
    ).all():
        assert m.funded_at is not None
        lines.append(
            SpendLine(
                "milestone",
                m.id,
                f"{contract.title}: {m.title}",
                m.funded_minor,
                m.refunded_minor,
                m.currency,
                m.funded_at,
                str(m.state).replace("_", " ").capitalize(),
            )
        )
    for licence in session.scalars(
        select(MediaLicense).where(
            MediaLicense.licensee_id == business_id, MediaLicense.status == LicenseStatus.ACTIVE
        )
    ):
        lines.append(
            SpendLine(
                "licence",
                licence.id,
                f"{licence.license_type.value.capitalize()} licence: {licence.asset.title}",
                licence.price_minor,
                0,
                licence.currency,
                licence.sold_at or licence.created_at,
                "Active",
            )
        )
    for contest in session.scalars(
        select(Contest).where(Contest.business_id == business_id, Contest.funded_at.is_not(None))
    ):
        assert contest.funded_at is not None
        lines.append(
            SpendLine(
                "contest",
                contest.id,
                f"Contest prize: {contest.title}",
                contest.funded_minor,
                contest.refunded_minor,
                contest.currency,
                contest.funded_at,
                str(contest.state).capitalize(),
            )
        )
    return sorted(lines, key=lambda line: line.paid_at, reverse=True)


@dataclass(frozen=True)
class Receipt:
    number: str
    title: str
    issued_at: datetime
    payer: str
    payee: str
    currency: str
    lines: list[tuple[str, int]] = field(default_factory=list)  # (label, signed amount)
    total_label: str = "Total"
    total_minor: int = 0
    facts: list[tuple[str, str]] = field(default_factory=list)


def payout_receipt(session: Session, payout_id: int, viewer: User) -> Receipt:
    """The creator's receipt for one payout. Raises NotFound (not theirs)."""
    payout = session.get(Payout, payout_id) if 0 < payout_id <= MAX_ID else None
    if payout is None or payout.creator_id != viewer.id:
        raise NotFound("No such receipt.")
    facts = [
        ("Kind", INCOME_KINDS.get(payout.subject_type, payout.subject_type)),
        ("Platform fee rate", f"{payout.fee_bp / 100:g} %"),
        ("Clearance hold", _hold(payout.hold_hours)),
        ("Cleared on", f"{payout.clears_at:%d %b %Y, %H:%M} UTC"),
        ("State", PayoutState(payout.state).value.capitalize()),
    ]
    if payout.paid_at:
        facts.append(("Paid out on", f"{payout.paid_at:%d %b %Y, %H:%M} UTC"))
    if payout.stripe_transfer_id:
        facts.append(("Stripe transfer", payout.stripe_transfer_id))
    if payout.blocked_reason:
        facts.append(("On hold because", payout.blocked_reason))
    return Receipt(
        number=f"P-{payout.id:06d}",
        title=payout.title or "Payout",
        issued_at=payout.created_at,
        payer="Cobalt Market (on behalf of the buyer)",
        payee=_name(session.get(User, payout.creator_id)),
        currency=payout.currency,
        lines=[("Sale amount", payout.gross_minor), ("Platform fee", -payout.fee_minor)],
        total_label="You receive",
        total_minor=payout.net_minor,
        facts=facts,
    )


def spend_receipt(session: Session, kind: str, ident: int, viewer: User) -> Receipt:
    """The business's receipt for one payment. Raises NotFound (unknown, or not theirs)."""
    if not 0 < ident <= MAX_ID:
        raise NotFound("No such receipt.")
    found = next(
        (line for line in spend(session, viewer.id) if (line.kind, line.id) == (kind, ident)),
        None,
    )
    if found is None:
        raise NotFound("No such receipt.")
    payee = "—"
    if kind == "milestone":
        milestone = session.get(Milestone, ident)
        assert milestone is not None
        payee = _name(milestone.contract.creator)
    elif kind == "licence":
        licence = session.get(MediaLicense, ident)
        assert licence is not None
        payee = _name(session.get(User, licence.creator_id))
    else:
        payee = "Held in escrow for the winning entries"
    lines = [(SPEND_KINDS[kind], found.amount_minor)]
    if found.refunded_minor:
        lines.append(("Refunded to you", -found.refunded_minor))
    return Receipt(
        number=f"{kind[0].upper()}-{ident:06d}",
        title=found.title,
        issued_at=found.paid_at,
        payer=_name(viewer),
        payee=payee,
        currency=found.currency,
        lines=lines,
        total_label="You paid",
        total_minor=found.amount_minor - found.refunded_minor,
        facts=[("State", found.state)],
    )


def _hold(hours: int) -> str:
    from app.templating import duration

    return duration(timedelta(hours=hours))
