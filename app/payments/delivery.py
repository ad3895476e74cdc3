"""Delivery and release: deliver, request changes (bounded), accept, auto-accept after silence.

Release moves the milestone's escrow to the creator's pending balance minus the platform fee,
both fixed at that moment from the creator's reputation (fees.py), and sets a transfer timer
at the end of the clearance hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.payments import fees, jobs, ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import Job, Milestone, MilestoneState
from app.payments.settings import review_window
from app.payments.states import lock_milestone, transition

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
    transition(session, milestone, "deliver", actor_id=creator.id, files=files)
    now = clock.now()
    milestone.delivery_message = message.strip()
    milestone.delivery_files = files
    milestone.delivered_at = now
    milestone.review_due_at = now + review_window()
    jobs.schedule(
        session,
        kind=jobs.AUTO_ACCEPT,
        milestone_id=milestone.id,
        due_at=milestone.review_due_at,
        key=f"milestone-{milestone.id}-auto-accept-{milestone.revisions_used}",
    )
    return milestone


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
    transition(session, milestone, "request_changes", actor_id=business.id, note=note[:2000])
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
    """Release a locked, delivered milestone: escrow -> creator pending + platform fee.

    Fixes the fee and the clearance hold from the creator's current reputation and schedules
    the payout transfer at ``clears_at``. ``amount`` (default: the whole milestone) is the
    creator's share of a dispute split, the rest having been refunded from escrow first.
    Raises InvalidTransition (nothing written).
    """
    share = milestone.amount_minor
    if amount is not None:
        held = milestone.funded_minor - milestone.released_minor - milestone.refunded_minor
        if not 0 < amount <= held:
            raise Conflict("The amount to release exceeds what the escrow holds.")
        share = amount
    terms = fees.terms_for(session, milestone.contract.creator_id)
    fee = fees.fee_for(share, terms.fee_bp)
    transition(
        session,
        milestone,
        action,
        actor_id=actor_id,
        fee_bp=terms.fee_bp,
        hold_hours=terms.hold_hours,
    )
    now = clock.now()
    milestone.released_minor = share
    milestone.fee_minor = fee
    milestone.fee_bp = terms.fee_bp
    milestone.hold_hours = terms.hold_hours
    milestone.released_at = now
    milestone.clears_at = now + fees.hold(terms.score)
    milestone.review_due_at = None
    ledger.post(
        session,
        key=f"milestone-{milestone.id}-release",
        kind="release",
        currency=milestone.currency,
        milestone_id=milestone.id,
        lines=[
            (ledger.escrow(milestone.id), -share),
            (ledger.creator_pending(milestone.contract.creator_id), share - fee),
            (ledger.PLATFORM_FEES, fee),
        ],
    )
    jobs.schedule(
        session,
        kind=jobs.TRANSFER,
        milestone_id=milestone.id,
        due_at=milestone.clears_at,
        key=f"milestone-{milestone.id}-transfer",
    )
    return milestone


def _business_milestone(session: Session, milestone_id: int, business: User) -> Milestone:
    milestone = lock_milestone(session, milestone_id)
    if milestone.contract.business_id != business.id:
        if milestone.contract.creator_id == business.id:
            raise PermissionDenied("Only the business reviews a delivery.")
        raise NotFound("No such milestone.")
    return milestone


def run_auto_accept_job(session: Session, gateway: PaymentGateway, job: Job) -> str:
    assert job.milestone_id is not None  # milestone job kinds always name their milestone
    return "auto-accepted" if auto_accept(session, job.milestone_id) else "nothing to do"
