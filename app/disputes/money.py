"""How each dispute outcome moves the milestone's money, through app.payments only.

* release: escrow -> creator through the normal release (the one settlement path). A
  chargeback on a milestone that was already released or paid out goes back to where it was
  (its waiting payout is made due again if it had not been paid out yet).
* refund: the payments refund service (Stripe Refund, plus a Transfer Reversal if paid out).
* split: a partial Stripe refund of the business share from escrow, then the release of the
  creator's share (the fee is taken from that share only).

Stripe calls carry idempotency keys derived from the milestone and the refund count, and the
dispute row is locked with the milestone, so an outcome is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import clock, settlement
from app.accounts.models import User
from app.disputes.models import Dispute
from app.errors import Conflict, ValidationFailed
from app.payments import delivery, refunds
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone, MilestoneState
from app.payments.settings import review_window
from app.payments.states import MILESTONE
from app.settlement import chargebacks
from app.settlement.models import PayoutState

S = MilestoneState


@dataclass(frozen=True)
class Outcome:
    refund_minor: int
    release_minor: int


def held(milestone: Milestone) -> int:
    """What the milestone's escrow still holds (nothing once it was released)."""
    if milestone.released_minor:
        return 0
    return milestone.funded_minor - milestone.refunded_minor


def disputed_amount(milestone: Milestone) -> int:
    """The money at stake: the escrow, or what was released and not refunded."""
    return milestone.funded_minor - milestone.refunded_minor


def check_split(milestone: Milestone, refund_minor: int) -> None:
    """Guard (before any side effect) for a split giving ``refund_minor`` to the business."""
    if isinstance(refund_minor, bool) or not isinstance(refund_minor, int):
        raise ValidationFailed({"refund_minor": ["A whole number of minor units (cents)."]})
    total = held(milestone)
    if total == 0:
        raise Conflict("This payment was already released: only a full refund or release.")
    if not 0 < refund_minor < total:
        raise ValidationFailed(
            {"refund_minor": [f"The business share must be between 0 and {total} (exclusive)."]}
        )


def restore(session: Session, milestone: Milestone, state_before: str) -> None:
    """Put a (locked) milestone frozen by a chargeback back where the chargeback found it."""
    if milestone.state != S.DISPUTED:
        return
    if state_before in (S.FUNDED, S.DELIVERED, S.CHANGES_REQUESTED):
        MILESTONE.move(session, milestone, f"resume_{state_before}", actor_id=None)
        if state_before == S.DELIVERED:
            milestone.review_due_at = clock.now() + review_window()
            purpose = f"after-chargeback-{int(clock.now().timestamp())}"
            delivery.schedule_auto_accept(session, milestone, purpose)
        return
    _unfreeze_released(session, milestone, actor_id=None)


def _unfreeze_released(session: Session, milestone: Milestone, *, actor_id: int | None) -> None:
    """A released or paid-out milestone that a dispute or chargeback froze goes back to where
    it was; a payout that waited meanwhile is due again."""
    payout = settlement.payout_for(session, "milestone", milestone.id)
    if payout is not None and payout.state is PayoutState.PAID:
        MILESTONE.move(session, milestone, "resolve_paid_out", actor_id=actor_id)
    else:
        MILESTONE.move(session, milestone, "resolve_release", actor_id=actor_id)
        if payout is not None:
            settlement.make_due(session, payout)


def release(
    session: Session, milestone: Milestone, *, actor_id: int | None, dispute_id: int
) -> Outcome:
    chargebacks.refuse_if_charged_back(session, milestone.charge_id)
    if held(milestone) > 0:
        delivery.release(session, milestone, action="resolve_release", actor_id=actor_id)
        return Outcome(0, milestone.released_minor)
    _unfreeze_released(session, milestone, actor_id=actor_id)
    return Outcome(0, milestone.released_minor)


def refund(
    session: Session,
    gateway: PaymentGateway,
    milestone: Milestone,
    *,
    actor: User | None,
    reason: str,
) -> Outcome:
    chargebacks.refuse_if_charged_back(session, milestone.charge_id)
    amount = disputed_amount(milestone)
    refunds.refund(
        session, gateway, milestone.id, actor=actor, reason=reason[:200], decided_by_dispute=True
    )
    return Outcome(amount, 0)


def split(
    session: Session,
    gateway: PaymentGateway,
    milestone: Milestone,
    *,
    refund_minor: int,
    actor_id: int | None,
    reason: str,
) -> Outcome:
    chargebacks.refuse_if_charged_back(session, milestone.charge_id)
    check_split(milestone, refund_minor)
    creator_share = held(milestone) - refund_minor
    refunds.partial_refund(
        session, gateway, milestone, amount=refund_minor, actor_id=actor_id, reason=reason[:200]
    )
    delivery.release(
        session, milestone, action="resolve_release", actor_id=actor_id, amount=creator_share
    )
    return Outcome(refund_minor, creator_share)


def by_refund_amount(
    session: Session,
    gateway: PaymentGateway,
    milestone: Milestone,
    *,
    refund_minor: int,
    actor: User | None,
    dispute_id: int,
    reason: str,
) -> Outcome:
    """An agreed business share: 0 releases everything, all of it refunds, else a split."""
    actor_id = actor.id if actor else None
    if refund_minor == 0:
        return release(session, milestone, actor_id=actor_id, dispute_id=dispute_id)
    if refund_minor == disputed_amount(milestone):
        return refund(session, gateway, milestone, actor=actor, reason=reason)
    return split(
        session, gateway, milestone, refund_minor=refund_minor, actor_id=actor_id, reason=reason
    )


def record_resolution(
    session: Session, dispute: Dispute, actor_id: int | None, note: str, result: Outcome
) -> None:
    """Write how ``dispute`` ended (moderator, agreement, timer or refund). Reputations
    follow from the closing transition's event (app.reviews subscribes)."""
    dispute.resolved_at = clock.now()
    dispute.resolved_by_id = actor_id
    dispute.resolution_note = note
    dispute.refund_minor = result.refund_minor
    dispute.release_minor = result.release_minor
