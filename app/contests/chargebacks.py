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
from app.contests.models import Contest, ContestAward, ContestState
from app.contests.states import CONTEST, lock_contest
from app.contests.timers import judging_ends
from app.payments import ledger
from app.settlement.models import Chargeback, Payout

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
