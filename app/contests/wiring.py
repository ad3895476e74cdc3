"""Start-up registration of contests with the kernel (called by create_app)."""

from __future__ import annotations

from app import jobs, settlement
from app.contests import CLOSE_JOB, SETTLE_JOB, chargebacks, escrow, services, timers
from app.payments import ledger, purchases


def register() -> None:
    jobs.register(CLOSE_JOB, timers.run_close_job)
    jobs.register(SETTLE_JOB, timers.run_settle_job)
    settlement.register(escrow.AWARD_PAYOUTS)
    settlement.register(chargebacks.ContestChargebacks())
    purchases.register(
        "contest", services.confirm_from_webhook, services.landing, services.paid_charges
    )
    ledger.register_check(escrow.check_escrow)
