"""One settlement path for everything that pays a creator.

A *payable* is a sale whose net amount a creator receives: a milestone (also the money of an
influencer campaign order, which is paid through its contract's milestone), a licence royalty
or a contest award. Each kind registers a ``PayableKind`` at start-up; from then on the rules
below are written once, here:

``settle()``  releases the money to the creator: fixes the platform fee (the reputation
              formula, or the royalty tier the caller passes) and the clearance hold, books
              source -> creator_pending + platform_fees, creates the Payout row and its timer.
``pay_out()`` after the hold: refuses while the sale is held (a dispute), the creator is
              suspended or not onboarded; otherwise one Stripe Transfer with the payout's
              idempotency key, booked creator_pending -> creator_paid, and tells the kind.
``take_back()`` a refund after release: cancels a scheduled payout or reverses a paid one.

Settlement currency (decided for issue 13): the deployment settles in every currency it sells
in (USD, EUR, GBP: the platform's Stripe account has a bank account per currency, so Stripe
keeps each charge in its own currency and a transfer in the charge's currency is valid). Before
each transfer ``pay_out`` reads the charge's balance transaction; if Stripe converted it (an
account without that currency's bank account), the payout is not sent in a currency Stripe
would refuse: it needs attention (SettlementCurrencyMismatch) until the account is fixed.

Chargebacks of any sale: app.settlement.chargebacks. Lock order: the payable (and its parents,
app.workflow) before its chargeback, before its payout row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.errors import Conflict, InvalidTransition
from app.payments import fees, ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount
from app.settlement.models import Chargeback, ChargebackStatus, Payout, PayoutState
from app.workflow import StateMachine, lock

P = PayoutState
MACHINE = StateMachine(
    "payout",
    PayoutState,
    {
        "pay": ({P.SCHEDULED}, P.PAID),
        "cancel": ({P.SCHEDULED, P.FAILED}, P.CANCELLED),
        "reverse": ({P.PAID}, P.REVERSED),
        "fail": ({P.SCHEDULED}, P.FAILED),
        "retry": ({P.FAILED}, P.SCHEDULED),
    },
)
JOB = "payout"
PAY_OUT_TIMER = jobs.Timer(JOB, "payout", "payout-{id}")
RETRY_TIMER = jobs.Timer(JOB, "payout", "payout-{id}-retry-{at}")
# A blocked payout is tried again after this; the events that unblock it (onboarding done,
# reinstatement, a dispute released) make it due at once.
WAIT_WHILE_BLOCKED = timedelta(hours=6)
# Stripe keeps an idempotency key (and the response stored under it) for 24 hours.
KEY_WINDOW = timedelta(hours=24)


class PayoutBlocked(Conflict):
    """The payout cannot be made now (suspended, not onboarded, sale held); it waits."""

    code = "payout_blocked"


class SettlementCurrencyMismatch(Conflict):
    """Stripe converted the sale's charge to another settlement currency. The deployment
    settles in every currency it sells in (docs/decision in app.settlement), so this is a
    configuration problem for a person: retrying cannot help."""

    code = "settlement_currency_mismatch"
    retryable = False


class StillClearing(Conflict):
    code = "still_clearing"

    def __init__(self, clears_at: datetime) -> None:
        super().__init__(f"The payment is clearing until {clears_at:%Y-%m-%d %H:%M} UTC.")
        self.clears_at = clears_at


class PayableKind(Protocol):
    """How settlement reaches one kind of sale (registered by its domain at start-up)."""

    subject_type: str

    def lock(self, session: Session, subject_id: int) -> Any:
        """Lock the sale (and its parents) for a payout decision."""

    def hold_reason(self, session: Session, subject: Any) -> str | None:
        """Why the sale must not be paid out now (e.g. it is disputed), or None."""

    def paid(self, session: Session, subject: Any, payout: Payout) -> None:
        """The transfer was made: move the sale's own state (e.g. milestone -> paid_out)."""


_kinds: dict[str, PayableKind] = {}


def register(kind: PayableKind) -> None:
    _kinds[kind.subject_type] = kind


def kinds() -> list[PayableKind]:
    return list(_kinds.values())


def kind_for(subject_type: str) -> PayableKind:
    return _kinds[subject_type]


@dataclass(frozen=True)
class Release:
    """What a sale hands to ``settle``: the gross amount, where it comes from, and names."""

    subject_type: str
    subject_id: int
    creator_id: int
    gross_minor: int
    currency: str
    charge_id: str | None
    source_account: str
    transfer_group: str
    title: str = ""
    ledger_key: str | None = None  # default "<subject>-<id>-release"
    ledger_kind: str = "release"
    milestone_id: int | None = None  # the journal entry's milestone, for milestone sales


def settle(
    session: Session, release: Release, *, fee_bp: int | None = None, memo: str = ""
) -> Payout:
    """Release ``release.gross_minor`` to the creator; returns the scheduled Payout.

    The fee rate is ``fee_bp`` (a royalty tier) or the creator's reputation rate; the hold is
    always the creator's reputation hold. Books source -gross, creator_pending +net,
    platform_fees +fee, and schedules the payout at the end of the hold. The caller holds the
    sale's lock. Raises UnbalancedEntry/IntegrityError if the sale was already released.
    """
    terms = fees.terms_for(session, release.creator_id)
    rate = terms.fee_bp if fee_bp is None else fee_bp
    fee = fees.fee_for(release.gross_minor, rate)
    prefix = f"{release.subject_type.replace('_', '-')}-{release.subject_id}"
    payout = Payout(
        subject_type=release.subject_type,
        subject_id=release.subject_id,
        creator_id=release.creator_id,
        title=release.title[:200],
        gross_minor=release.gross_minor,
        fee_minor=fee,
        fee_bp=rate,
        hold_hours=terms.hold_hours,
        currency=release.currency,
        charge_id=release.charge_id,
        transfer_group=release.transfer_group,
        transfer_key=f"{prefix}-transfer",
        clears_at=clock.now() + timedelta(hours=terms.hold_hours),
    )
    session.add(payout)
    session.flush()
    ledger.post(
        session,
        key=release.ledger_key or f"{prefix}-release",
        kind=release.ledger_kind,
        currency=release.currency,
        milestone_id=release.milestone_id,
        lines=[
            (release.source_account, -release.gross_minor),
            (ledger.creator_pending(release.creator_id), release.gross_minor - fee),
            (ledger.PLATFORM_FEES, fee),
        ],
        memo=memo,
    )
    _schedule(session, payout, payout.clears_at)
    return payout


def payout_for(session: Session, subject_type: str, subject_id: int) -> Payout | None:
    return session.scalar(
        select(Payout).where(Payout.subject_type == subject_type, Payout.subject_id == subject_id)
    )


def _schedule(session: Session, payout: Payout, due_at: datetime) -> None:
    PAY_OUT_TIMER.set(session, payout.id, due_at)


def make_due(session: Session, payout: Payout) -> None:
    """Try ``payout`` again as soon as it has cleared (something that blocked it went away)."""
    if payout.state is P.SCHEDULED:
        payout.blocked_reason = ""
        _schedule(session, payout, max(payout.clears_at, clock.now()))


def make_due_for_creator(session: Session, creator_id: int) -> int:
    """The creator became payable (onboarded, reinstated): their waiting payouts go now."""
    waiting = session.scalars(
        select(Payout).where(Payout.creator_id == creator_id, Payout.state == P.SCHEDULED)
    ).all()
    for payout in waiting:
        make_due(session, payout)
    return len(waiting)


def _lock_with_subject(session: Session, payout_id: int) -> tuple[Payout, Any, PayableKind]:
    found = session.get(Payout, payout_id)
    if found is None:
        raise Conflict("No such payout.")
    kind = _kinds[found.subject_type]
    subject = kind.lock(session, found.subject_id)
    return lock(session, Payout, payout_id), subject, kind


def blocked_because(session: Session, payout: Payout, subject: Any, kind: PayableKind) -> str:
    """Why ``payout`` cannot be transferred now ("" when it can)."""
    reason = kind.hold_reason(session, subject) or _charged_back(session, payout)
    if reason:
        return reason
    creator = session.get(User, payout.creator_id)
    if creator is None or creator.suspended_at is not None:
        return "The creator's account is suspended; the payout is on hold."
    account = session.get(ConnectedAccount, payout.creator_id)
    if account is None or not account.ready:
        return "The creator has not finished setting up payouts."
    return ""


def _charged_back(session: Session, payout: Payout) -> str | None:
    """An open chargeback on the payout's charge holds it (app.settlement.chargebacks)."""
    if payout.charge_id and session.scalar(
        select(Chargeback.id).where(
            Chargeback.charge_id == payout.charge_id, Chargeback.status == ChargebackStatus.OPEN
        )
    ):
        return "The payment was charged back; the payout waits for the bank's decision."
    return None


def pay_out(session: Session, gateway: PaymentGateway, payout_id: int) -> Payout:
    """Transfer a cleared payout's net amount to the creator (idempotent).

    Returns the payout, unchanged if it was already paid. Raises InvalidTransition (cancelled,
    reversed, failed), StillClearing, PayoutBlocked (held sale, suspended or not onboarded
    creator), Conflict (no charge to transfer from), GatewayError (``retryable`` for
    network/5xx: the job retries with the same key, so Stripe makes one transfer).
    """
    payout, subject, kind = _lock_with_subject(session, payout_id)
    if payout.state is P.PAID:
        return payout
    if not MACHINE.allowed("pay", payout.state):
        raise InvalidTransition(f"This payout is {payout.state.value}.")
    if payout.clears_at > clock.now():
        raise StillClearing(payout.clears_at)
    reason = blocked_because(session, payout, subject, kind)
    if reason:
        payout.blocked_reason = reason[:200]
        raise PayoutBlocked(reason)
    if not payout.charge_id:
        raise Conflict("This sale has no charge to transfer from.")
    account = session.get(ConnectedAccount, payout.creator_id)
    assert account is not None
    settled = gateway.charge_settlement(payout.charge_id)
    if settled.currency != payout.currency:
        raise SettlementCurrencyMismatch(
            f"Stripe settled this {payout.currency} payment in {settled.currency}: add a "
            f"{payout.currency} bank account to the platform's Stripe account (one per currency "
            "sold), then retry the payout."
        )
    transfer_id = gateway.create_transfer(
        amount=payout.net_minor,
        currency=payout.currency,
        destination=account.stripe_account_id,
        source_transaction=payout.charge_id,
        transfer_group=payout.transfer_group,
        metadata=_metadata(payout),
        idempotency_key=current_key(payout),
    )
    _book_paid(session, payout, subject, kind, transfer_id, account.stripe_account_id)
    return payout


def _metadata(payout: Payout) -> dict[str, str]:
    return {f"{payout.subject_type}_id": str(payout.subject_id), "payout_id": str(payout.id)}


def current_key(payout: Payout) -> str:
    """The Stripe idempotency key of the payout's transfer: ``transfer_key``, then a fresh
    ``-g<n>`` suffix for each retry made after Stripe's 24 h key window (see ``retry``)."""
    if payout.key_generation:
        return f"{payout.transfer_key}-g{payout.key_generation}"
    return payout.transfer_key


def _book_paid(
    session: Session,
    payout: Payout,
    subject: Any,
    kind: PayableKind,
    transfer_id: str,
    destination: str,
) -> None:
    MACHINE.move(session, payout, "pay", actor_id=None, transfer=transfer_id)
    payout.stripe_transfer_id, payout.destination = transfer_id, destination
    payout.paid_at, payout.blocked_reason, payout.attention_since = clock.now(), "", None
    ledger.post(
        session,
        key=payout.transfer_key,
        kind="transfer",
        currency=payout.currency,
        milestone_id=payout.subject_id if payout.subject_type == "milestone" else None,
        lines=[
            (ledger.creator_pending(payout.creator_id), -payout.net_minor),
            (ledger.creator_paid(payout.creator_id), payout.net_minor),
        ],
        memo=transfer_id,
    )
    kind.paid(session, subject, payout)


def pay_out_subject(
    session: Session, gateway: PaymentGateway, subject_type: str, subject_id: int
) -> Payout:
    """``pay_out`` for the payout of a sale (what its job does when it is due). Raises
    InvalidTransition when the sale was never released, and what ``pay_out`` raises."""
    payout = payout_for(session, subject_type, subject_id)
    if payout is None:
        raise InvalidTransition(f"This {subject_type.replace('_', ' ')} has nothing to pay out.")
    return pay_out(session, gateway, payout.id)


def take_back(
    session: Session, gateway: PaymentGateway, payout: Payout, *, key: str, reason: str
) -> tuple[str, str | None]:
    """A refund after release takes the creator's share back; the caller locked the sale.

    A scheduled payout is cancelled (the net leaves creator_pending); a paid one is reversed
    at Stripe (idempotency ``key``; the net leaves creator_paid). Returns (the ledger account
    the net comes back from, the Stripe reversal id or None). The caller books the refund.
    """
    payout = lock(session, Payout, payout.id)
    if payout.state is P.PAID:
        reversal_id = _reverse_once(session, gateway, payout, key)
        payout.reversed_minor = payout.net_minor
        MACHINE.move(session, payout, "reverse", actor_id=None, reversal=reversal_id, note=reason)
        return ledger.creator_paid(payout.creator_id), reversal_id
    MACHINE.move(session, payout, "cancel", actor_id=None, note=reason)
    PAY_OUT_TIMER.cancel(session, payout.id)
    return ledger.creator_pending(payout.creator_id), None


def _reverse_once(session: Session, gateway: PaymentGateway, payout: Payout, key: str) -> str:
    """Reverse a paid payout's transfer, resumably: a reversal an earlier attempt made at
    Stripe (then failed later, e.g. at the refund, and rolled our books back) is found on the
    transfer and adopted, whether or not its idempotency key is still remembered."""
    transfer_id = str(payout.stripe_transfer_id)
    transfer = gateway.retrieve_transfer(transfer_id)
    if transfer.amount_reversed >= payout.net_minor:
        reversals = gateway.list_transfer_reversals(transfer_id)
        if reversals:
            return reversals[0][0]
    return gateway.create_transfer_reversal(
        transfer_id,
        amount=payout.net_minor - transfer.amount_reversed,
        metadata={f"{payout.subject_type}_id": str(payout.subject_id)},
        idempotency_key=key,
    )


def run_payout_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str | jobs.Later:
    payout = session.get(Payout, job.subject_id)
    if payout is None or payout.state is not P.SCHEDULED:
        return f"nothing to do ({payout.state if payout else 'gone'})"
    payout, subject, kind = _lock_with_subject(session, payout.id)
    if payout.clears_at > clock.now():
        return jobs.Later("still clearing", payout.clears_at)
    reason = blocked_because(session, payout, subject, kind)
    if reason:
        # Kept on the payout so the creator and the admins see why it waits; the first time
        # (or when the reason changes) the creator is told ("payout.held").
        if payout.blocked_reason != reason[:200]:
            payout.blocked_reason = reason[:200]
            MACHINE.record(session, payout, "held", actor_id=None, reason=reason[:200])
        return jobs.Later(reason, clock.now() + WAIT_WHILE_BLOCKED)
    paid = pay_out(session, context.gateway, payout.id)
    return f"transferred {paid.stripe_transfer_id}"


def _give_up(session: Session, job: jobs.Job) -> None:
    """Stripe refused the transfer for good, or kept failing: the payout needs attention
    (admin page /admin/payouts, ``flask payouts list|retry``)."""
    payout = lock(session, Payout, job.subject_id)
    if payout.state is P.SCHEDULED:
        payout.blocked_reason = job.last_error[:200]
        payout.attention_since = clock.now()
        MACHINE.move(session, payout, "fail", actor_id=None, error=job.last_error[:500])


def needing_attention(session: Session) -> list[Payout]:
    return list(
        session.scalars(
            select(Payout).where(Payout.state == P.FAILED).order_by(Payout.attention_since)
        )
    )


def retry(
    session: Session, gateway: PaymentGateway, payout_id: int, *, actor_id: int | None = None
) -> Payout:
    """A person sends a failed payout again. Raises InvalidTransition, GatewayError.

    Within Stripe's 24 h idempotency window the same key is used (a transfer Stripe did make
    is found, not made twice; a stored error is replayed, so the payout comes back here).
    After the window the key may be forgotten by Stripe, so the transfers of the payout's
    group to its creator are listed first: one carrying this payout's id in its metadata is
    adopted (booked as paid, nothing sent); only if there is none does the retry use a fresh
    key (``key_generation`` + 1). The window is counted from ``attention_since``, after the
    key's last use, so it has passed for certain.
    """
    found = session.get(Payout, payout_id)
    if found is None:
        raise Conflict("No such payout.")
    payout, subject, kind = _lock_with_subject(session, payout_id)
    if not MACHINE.allowed("retry", payout.state):
        raise InvalidTransition(f"This payout is {payout.state.value}.")
    window_over = payout.attention_since is not None and (
        clock.now() - payout.attention_since >= KEY_WINDOW
    )
    account = session.get(ConnectedAccount, payout.creator_id)
    made: list[str] = []
    if window_over and account is not None:
        made = [
            t.id
            for t in gateway.list_transfers(
                transfer_group=payout.transfer_group, destination=account.stripe_account_id
            )
            if t.metadata.get("payout_id") == str(payout.id)
        ]
    MACHINE.move(session, payout, "retry", actor_id=actor_id, fresh_key=window_over and not made)
    payout.blocked_reason = ""
    if made and account is not None:
        _book_paid(session, payout, subject, kind, made[0], account.stripe_account_id)
        return payout
    if window_over:
        payout.key_generation += 1
    payout.attention_since = None
    RETRY_TIMER.set(session, payout.id, clock.now(), at=f"{clock.now():%Y%m%d%H%M%S}")
    return payout


def check_balances(
    session: Session, balances: dict[tuple[str, str], int], report: ledger.CheckReport
) -> None:
    """Ledger invariant (``flask ledger-check``): what the ledger holds for each creator
    matches their payouts: creator_pending = net of payouts not yet transferred, creator_paid
    = net of payouts transferred and not reversed."""
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for payout in session.scalars(select(Payout)):
        if payout.state in (P.SCHEDULED, P.FAILED):
            expected[(ledger.creator_pending(payout.creator_id), payout.currency)] += (
                payout.net_minor
            )
        elif payout.state is P.PAID:
            expected[(ledger.creator_paid(payout.creator_id), payout.currency)] += payout.net_minor
    accounts = {key for key in balances if key[0].startswith(("creator_pending:", "creator_paid:"))}
    for account, currency in sorted(accounts | set(expected)):
        held, owed = balances.get((account, currency), 0), expected.get((account, currency), 0)
        if held != owed:
            report.problems.append(f"{account} holds {held} {currency} but its payouts say {owed}")


def wire() -> None:
    """Start-up registration (create_app)."""
    jobs.register(JOB, run_payout_job, on_give_up=_give_up)
    ledger.register_check(check_balances)
