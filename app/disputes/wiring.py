"""Start-up registration of disputes with the kernel (called by create_app): the dispute
timers, and what disputes do when a milestone's money moves elsewhere."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import events, jobs
from app.disputes import money, services, timers
from app.disputes import states as st
from app.disputes.models import DisputeOrigin
from app.payments.models import Milestone


def register() -> None:
    jobs.register(timers.RESPONSE, timers.run_response_job)
    jobs.register(timers.REVIEW, timers.run_review_job)
    jobs.register(timers.FINAL, timers.run_final_job)
    events.subscribe("milestone.chargeback", open_for_chargeback)
    events.subscribe("milestone.refund", close_when_refunded)
    events.subscribe("milestone.chargeback_won", close_when_chargeback_won)


def open_for_chargeback(session: Session, event: events.Event) -> None:
    """A Stripe chargeback froze a milestone: moderators get a dispute (idempotent)."""
    milestone: Milestone = event.subject
    services.open_from_chargeback(
        session,
        milestone,
        stripe_dispute_id=str(event.data["stripe_dispute_id"]),
        state_before=str(event.data["state_before"]),
    )


def close_when_refunded(session: Session, event: events.Event) -> None:
    """The business got the money back outside the dispute's own decision (the creator
    refunded, or Stripe did): nothing is left to decide, so the open dispute closes with it."""
    if event.data.get("decided_by_dispute"):
        return
    milestone: Milestone = event.subject
    active = services.active_for(session, milestone.id)
    if active is None:
        return
    dispute = st.lock_dispute(session, active.id)
    if not st.allowed("close_refunded", dispute.state):
        return
    note = "Closed: the payment was refunded to the business."
    refunded = milestone.funded_minor - milestone.refunded_minor
    money.record_resolution(session, dispute, event.actor_id, note, money.Outcome(refunded, 0))
    st.transition(session, dispute, "close_refunded", actor_id=event.actor_id, note=note)


def close_when_chargeback_won(session: Session, event: events.Event) -> None:
    """The bank decided for the creator: the chargeback's own case closes and the milestone
    goes back where the chargeback found it. A party's own dispute stays for the moderators
    (who may now release or refund: the chargeback no longer blocks them)."""
    milestone: Milestone = event.subject
    active = services.active_for(session, milestone.id)
    if active is not None and active.origin != DisputeOrigin.CHARGEBACK:
        dispute = st.lock_dispute(session, active.id)
        st.record(session, dispute, "chargeback_won", actor_id=None)
        return
    if active is not None:
        dispute = st.lock_dispute(session, active.id)
        note = "Closed: the bank decided the chargeback in the creator's favour."
        money.record_resolution(session, dispute, None, note, money.Outcome(0, 0))
        st.transition(session, dispute, "withdraw", actor_id=None, note=note)
    money.restore(session, milestone, str(event.data.get("state_before") or ""))
