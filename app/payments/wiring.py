"""Start-up registration of the payments domain with the kernel (called by create_app)."""

from __future__ import annotations

from app import events, jobs, settlement
from app.payments import delivery, funding, milestones, payouts, purchases


def register() -> None:
    jobs.register(delivery.AUTO_ACCEPT, delivery.run_auto_accept_job)
    settlement.register(payouts.MilestonePayouts())
    purchases.register(
        "milestone", funding.confirm_from_webhook, funding.landing, funding.paid_charges
    )
    for action in ("pay_out", "refund", "cancel", "resolve_paid_out"):
        events.subscribe(f"milestone.{action}", milestones.complete_contract_when_settled)
