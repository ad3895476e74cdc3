"""Contest money in the ledger: the prize escrow, awards, the refund, and their invariants.

fund      customer_payments -P, escrow:contest:<id> +P
award     escrow:contest:<id> -A, creator_pending:<uid> +(A - fee), platform_fees +fee
          (fee and clearance hold from the creator's reputation, app.payments.fees)
transfer  creator_pending:<uid> -net, creator_paid:<uid> +net   (app.settlement)
refund    escrow:contest:<id> -P, refunds +P                     (no entries)
chargeback lost before the award: escrow:contest:<id> -P, platform_funds +P (counted as
          refunded: the bank gave the prize back); chargebacks: app.contests.chargebacks
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import settlement
from app.contests.models import Contest, ContestAward, ContestEntry, ContestState
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.payments.ledger import CheckReport
from app.settlement import escrow as sale_escrow


def award(session: Session, contest: Contest, entry: ContestEntry, amount: int) -> ContestAward:
    """Release ``amount`` of a locked contest's escrow to the entry's creator (one per creator),
    through the one settlement path: fee and hold fixed now, the transfer after the hold."""
    record = ContestAward(
        contest_id=contest.id,
        entry_id=entry.id,
        creator_id=entry.creator_id,
        amount_minor=amount,
        currency=contest.currency,
    )
    session.add(record)
    session.flush()
    contest.awarded_minor += amount
    settlement.settle(
        session,
        settlement.Release(
            subject_type="contest_award",
            subject_id=record.id,
            creator_id=entry.creator_id,
            gross_minor=amount,
            currency=contest.currency,
            charge_id=contest.charge_id,
            source_account=ledger.escrow_contest(contest.id),
            transfer_group=f"contest-{contest.id}",
            title=f"Contest prize: {contest.title}",
            ledger_key=f"contest-{contest.id}-award-{entry.creator_id}",
        ),
        memo=f"contest {contest.id} award {record.id}",
    )
    return record


def split_amounts(total: int, count: int) -> list[int]:
    """``total`` in ``count`` near-equal integer shares; earlier entries get the odd cents."""
    base, extra = divmod(total, count)
    return [base + (1 if index < extra else 0) for index in range(count)]


def refund(session: Session, gateway: PaymentGateway, contest: Contest) -> None:
    """Give a locked contest's whole prize back to the business (Stripe Refund + ledger)."""
    sale_escrow.refund(
        session,
        gateway,
        contest,
        contest.funded_minor - contest.awarded_minor - contest.refunded_minor,
        account=ledger.escrow_contest(contest.id),
        key=f"contest-{contest.id}-refund",
        currency=contest.currency,
        metadata={"contest_id": str(contest.id)},
    )


# Awards are paid through the one settlement path; nothing of an award moves when paid.
AWARD_PAYOUTS = sale_escrow.RecordedPayouts("contest_award", ContestAward, "No such award.")
HOLDING = (ContestState.OPEN, ContestState.JUDGING)


def check_escrow(
    session: Session, balances: dict[tuple[str, str], int], report: CheckReport
) -> None:
    """Ledger invariants of contests (registered with app.payments.ledger.check):

    escrow = funded - awarded - refunded; open/judging contests hold the whole prize, every
    other state holds nothing; awards add up to ``awarded_minor``.
    """
    awarded: dict[int, int] = defaultdict(int)
    for contest_id, amount in session.execute(
        select(ContestAward.contest_id, ContestAward.amount_minor)
    ):
        awarded[contest_id] += amount
    for contest in session.scalars(
        select(Contest).order_by(Contest.id).execution_options(populate_existing=True)
    ):
        held = balances.get((ledger.escrow_contest(contest.id), contest.currency), 0)
        expected = contest.funded_minor - contest.awarded_minor - contest.refunded_minor
        if held != expected:
            report.problems.append(
                f"contest {contest.id}: escrow {held} != funded {contest.funded_minor}"
                f" - awarded {contest.awarded_minor} - refunded {contest.refunded_minor}"
            )
        wanted = contest.prize_minor if contest.state in HOLDING else 0
        # A disputed contest holds what it held before (the bank's withdrawal is covered by
        # platform_funds until the chargeback ends: app.contests.chargebacks).
        if contest.state is not ContestState.DISPUTED and held != wanted:
            report.problems.append(
                f"contest {contest.id} is {contest.state} but escrow holds {held}"
            )
        if awarded[contest.id] != contest.awarded_minor:
            report.problems.append(
                f"contest {contest.id}: awards sum to {awarded[contest.id]}"
                f" != awarded {contest.awarded_minor}"
            )
