"""Start-up registration of demand pools with the kernel (called by create_app)."""

from __future__ import annotations

from app import jobs, settlement
from app.payments import ledger, purchases, webhooks
from app.pools import ACCEPT_JOB, CLOSE_JOB, GRACE_JOB, closing, delivery, escrow, pledging


def register() -> None:
    jobs.register(CLOSE_JOB, closing.run_close_job)
    jobs.register(GRACE_JOB, closing.run_grace_job)
    jobs.register(ACCEPT_JOB, delivery.run_auto_accept_job)
    settlement.register(escrow.PLEDGE_PAYOUTS)
    purchases.register(
        "pool_pledge", delivery.confirm_from_webhook, delivery.landing, delivery.paid_charges
    )
    ledger.register_check(escrow.check_escrow)
    webhooks.register_setup_intent_handler("setup_intent.succeeded", pledging.save_from_webhook)
    webhooks.register_setup_intent_handler(
        "setup_intent.setup_failed", pledging.setup_failed_from_webhook
    )
