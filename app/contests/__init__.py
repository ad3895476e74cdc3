"""Contests (crowdsourced briefs): prize in escrow, entries, finalists, winner or split."""

from app.payments import jobs as _jobs
from app.payments import ledger as _ledger

CLOSE_JOB = "contest_close"
SETTLE_JOB = "contest_settle"
TRANSFER_JOB = "contest_award_transfer"

_jobs.register(CLOSE_JOB, "app.contests.timers:run_close_job")
_jobs.register(SETTLE_JOB, "app.contests.timers:run_settle_job")
_jobs.register(TRANSFER_JOB, "app.contests.payouts:run_transfer_job")


def _check(*args: object) -> None:
    from app.contests.escrow import check_escrow

    check_escrow(*args)  # type: ignore[arg-type]


_ledger.register_check(_check)
