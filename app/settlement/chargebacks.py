"""Chargebacks (Stripe disputes) on the charge of any sale, through the one settlement path.

Every ``charge.dispute.*`` event ends in ``sync``, which re-fetches the dispute from Stripe and
applies what has not been applied yet, step by step (so duplicates and out-of-order events
are harmless):

opened   a Chargeback row; the sale is frozen (its payout waits: settlement.blocked_because;
         the kind may freeze its own state: the milestone becomes disputed, moderators get a
         case);
         the withdrawal is booked: platform_funds -(A+F), chargebacks +A, dispute_fees +F.
won      the disputed amount comes back (chargebacks -A, platform_funds +A; Stripe keeps the
         fee); the kind is told (the milestone goes back where it was) and the payouts are due.
lost     the creators' share is taken back: a scheduled payout is cancelled, a paid one is
         reversed at Stripe (every payout made from the sale: a contest's awards, the kind's
         ``payouts``); what was never released (a milestone's escrow) goes to cover the
         withdrawal; creator/escrow -> platform_funds. The kind marks the sale charged back.

While a chargeback is open, nothing may refund, split or release the sale's charge
(``refuse_if_charged_back``): Stripe refuses the refund with ``charge_disputed``, and paying the
creator would pay out money the bank has already taken.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, settlement
from app.errors import Conflict, NotFound, ValidationFailed
from app.payments import ledger
from app.payments.gateway import DisputeInfo, PaymentGateway
from app.settlement.models import Chargeback, ChargebackStatus, Payout, PayoutState
from app.workflow import lock

C = ChargebackStatus
MAX_EVIDENCE = 5000


class ChargedBack(Conflict):
    """The sale's payment has an open chargeback: no refund, split or release until it ends."""

    code = "charge_disputed"


class ChargebackAware(Protocol):
    """Optional hooks of a PayableKind for chargebacks (all kinds get the payout rules)."""

    subject_type: str

    def find_by_charge(self, session: Session, charge_id: str) -> int | None: ...

    def payouts(self, session: Session, subject: Any) -> list[Payout]:
        """Every payout made from the sale's charge (default: the sale's own payout)."""

    def chargeback_opened(self, session: Session, subject: Any, chargeback: Chargeback) -> str:
        """Freeze the sale; returns its state before (shown to moderators)."""

    def chargeback_won(self, session: Session, subject: Any, chargeback: Chargeback) -> None: ...

    def chargeback_lost(
        self, session: Session, subject: Any, chargeback: Chargeback, payout: Payout | None
    ) -> list[tuple[str, int]]:
        """Mark the sale charged back; returns ledger lines for money never released."""


def open_on(session: Session, charge_id: str | None) -> Chargeback | None:
    if not charge_id:
        return None
    return session.scalar(
        select(Chargeback).where(Chargeback.charge_id == charge_id, Chargeback.status == C.OPEN)
    )


def refuse_if_charged_back(session: Session, charge_id: str | None) -> None:
    """Guard before any refund, split or release of a charge. Raises ChargedBack."""
    if open_on(session, charge_id) is not None:
        raise ChargedBack(
            "The business's bank has opened a chargeback on this payment: nothing can be "
            "refunded, split or released until the bank decides."
        )


def _owner(session: Session, charge_id: str) -> tuple[str, int] | None:
    """The sale a charge paid for: a kind that finds it by its charge first (a contest owns
    its prize's charge before and after the award, whose payouts share it), else the sale
    of the payout made from it."""
    for kind in settlement.kinds():
        finder = getattr(kind, "find_by_charge", None)
        if finder is not None:
            subject_id = finder(session, charge_id)
            if subject_id is not None:
                return kind.subject_type, subject_id
    payout = session.scalar(select(Payout).where(Payout.charge_id == charge_id).limit(1))
    if payout is not None:
        return payout.subject_type, payout.subject_id
    return None


def _payouts(session: Session, kind: Any, subject: Any, chargeback: Chargeback) -> list[Payout]:
    """The payouts made from the disputed sale: the kind's own list (a contest's awards) or
    the sale's payout."""
    listed = getattr(kind, "payouts", None)
    if listed is not None:
        return list(listed(session, subject))
    payout = settlement.payout_for(session, chargeback.subject_type, chargeback.subject_id)
    return [] if payout is None else [payout]


def sync(session: Session, gateway: PaymentGateway, dispute_id: str) -> str:
    """Apply what Stripe's dispute says (re-fetched); returns what happened, for the event log.

    Raises GatewayError (Stripe unreachable or the dispute unknown).
    """
    info = gateway.retrieve_dispute(dispute_id)
    chargeback = session.scalar(select(Chargeback).where(Chargeback.stripe_dispute_id == info.id))
    if chargeback is None:
        if info.status.startswith("warning_"):
            return "inquiry: no money moved"
        owner = _owner(session, info.charge_id)
        if owner is None:
            return "not ours"
        chargeback = _open(session, info, *owner)
    chargeback = lock(session, Chargeback, chargeback.id)
    chargeback.stripe_status = info.status
    if info.status in ("won", "lost") and chargeback.status is C.OPEN:
        _close(session, gateway, chargeback, C(info.status))
    return f"chargeback {chargeback.id} {chargeback.status.value} ({info.status})"


def _kind_and_subject(session: Session, chargeback: Chargeback) -> tuple[Any, Any]:
    kind = settlement.kind_for(chargeback.subject_type)
    return kind, kind.lock(session, chargeback.subject_id)


def _open(session: Session, info: DisputeInfo, subject_type: str, subject_id: int) -> Chargeback:
    chargeback = Chargeback(
        stripe_dispute_id=info.id,
        charge_id=info.charge_id,
        subject_type=subject_type,
        subject_id=subject_id,
        amount_minor=info.amount,
        fee_minor=info.fee,
        currency=info.currency,
        reason=info.reason[:64],
        stripe_status=info.status,
    )
    session.add(chargeback)
    session.flush()
    kind, subject = _kind_and_subject(session, chargeback)
    chargeback = lock(session, Chargeback, chargeback.id)
    opened = getattr(kind, "chargeback_opened", None)
    if opened is not None:
        chargeback.state_before = opened(session, subject, chargeback)[:32]
    withdrawn = [
        (ledger.PLATFORM_FUNDS, -(info.amount + info.fee)),
        (ledger.CHARGEBACKS, info.amount),
        (ledger.DISPUTE_FEES, info.fee),
    ]
    _book(session, chargeback, "withdrawn", withdrawn)
    chargeback.withdrawn = True
    return chargeback


def _book(
    session: Session, chargeback: Chargeback, step: str, lines: list[tuple[str, int]]
) -> None:
    """A chargeback's journal entry: keyed ``chargeback-<Stripe dispute id>-<step>``."""
    ledger.post(
        session,
        key=f"chargeback-{chargeback.stripe_dispute_id}-{step}",
        kind="chargeback",
        currency=chargeback.currency,
        lines=lines,
        memo=chargeback.stripe_dispute_id,
    )


def _close(
    session: Session, gateway: PaymentGateway, chargeback: Chargeback, outcome: ChargebackStatus
) -> None:
    kind, subject = _kind_and_subject(session, chargeback)
    chargeback = lock(session, Chargeback, chargeback.id)
    payouts = _payouts(session, kind, subject, chargeback)
    key = f"chargeback-{chargeback.stripe_dispute_id}"
    chargeback.status, chargeback.closed_at = outcome, clock.now()
    if outcome is C.WON:
        reinstated = [
            (ledger.CHARGEBACKS, -chargeback.amount_minor),
            (ledger.PLATFORM_FUNDS, chargeback.amount_minor),
        ]
        _book(session, chargeback, "reinstated", reinstated)
        won = getattr(kind, "chargeback_won", None)
        if won is not None:
            won(session, subject, chargeback)
        for payout in payouts:
            settlement.make_due(session, payout)
    else:
        lines: list[tuple[str, int]] = []
        for payout in payouts:
            if payout.state not in (PayoutState.SCHEDULED, PayoutState.FAILED, PayoutState.PAID):
                continue
            # One payout per sale keeps the key it always had; a contest's awards one each.
            suffix = f"-{payout.id}" if len(payouts) > 1 else ""
            account, _reversal = settlement.take_back(
                session, gateway, payout, key=f"{key}-reversal{suffix}", reason="chargeback lost"
            )
            lines += [(account, -payout.net_minor), (ledger.PLATFORM_FEES, -payout.fee_minor)]
        lost = getattr(kind, "chargeback_lost", None)
        if lost is not None:
            lines += lost(session, subject, chargeback, payouts[0] if payouts else None)
        recovered = -sum(amount for _account, amount in lines)
        if recovered:
            _book(session, chargeback, "lost", [*lines, (ledger.PLATFORM_FUNDS, recovered)])
    chargeback.closed_booked = True


def submit_evidence(
    session: Session, gateway: PaymentGateway, chargeback_id: int, *, text: str
) -> Chargeback:
    """A moderator's evidence goes to Stripe (submitted for the bank's review).

    Raises NotFound, ValidationFailed (empty or too long), Conflict (closed), GatewayError.
    """
    text = (text or "").strip()
    if not text or len(text) > MAX_EVIDENCE:
        raise ValidationFailed(
            {"evidence": [f"Write the evidence (at most {MAX_EVIDENCE} characters)."]}
        )
    found = session.get(Chargeback, chargeback_id)
    if found is None:
        raise NotFound("No such chargeback.")
    _kind, _subject = _kind_and_subject(session, found)
    chargeback = lock(session, Chargeback, chargeback_id)
    if chargeback.status is not C.OPEN:
        raise Conflict(f"This chargeback is already {chargeback.status.value}.")
    n = 1 if chargeback.evidence_sent_at is None else 2 + int(clock.now().timestamp())
    info = gateway.submit_dispute_evidence(
        chargeback.stripe_dispute_id,
        text=text,
        idempotency_key=f"chargeback-{chargeback.id}-evidence-{n}",
    )
    chargeback.evidence_text, chargeback.evidence_sent_at = text, clock.now()
    chargeback.stripe_status = info.status
    if info.status in ("won", "lost"):
        _close(session, gateway, chargeback, C(info.status))
    return chargeback


def listing(session: Session, status: ChargebackStatus | None = None) -> list[Chargeback]:
    query = select(Chargeback).order_by(Chargeback.status, Chargeback.created_at.desc())
    if status is not None:
        query = query.where(Chargeback.status == status)
    return list(session.scalars(query))


def check_balances(
    session: Session, balances: dict[tuple[str, str], int], report: ledger.CheckReport
) -> None:
    """``flask ledger-check``: chargebacks holds what open and lost disputes withdrew, and
    dispute_fees every dispute's fee."""
    held: dict[str, int] = {}
    fees: dict[str, int] = {}
    for chargeback in session.scalars(select(Chargeback)):
        if chargeback.withdrawn:
            fees[chargeback.currency] = fees.get(chargeback.currency, 0) + chargeback.fee_minor
            if chargeback.status is not C.WON:
                held[chargeback.currency] = (
                    held.get(chargeback.currency, 0) + chargeback.amount_minor
                )
    currencies = set(held) | set(fees)
    currencies |= {c for (a, c) in balances if a in (ledger.CHARGEBACKS, ledger.DISPUTE_FEES)}
    for currency in sorted(currencies):
        for account, expected in (
            (ledger.CHARGEBACKS, held.get(currency, 0)),
            (ledger.DISPUTE_FEES, fees.get(currency, 0)),
        ):
            actual = balances.get((account, currency), 0)
            if actual != expected:
                report.problems.append(
                    f"{account} holds {actual} {currency} but the chargebacks say {expected}"
                )


def wire() -> None:
    ledger.register_check(check_balances)
