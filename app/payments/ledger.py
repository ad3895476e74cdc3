"""Double-entry ledger: append-only postings; balances are always derived, never stored.

Accounts are places money sits, named ``kind`` or ``kind:scope``; within an entry the postings
sum to zero per currency:

    customer_payments        money in from businesses' cards (the only account that goes < 0)
    escrow:milestone:<id>    funded, not yet released or refunded
    escrow:contest:<id>      a contest prize paid up front, not yet awarded or refunded
    escrow:pool_pledge:<id>  a demand-pool pledge charged at close, not yet released or refunded
    creator_pending:<uid>    released to a creator, waiting for the clearance hold
    creator_paid:<uid>       transferred to the creator's connected account (net of reversals)
    platform_fees            the platform's fee revenue
    refunds                  money returned to businesses
    chargebacks              money a business's bank took back through a dispute
    dispute_fees             Stripe's fee for each dispute (kept by Stripe even when won)
    stripe_fees              Stripe's processing fee of each charge (its balance transaction's
                             ``fee``), an expense of the platform, in the settlement currency
    platform_funds           the platform's own money: covers a chargeback's debit while it
                             runs and absorbs what is not recovered (may go < 0)

    fund       customer_payments -A, escrow +A
    release    escrow -A, creator_pending +net, platform_fees +fee
    transfer   creator_pending -net, creator_paid +net
    refund     escrow -A (before release) | creator_pending/creator_paid -net and
               platform_fees -fee (after release), refunds +A
    chargeback platform_funds -(A+F), chargebacks +A, dispute_fees +F      (funds withdrawn)
               chargebacks -A, platform_funds +A                           (won: reinstated)
               escrow -A | creator_* -net and platform_fees -fee, platform_funds +A  (lost)
    stripe_fee platform_funds -F, stripe_fees +F     (each charge, when its payment succeeds)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.money import MoneyError, check_currency
from app.payments.models import JournalEntry, Milestone, Posting

CUSTOMER_PAYMENTS = "customer_payments"
PLATFORM_FEES = "platform_fees"
REFUNDS = "refunds"
CHARGEBACKS = "chargebacks"
DISPUTE_FEES = "dispute_fees"
STRIPE_FEES = "stripe_fees"
PLATFORM_FUNDS = "platform_funds"
# Accounts allowed a negative balance: the outside world's side, and the platform's own money.
EXTERNAL_ACCOUNTS = frozenset({CUSTOMER_PAYMENTS, PLATFORM_FUNDS})


class UnbalancedEntry(DomainError):
    status = 500
    code = "unbalanced_entry"


def escrow(milestone_id: int) -> str:
    return f"escrow:milestone:{milestone_id}"


def escrow_contest(contest_id: int) -> str:
    return f"escrow:contest:{contest_id}"


def escrow_pool_pledge(pledge_id: int) -> str:
    """A demand-pool pledge charged off-session, until its delivery is accepted or refunded."""
    return f"escrow:pool_pledge:{pledge_id}"


def creator_pending(user_id: int) -> str:
    return f"creator_pending:{user_id}"


def creator_paid(user_id: int) -> str:
    return f"creator_paid:{user_id}"


def post(
    session: Session,
    *,
    key: str,
    kind: str,
    currency: str,
    lines: Sequence[tuple[str, int]],
    milestone_id: int | None = None,
    memo: str = "",
) -> JournalEntry:
    """Append one balanced journal entry; raises UnbalancedEntry before writing anything.

    ``key`` is unique: booking the same movement twice fails with IntegrityError at flush,
    which callers that race treat as "already done".
    """
    try:
        currency = check_currency(currency)
    except MoneyError as exc:
        raise UnbalancedEntry(str(exc)) from exc
    lines = [(account, amount) for account, amount in lines if amount != 0]
    if len(lines) < 2:
        raise UnbalancedEntry("A journal entry needs at least two non-zero postings.")
    for _account, amount in lines:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise UnbalancedEntry("Posting amounts are integers in minor units.")
    if sum(amount for _account, amount in lines) != 0:
        raise UnbalancedEntry(f"Journal entry {key!r} does not sum to zero.")
    entry = JournalEntry(key=key, kind=kind, milestone_id=milestone_id, memo=memo)
    session.add(entry)
    session.flush()
    session.add_all(
        Posting(entry_id=entry.id, account=account, amount_minor=amount, currency=currency)
        for account, amount in lines
    )
    session.flush()
    return entry


def post_milestone(
    session: Session,
    milestone: Milestone,
    kind: str,
    lines: Sequence[tuple[str, int]],
    *,
    step: str = "",
    memo: str = "",
) -> JournalEntry:
    """A journal entry about ``milestone``, in its currency, keyed ``milestone-<id>-<kind>``
    (``-<step>`` appended when one milestone books that kind more than once)."""
    key = f"milestone-{milestone.id}-{kind}" + (f"-{step}" if step else "")
    return post(
        session,
        key=key,
        kind=kind,
        currency=milestone.currency,
        lines=lines,
        milestone_id=milestone.id,
        memo=memo,
    )


def balance(session: Session, account: str, currency: str) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_minor), 0)).where(
            Posting.account == account, Posting.currency == currency
        )
    )
    return int(total or 0)


def balances(session: Session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(Posting.account, Posting.currency, func.sum(Posting.amount_minor)).group_by(
            Posting.account, Posting.currency
        )
    )
    return {(account, currency): int(total) for account, currency, total in rows}


def snapshot(session: Session) -> tuple[int, int, dict[tuple[str, str], int]]:
    """(entries, postings, balances): tests compare it to prove that nothing was booked."""
    entries = session.scalar(select(func.count()).select_from(JournalEntry)) or 0
    postings = session.scalar(select(func.count()).select_from(Posting)) or 0
    return entries, postings, balances(session)


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    milestones: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# Invariants of escrow accounts owned by other domains (e.g. contests), added by those
# domains with ``register_check``: fn(session, balances, report) appends to report.problems.
EXTRA_CHECKS: list[Callable[[Session, dict[tuple[str, str], int], CheckReport], None]] = []


def register_check(
    fn: Callable[[Session, dict[tuple[str, str], int], CheckReport], None],
) -> None:
    if fn not in EXTRA_CHECKS:
        EXTRA_CHECKS.append(fn)


def check(session: Session) -> CheckReport:
    """Verify the ledger invariants; returns every violation found (empty means healthy).

    1. every journal entry sums to zero per currency and has postings;
    2. each milestone's escrow balance equals funded - released - refunded-from-escrow, and
       matches its state;
    3. no internal account is negative;
    4. the registered checks of other domains' escrow accounts (``register_check``).
    """
    report = CheckReport()
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for entry_id, currency, amount in session.execute(
        select(Posting.entry_id, Posting.currency, Posting.amount_minor)
    ):
        sums[(entry_id, currency)] += amount
    for (entry_id, currency), total in sorted(sums.items()):
        if total != 0:
            report.problems.append(f"entry {entry_id} sums to {total} {currency}")
    entry_ids = set(session.scalars(select(JournalEntry.id)))
    report.entries = len(entry_ids)
    for missing in sorted(entry_ids - {entry_id for entry_id, _ in sums}):
        report.problems.append(f"entry {missing} has no postings")

    all_balances = balances(session)
    for milestone in session.scalars(
        select(Milestone).order_by(Milestone.id).execution_options(populate_existing=True)
    ):
        report.milestones += 1
        held = all_balances.get((escrow(milestone.id), milestone.currency), 0)
        # Refunds come from escrow only for the part never released: all of it before release,
        # the business share of a dispute split, nothing after a full release.
        refunded_from_escrow = min(
            milestone.refunded_minor, milestone.funded_minor - milestone.released_minor
        )
        expected = milestone.funded_minor - milestone.released_minor - refunded_from_escrow
        if held != expected:
            report.problems.append(
                f"milestone {milestone.id}: escrow {held} != funded {milestone.funded_minor}"
                f" - released {milestone.released_minor} - refunded {refunded_from_escrow}"
            )
        if milestone.state in ("funded", "delivered", "changes_requested") and held != (
            milestone.amount_minor
        ):
            report.problems.append(
                f"milestone {milestone.id} is {milestone.state} but escrow holds {held}"
            )
    for extra_check in EXTRA_CHECKS:
        extra_check(session, all_balances, report)
    for (account, currency), total in sorted(all_balances.items()):
        if total < 0 and account not in EXTERNAL_ACCOUNTS:
            report.problems.append(f"account {account} is negative: {total} {currency}")
    return report
