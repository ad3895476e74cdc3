"""Start-up registration of reviews and reputation with the kernel (called by create_app):
the reveal timer, and reputations recomputed when money or a dispute settles."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, events, jobs
from app.contracts.models import Contract
from app.reviews import reputation, window
from app.reviews.models import Review

# Dispute moves that close it: both parties' dispute records change.
DISPUTE_ENDINGS = (
    "resolve_release",
    "resolve_refund",
    "resolve_split",
    "settle",
    "withdraw",
    "close_refunded",
)


def register() -> None:
    jobs.register(window.REVEAL, run_reveal_job)
    for name in ("milestone.pay_out", "milestone.refund"):
        events.subscribe(name, recompute_for_milestone)
    for action in DISPUTE_ENDINGS:
        events.subscribe(f"dispute.{action}", recompute_for_dispute)


def recompute_for_milestone(session: Session, event: events.Event) -> None:
    """A milestone was paid out or refunded: both parties' reputations change."""
    reputation.recompute_parties(session, event.subject.contract)


def recompute_for_dispute(session: Session, event: events.Event) -> None:
    reputation.recompute_parties(session, event.subject.contract)


def run_reveal_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """Reveal a contract's reviews once its window has closed, then recompute both parties."""
    contract = session.get(Contract, job.subject_id)
    if contract is None:
        return "nothing to do (no contract)"
    due = session.scalar(
        select(func.min(Review.reveal_due_at)).where(Review.contract_id == contract.id)
    )
    if due is None:
        return "nothing to do (no reviews)"
    if due > clock.now():
        raise jobs.RetryLater("review window still open", due)
    count = window.reveal(session, contract.id)
    reputation.recompute_parties(session, contract)
    return f"revealed {count} review(s)"
