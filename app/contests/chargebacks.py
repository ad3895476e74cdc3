"""A chargeback on a contest's prize payment, before or after the award (issue 13).

The contest owns the chargeback (subject "contest"), whatever happened to the prize: one
charge paid the whole prize, so one dispute concerns every award made from it. The rules of
app.settlement.chargebacks apply; this module is the contest's part:

opened  the contest is frozen (``disputed``): no entries, no winner, no split (their
        services require open/judging), and every award's payout is held (settlement holds
        any payout whose charge has an open chargeback).
won     the contest returns to the state it had (``resume_<state>``); its close and settle
        timers are re-armed (those that fired while it was disputed were no-ops), so an award
        becomes possible again and held award payouts are due at once. Judging time that
        passed during the dispute is not given back: the business asked its bank to take the
        prize back and the bank refused, so the contest's own deadlines stand.
lost    the prize went back to the business through its bank: the contest ends ``refunded``
        (the state a prize returned to the business has). What was still in escrow covers the
        bank's withdrawal (counted in ``refunded_minor``); each award's payout is taken back
        (cancelled before the transfer, reversed after it) and shows as taken back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.contests import CLOSE_AGAIN_TIMER, SETTLE_AGAIN_TIMER
from app.contests.models import AwardState, Contest, ContestAward, ContestState
from app.contests.states import CONTEST, lock_contest
from app.contests.timers import judging_ends
from app.money import format_minor
from app.payments import ledger
from app.settlement.models import Chargeback, ChargebackStatus, Payout

C = ContestState


class ContestChargebacks:
    """The contest as the owner of a chargeback on its prize (app.settlement.chargebacks).
    It has no payout of its own: its awards are the payable kind "contest_award"."""

    subject_type = "contest"

    def lock(self, session: Session, subject_id: int) -> Contest:
        return lock_contest(session, subject_id)

    def hold_reason(self, session: Session, contest: Contest) -> str | None:
        return "The contest's payment is disputed." if contest.state is C.DISPUTED else None

    def paid(self, session: Session, contest: Contest, payout: Payout) -> None:
        """Never called: the contest's payouts are its awards'."""

    def find_by_charge(self, session: Session, charge_id: str) -> int | None:
        return session.scalar(select(Contest.id).where(Contest.charge_id == charge_id))

    def chargeback_opened(self, session: Session, contest: Contest, chargeback: Chargeback) -> str:
        state_before = contest.state.value
        CONTEST.move(
            session,
            contest,
            "dispute",
            actor_id=None,
            idempotent=True,
            stripe_dispute=chargeback.stripe_dispute_id,
        )
        return state_before

    def chargeback_won(self, session: Session, contest: Contest, chargeback: Chargeback) -> None:
        before = C(chargeback.state_before) if chargeback.state_before else C.OPEN
        CONTEST.move(
            session,
            contest,
            f"resume_{before.value}",
            actor_id=None,
            stripe_dispute=chargeback.stripe_dispute_id,
        )
        now, dispute = clock.now(), chargeback.stripe_dispute_id
        if contest.state in (C.OPEN, C.JUDGING):
            CLOSE_AGAIN_TIMER.set(session, contest.id, max(contest.deadline, now), dispute=dispute)
            SETTLE_AGAIN_TIMER.set(
                session, contest.id, max(judging_ends(contest), now), dispute=dispute
            )

    def payouts(self, session: Session, contest: Contest) -> list[Payout]:
        award_ids = select(ContestAward.id).where(ContestAward.contest_id == contest.id)
        return list(
            session.scalars(
                select(Payout)
                .where(Payout.subject_type == "contest_award", Payout.subject_id.in_(award_ids))
                .order_by(Payout.id)
            )
        )

    def chargeback_lost(
        self,
        session: Session,
        contest: Contest,
        chargeback: Chargeback,
        payout: Payout | None,
    ) -> list[tuple[str, int]]:
        """Ends refunded; returns the ledger line of the escrow left, which covers the bank's
        withdrawal (the awards' shares came back through their payouts)."""
        lines: list[tuple[str, int]] = []
        held = contest.funded_minor - contest.awarded_minor - contest.refunded_minor
        if held:
            contest.refunded_minor += held
            lines.append((ledger.escrow_contest(contest.id), -held))
        CONTEST.move(
            session,
            contest,
            "charge_back",
            actor_id=None,
            idempotent=True,
            stripe_dispute=chargeback.stripe_dispute_id,
        )
        return lines


# --- what the business and the creators read about it ------------------------------------------

RESUMED = {f"resume_{state.value}" for state in (C.OPEN, C.JUDGING, C.AWARDED, C.SPLIT)}


def latest(session: Session, contest_id: int) -> Chargeback | None:
    """The contest's newest chargeback, if its prize payment was ever disputed."""
    return session.scalar(
        select(Chargeback)
        .where(Chargeback.subject_type == "contest", Chargeback.subject_id == contest_id)
        .order_by(Chargeback.id.desc())
        .limit(1)
    )


def state_label(contest: Contest, chargeback: Chargeback | None) -> str:
    """The contest's state in words, naming a chargeback when there is one."""
    if contest.state is C.DISPUTED:
        return "Disputed: chargeback open"
    if chargeback is not None and chargeback.status is ChargebackStatus.LOST:
        return "Charged back"
    return contest.state.value.replace("_", " ").capitalize()


def notice(session: Session, contest: Contest, *, owner: bool, viewer_id: int | None) -> str | None:
    """What the business (``owner``) or a creator reads on the contest page about a
    chargeback on the prize payment, or None when there was none."""
    chargeback = latest(session, contest.id)
    if chargeback is None:
        return None
    amount = format_minor(chargeback.amount_minor, chargeback.currency)
    if chargeback.status is ChargebackStatus.OPEN:
        if owner:
            return (
                f"Your bank opened a chargeback on this prize payment ({amount}). The contest "
                "is frozen until the bank decides: no entries, finalists or winner, and no "
                "prize is paid out."
            )
        return (
            "The business's bank opened a chargeback on the prize payment. The contest is "
            "frozen until the bank decides; any prize payout is on hold."
        )
    if chargeback.status is ChargebackStatus.WON:
        if owner:
            return (
                "Your bank rejected the chargeback on this prize payment: the prize stays in "
                "the contest, which goes on."
            )
        return (
            "The chargeback on the prize payment was rejected by the bank: the contest goes "
            "on, and any prize payout goes ahead."
        )
    taken = [
        a
        for a in contest.awards
        if a.state is AwardState.TAKEN_BACK and (owner or a.creator_id == viewer_id)
    ]
    if owner:
        text = (
            f"Charged back: your bank returned the prize ({amount}) to you and the contest "
            "has ended."
        )
        return text + (" The prize awarded to the creators was taken back." if taken else "")
    text = (
        "Charged back: the business's bank returned the prize to the business; the contest "
        "has ended without a prize."
    )
    if taken:
        shares = ", ".join(format_minor(a.amount_minor, a.currency) for a in taken)
        text += f" Your prize ({shares}) was taken back."
    return text
