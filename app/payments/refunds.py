"""Refunds of a milestone's payment, before release or after (with a Transfer Reversal).

``refund`` returns everything not yet refunded; ``partial_refund`` returns part of a disputed
milestone's escrow (a dispute split: the rest is then released to the creator). Keys are
``milestone-<id>-refund-<n>`` and ``milestone-<id>-reversal-<n>`` with n = refunds so far + 1,
so a retry after a failed commit replays the same Stripe objects.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, settlement
from app.accounts.models import User
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied
from app.payments import ledger
from app.payments.gateway import GatewayError, PaymentGateway
from app.payments.models import Milestone, MilestoneState, PaymentRefund
from app.payments.states import MILESTONE, lock_milestone
from app.settlement import chargebacks

S = MilestoneState


def _may_refund(milestone: Milestone, actor: User | None) -> None:
    if actor is None or actor.is_admin or actor.is_moderator:
        return  # system (webhook) or staff
    contract = milestone.contract
    if actor.id not in (contract.creator_id, contract.business_id):
        raise NotFound("No such milestone.")
    _check_refundable(milestone)
    if actor.id == contract.business_id:
        # Escrowed money is the creator's to give back: the business asks
        # (``request_refund``) and the creator agrees, or the business opens a dispute.
        raise PermissionDenied(
            "A refund needs the creator's agreement: ask them for it, or open a dispute."
        )


def request_refund(
    session: Session, milestone_id: int, *, business: User, reason: str = ""
) -> Milestone:
    """The business asks the creator to refund a funded milestone (work not delivered yet).

    Records "milestone.refund_requested" (the creator is notified and may agree by refunding;
    otherwise the business can open a dispute). Raises NotFound (not the business's),
    InvalidTransition (not funded).
    """
    milestone = lock_milestone(session, milestone_id)
    if milestone.contract.business_id != business.id:
        raise NotFound("No such milestone.")
    if milestone.state not in (S.FUNDED, S.CHANGES_REQUESTED):
        raise InvalidTransition(
            "A refund can be asked for before delivery; after it, open a dispute."
        )
    MILESTONE.record(
        session, milestone, "refund_requested", actor_id=business.id, reason=reason[:200]
    )
    return milestone


def _check_refundable(milestone: Milestone) -> None:
    if milestone.state in (S.PENDING, S.CANCELLED, S.REFUNDED) or not milestone.payment_intent_id:
        raise InvalidTransition(f"Cannot refund a milestone that is {milestone.state}.")


def refund(
    session: Session,
    gateway: PaymentGateway,
    milestone_id: int,
    *,
    actor: User | None,
    reason: str = "",
    decided_by_dispute: bool = False,
) -> PaymentRefund:
    """Refund the whole milestone to the business.

    ``decided_by_dispute`` marks the refund a dispute's outcome; any other refund of a
    disputed milestone closes its open dispute too (app.disputes subscribes).

    Before release: Refund from escrow. After release, before payout: from the creator's
    pending balance and the fee. After payout: reverse the transfer first, then refund.
    Raises NotFound, PermissionDenied, InvalidTransition (pending, cancelled or already
    refunded), GatewayError. Books the matching ledger entry with the state change.
    """
    milestone = lock_milestone(session, milestone_id)
    _may_refund(milestone, actor)
    _check_refundable(milestone)
    chargebacks.refuse_if_charged_back(session, milestone.charge_id)
    n = _next_refund_number(session, milestone.id)
    # After a dispute split only the creator's share is left to give back.
    amount, fee = milestone.funded_minor - milestone.refunded_minor, milestone.fee_minor
    metadata = {"milestone_id": str(milestone.id), "contract_id": str(milestone.contract_id)}
    if milestone.payment_intent_id is None:  # refundable states all come from a payment
        raise Conflict("This milestone has no payment to refund.")
    # Released money comes back from the creator first: a scheduled payout is cancelled, a
    # paid one is reversed at Stripe (then the refund).
    payout = settlement.payout_for(session, "milestone", milestone.id)
    creator_lines: list[tuple[str, int]] = []
    reversal_id = None
    if milestone.released_minor and payout is not None:
        account, reversal_id = settlement.take_back(
            session, gateway, payout, key=f"milestone-{milestone.id}-reversal-{n}", reason=reason
        )
        creator_lines = [(account, -(milestone.released_minor - fee)), (ledger.PLATFORM_FEES, -fee)]
    try:
        refund_id = gateway.create_refund(
            payment_intent=milestone.payment_intent_id,
            amount=amount,
            metadata=metadata,
            idempotency_key=f"milestone-{milestone.id}-refund-{n}",
        )
    except GatewayError as exc:
        if reversal_id is None:
            raise
        # Step 1 (the reversal) is done at Stripe, step 2 failed: nothing is booked here, and
        # trying again resumes: take_back finds the reversal on the transfer instead of
        # reversing twice, then the refund is made.
        raise GatewayError(
            "The creator's share was taken back, but the refund to the business failed: "
            f"try again to finish it ({exc.message})",
            retryable=exc.retryable,
        ) from exc
    MILESTONE.move(
        session,
        milestone,
        "refund",
        actor_id=actor.id if actor else None,
        reason=reason,
        decided_by_dispute=decided_by_dispute,
    )
    lines = creator_lines or [(ledger.escrow(milestone.id), -amount)]
    return _book_refund(session, milestone, n, lines, amount, refund_id, reason, reversal_id)


def _book_refund(
    session: Session,
    milestone: Milestone,
    n: int,
    lines: list[tuple[str, int]],
    amount: int,
    refund_id: str,
    reason: str,
    reversal_id: str | None = None,
) -> PaymentRefund:
    """Book refund ``n`` of a milestone: ``lines`` (where the money comes from) -> refunds,
    the milestone's refunded total, and the PaymentRefund row."""
    refunded = [*lines, (ledger.REFUNDS, amount)]
    ledger.post_milestone(session, milestone, "refund", refunded, step=str(n), memo=refund_id)
    milestone.refunded_minor += amount
    record = PaymentRefund(
        milestone_id=milestone.id,
        stripe_refund_id=refund_id,
        stripe_reversal_id=reversal_id,
        amount_minor=amount,
        currency=milestone.currency,
        reason=reason[:200],
        created_at=clock.now(),
    )
    session.add(record)
    session.flush()
    return record


def _next_refund_number(session: Session, milestone_id: int) -> int:
    done = session.scalar(
        select(func.count())
        .select_from(PaymentRefund)
        .where(PaymentRefund.milestone_id == milestone_id)
    )
    return 1 + (done or 0)


def partial_refund(
    session: Session,
    gateway: PaymentGateway,
    milestone: Milestone,
    *,
    amount: int,
    actor_id: int | None,
    reason: str = "",
) -> PaymentRefund:
    """Refund ``amount`` of a locked, disputed, unreleased milestone's escrow to the business.

    The milestone stays disputed: the caller (a dispute split) releases the rest in the same
    transaction. Raises InvalidTransition (not disputed, or already released), Conflict (the
    amount is not strictly between zero and what escrow holds), GatewayError. Books
    escrow -> refunds with the Stripe refund of exactly ``amount``.
    """
    if milestone.state != S.DISPUTED or milestone.released_minor or not milestone.payment_intent_id:
        raise InvalidTransition(f"Cannot split a milestone that is {milestone.state}.")
    chargebacks.refuse_if_charged_back(session, milestone.charge_id)
    held = milestone.funded_minor - milestone.refunded_minor
    if not 0 < amount < held:
        raise Conflict("A partial refund must be more than zero and less than the escrow.")
    n = _next_refund_number(session, milestone.id)
    refund_id = gateway.create_refund(
        payment_intent=milestone.payment_intent_id,
        amount=amount,
        metadata={"milestone_id": str(milestone.id), "contract_id": str(milestone.contract_id)},
        idempotency_key=f"milestone-{milestone.id}-refund-{n}",
    )
    escrow = [(ledger.escrow(milestone.id), -amount)]
    record = _book_refund(session, milestone, n, escrow, amount, refund_id, reason)
    MILESTONE.record(
        session,
        milestone,
        "partial_refund",
        actor_id=actor_id,
        amount_minor=amount,
        refund=refund_id,
    )
    return record


def record_external_refund(
    session: Session, milestone_id: int, *, amount_refunded: int, refund_ref: str
) -> bool:
    """A refund made outside the app (Stripe dashboard) seen on charge.refunded.

    A full refund of an unreleased milestone is booked like ours; anything else freezes the
    milestone (disputed) for a person to sort out. Returns True if something changed.
    """
    milestone = lock_milestone(session, milestone_id)
    if milestone.state in (S.REFUNDED, S.PENDING, S.CANCELLED):
        return False
    if milestone.refunded_minor >= amount_refunded:
        return False
    unreleased = milestone.state in (S.FUNDED, S.DELIVERED, S.CHANGES_REQUESTED)
    if unreleased and amount_refunded >= milestone.funded_minor:
        MILESTONE.move(session, milestone, "refund", actor_id=None, external=refund_ref)
        refunded = [
            (ledger.escrow(milestone.id), -milestone.funded_minor),
            (ledger.REFUNDS, milestone.funded_minor),
        ]
        ledger.post_milestone(
            session, milestone, "refund", refunded, step="external", memo=refund_ref
        )
        milestone.refunded_minor = milestone.funded_minor
        return True
    if milestone.state == S.DISPUTED:
        return False
    MILESTONE.move(
        session,
        milestone,
        "dispute",
        actor_id=None,
        reason="refunded outside the app",
        amount_refunded=amount_refunded,
    )
    return True
