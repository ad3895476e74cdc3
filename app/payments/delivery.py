"""Delivery and release: deliver, request changes (bounded), accept, auto-accept after silence.

Release moves the milestone's escrow to the creator's pending balance minus the platform fee,
both fixed at that moment from the creator's reputation (fees.py), and sets a transfer timer
at the end of the clearance hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app import clock, jobs, settlement
from app.accounts.models import User
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.payments import ledger
from app.payments.models import Milestone, MilestoneState
from app.payments.settings import review_window
from app.payments.states import MILESTONE, lock_milestone

AUTO_ACCEPT = "auto_accept"
AUTO_ACCEPT_TIMER = jobs.Timer(AUTO_ACCEPT, "milestone", "milestone-{id}-auto-accept-{purpose}")

MAX_FILES = 20
MAX_MESSAGE = 5000


def deliver(
    session: Session,
    milestone_id: int,
    *,
    creator: User,
    message: str,
    files: Sequence[str] = (),
) -> Milestone:
    """The creator delivers work (a message plus optional file names) for review.

    Raises NotFound, PermissionDenied (not the contract's creator), ValidationFailed,
    InvalidTransition (not funded / changes requested). Starts the review window: silence
    auto-accepts when it ends.
    """
    files = [str(name).strip() for name in files if str(name).strip()]
    if not message.strip() and not files:
        raise ValidationFailed("Describe the delivery or attach a file.", field="message")
    if len(message) > MAX_MESSAGE or len(files) > MAX_FILES or any(len(f) > 255 for f in files):
        raise ValidationFailed("The delivery is too long.", field="message")
    milestone = lock_milestone(session, milestone_id)
    if milestone.contract.creator_id != creator.id:
        raise PermissionDenied("Only the contract's creator can deliver.")
    MILESTONE.move(session, milestone, "deliver", actor_id=creator.id, files=files)
    now = clock.now()
    milestone.delivery_message = message.strip()
    milestone.delivery_files = files
    milestone.delivered_at = now
    milestone.review_due_at = now + review_window()
    schedule_auto_accept(session, milestone, f"{milestone.revisions_used}")
    return milestone


def schedule_auto_accept(session: Session, milestone: Milestone, purpose: str) -> None:
    """Silence accepts the delivery at ``milestone.review_due_at`` (one timer per review)."""
    assert milestone.review_due_at is not None
    AUTO_ACCEPT_TIMER.set(session, milestone.id, milestone.review_due_at, purpose=purpose)


def request_changes(session: Session, milestone_id: int, *, business: User, note: str) -> Milestone:
    """The business asks for a revision; at most ``max_revisions`` times per milestone.

    Raises NotFound, PermissionDenied, ValidationFailed (no note), InvalidTransition (not
    delivered), Conflict (revision limit reached: accept, or open a dispute).
    """
    if not note.strip():
        raise ValidationFailed("Say what should change.", field="note")
    milestone = _business_milestone(session, milestone_id, business)
    if milestone.state == MilestoneState.DELIVERED and (
        milestone.revisions_used >= milestone.max_revisions
    ):
        raise Conflict("The revision limit is reached: accept the delivery or open a dispute.")
    MILESTONE.move(session, milestone, "request_changes", actor_id=business.id, note=note[:2000])
    milestone.revisions_used += 1
    milestone.review_due_at = None
    return milestone


def accept(session: Session, milestone_id: int, *, business: User) -> Milestone:
    """The business accepts the delivery: releases the milestone (see ``release``).

    Raises NotFound, PermissionDenied, InvalidTransition (not delivered, e.g. already
    released: accepting twice is refused and changes nothing).
    """
    milestone = _business_milestone(session, milestone_id, business)
    return release(session, milestone, action="accept", actor_id=business.id)


def auto_accept(session: Session, milestone_id: int) -> bool:
    """Release a delivered milestone whose review window has passed; False if not (yet) due."""
    milestone = lock_milestone(session, milestone_id)
    if milestone.state != MilestoneState.DELIVERED or milestone.review_due_at is None:
        return False
    if milestone.review_due_at > clock.now():
        return False
    release(session, milestone, action="auto_accept", actor_id=None)
    return True


def release(
    session: Session,
    milestone: Milestone,
    *,
    action: str,
    actor_id: int | None,
    amount: int | None = None,
) -> Milestone:
    """Release a locked, delivered (or disputed) milestone to the creator.

    The one settlement path (app.settlement) fixes the fee and the clearance hold from the
    creator's current reputation, books escrow -> creator pending + platform fee and
    schedules the payout. ``amount`` (default: the whole milestone) is the creator's share of
    a dispute split, the rest having been refunded from escrow first. Raises
    InvalidTransition or Conflict (nothing written).
    """
    share = milestone.amount_minor
    if amount is not None:
        held = milestone.funded_minor - milestone.released_minor - milestone.refunded_minor
        if not 0 < amount <= held:
            raise Conflict("The amount to release exceeds what the escrow holds.")
        share = amount
    MILESTONE.move(session, milestone, action, actor_id=actor_id, amount_minor=share)
    payout = settlement.settle(
        session,
        settlement.Release(
            subject_type="milestone",
            subject_id=milestone.id,
            creator_id=milestone.contract.creator_id,
            gross_minor=share,
            currency=milestone.currency,
            charge_id=milestone.charge_id,
            source_account=ledger.escrow(milestone.id),
            transfer_group=f"contract-{milestone.contract_id}",
            title=f"{milestone.contract.title}: {milestone.title}",
            milestone_id=milestone.id,
        ),
    )
    milestone.released_minor = share
    milestone.fee_minor, milestone.fee_bp = payout.fee_minor, payout.fee_bp
    milestone.hold_hours = payout.hold_hours
    milestone.released_at, milestone.clears_at = payout.created_at, payout.clears_at
    milestone.review_due_at = None
    return milestone


def _business_milestone(session: Session, milestone_id: int, business: User) -> Milestone:
    milestone = lock_milestone(session, milestone_id)
    if milestone.contract.business_id != business.id:
        if milestone.contract.creator_id == business.id:
            raise PermissionDenied("Only the business reviews a delivery.")
        raise NotFound("No such milestone.")
    return milestone


def run_auto_accept_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return "auto-accepted" if auto_accept(session, job.subject_id) else "nothing to do"
