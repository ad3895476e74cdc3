"""Contest timers (durable jobs in app.jobs): close at the deadline, settle after the
judging window. Each re-checks the locked contest, so a repeated or stale timer is a no-op and
every outcome (refund, split) happens exactly once.

Policy when the business does not pick a winner in time: the prize is split equally among the
finalists; without finalists, among every entrant (each did the work for a prize that was
guaranteed up front). With no entries at all, the prize is refunded to the business as soon
as the deadline passes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app import clock, jobs
from app.contests import escrow
from app.contests.models import Contest, ContestState
from app.contests.states import CONTEST, lock_contest
from app.payments.gateway import PaymentGateway

C = ContestState


def judging_ends(contest: Contest) -> datetime:
    return contest.deadline + timedelta(days=contest.judging_days)


def close(session: Session, gateway: PaymentGateway, contest_id: int) -> str:
    """Deadline passed: open -> judging, or refund the prize when nobody entered."""
    contest = lock_contest(session, contest_id)
    if contest.state is not C.OPEN or contest.deadline > clock.now():
        return "nothing to do"
    return _close_locked(session, gateway, contest)


def _close_locked(session: Session, gateway: PaymentGateway, contest: Contest) -> str:
    contest.closed_at = clock.now()
    if not contest.entries:
        CONTEST.move(session, contest, "refund", actor_id=None, reason="no entries")
        escrow.refund(session, gateway, contest)
        return "refunded: no entries"
    CONTEST.move(session, contest, "close", actor_id=None, entries=len(contest.entries))
    return "judging"


def settle(session: Session, gateway: PaymentGateway, contest_id: int) -> str:
    """Judging window over without a winner: split among finalists (or all entrants)."""
    contest = lock_contest(session, contest_id)
    if contest.state is C.OPEN and contest.deadline <= clock.now():
        outcome = _close_locked(session, gateway, contest)
        if contest.state is not C.JUDGING:
            return outcome
    if contest.state is not C.JUDGING or judging_ends(contest) > clock.now():
        return "nothing to do"
    finalists = [e for e in contest.entries if e.is_finalist]
    winners = finalists or list(contest.entries)
    shares = escrow.split_amounts(contest.prize_minor, len(winners))
    paid = [(entry, share) for entry, share in zip(winners, shares, strict=True) if share > 0]
    CONTEST.move(
        session,
        contest,
        "split",
        actor_id=None,
        among="finalists" if finalists else "entrants",
        entries=[e.id for e, _ in paid],
    )
    for entry, share in paid:
        escrow.award(session, contest, entry, share)
    return f"split among {len(paid)}"


def run_close_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return close(session, context.gateway, job.subject_id)


def run_settle_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return settle(session, context.gateway, job.subject_id)
