"""Dispute timers as durable jobs (app.jobs; registered in app/disputes/wiring.py).

The rule, in order:

1. Response window (DISPUTE_RESPONSE_DAYS, 3): silence moves the dispute to the moderators'
   queue anyway ("response_timeout").
2. Moderator SLA (DISPUTE_REVIEW_DAYS, 14, from the response or its timeout): if the other
   party never responded, the opener wins automatically (business opener: refund; creator
   opener: release). Otherwise the dispute is flagged overdue for admins (queue filter
   "overdue", an audit row).
3. Final deadline (DISPUTE_FINAL_DAYS, 45 after opening): a party dispute still unresolved is
   refunded to the business, so the money is settled long before Stripe's ~90 days. A
   chargeback is left to Stripe's own process and only flagged.

Handlers lock the dispute, re-check its state and deadline, and are no-ops when stale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app import clock, jobs
from app.disputes import money
from app.disputes import states as st
from app.disputes.models import Dispute, DisputeOrigin
from app.disputes.models import DisputeState as D
from app.disputes.settings import review_sla
from app.payments.gateway import PaymentGateway

RESPONSE = "dispute_response"
REVIEW = "dispute_review"
FINAL = "dispute_final"
TIMERS = {
    kind: jobs.Timer(kind, "dispute", "dispute-{id}-" + purpose)
    for kind, purpose in ((RESPONSE, "response"), (REVIEW, "review"), (FINAL, "final"))
}


def _schedule(session: Session, dispute: Dispute, kind: str, due_at: datetime | None) -> None:
    assert due_at is not None
    TIMERS[kind].set(session, dispute.id, due_at)


def schedule_response(session: Session, dispute: Dispute) -> None:
    _schedule(session, dispute, RESPONSE, dispute.response_due_at)


def schedule_review(session: Session, dispute: Dispute) -> None:
    _schedule(session, dispute, REVIEW, dispute.review_due_at)


def schedule_final(session: Session, dispute: Dispute) -> None:
    _schedule(session, dispute, FINAL, dispute.final_due_at)


def _due(moment: datetime | None) -> bool:
    return moment is not None and moment <= clock.now()


def run_response_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    dispute = st.lock_dispute(session, job.subject_id)
    if dispute.state != D.AWAITING_RESPONSE or not _due(dispute.response_due_at):
        return f"nothing to do ({dispute.state})"
    st.transition(session, dispute, "response_timeout", actor_id=None, idempotent=True)
    # Counted from the deadline, not from when the worker got to it.
    assert dispute.response_due_at is not None
    dispute.review_due_at = dispute.response_due_at + review_sla()
    schedule_review(session, dispute)
    return "no response: sent to moderators"


def _auto_resolve_for_opener(session: Session, gateway: PaymentGateway, dispute: Dispute) -> str:
    milestone = dispute.milestone
    note = "Automatic: the other party never responded and the review time ran out."
    if dispute.opened_by_id == dispute.contract.business_id:
        result = money.refund(
            session, gateway, milestone, actor=None, reason="dispute: no response"
        )
        action = "resolve_refund"
    else:
        result = money.release(session, milestone, actor_id=None, dispute_id=dispute.id)
        action = "resolve_release"
    _finish(session, dispute, action, note, result)
    return f"auto-resolved: {action}"


def _finish(
    session: Session, dispute: Dispute, action: str, note: str, result: money.Outcome
) -> None:
    money.record_resolution(session, dispute, None, note, result)
    st.transition(
        session,
        dispute,
        action,
        actor_id=None,
        note=note,
        refund_minor=result.refund_minor,
        release_minor=result.release_minor,
    )


def run_review_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    gateway = context.gateway
    dispute = st.lock_dispute(session, job.subject_id)
    if dispute.state != D.UNDER_REVIEW or not _due(dispute.review_due_at):
        return f"nothing to do ({dispute.state})"
    if dispute.origin == DisputeOrigin.PARTY and dispute.responded_at is None:
        return _auto_resolve_for_opener(session, gateway, dispute)
    if dispute.overdue_at is None:
        dispute.overdue_at = clock.now()
        st.record(session, dispute, "overdue", actor_id=None, note="Moderator SLA passed.")
    return "flagged overdue"


def run_final_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    gateway = context.gateway
    dispute = st.lock_dispute(session, job.subject_id)
    if not dispute.active or not _due(dispute.final_due_at):
        return f"nothing to do ({dispute.state})"
    if dispute.state == D.AWAITING_RESPONSE:
        st.transition(session, dispute, "response_timeout", actor_id=None)
    if dispute.origin == DisputeOrigin.CHARGEBACK:
        dispute.overdue_at = dispute.overdue_at or clock.now()
        st.record(session, dispute, "overdue", actor_id=None, note="Final deadline passed.")
        return "chargeback left to Stripe; flagged"
    note = "Automatic: no decision before the final deadline; the business is refunded."
    result = money.refund(
        session, gateway, dispute.milestone, actor=None, reason="dispute deadline"
    )
    _finish(session, dispute, "resolve_refund", note, result)
    return "final deadline: refunded"
