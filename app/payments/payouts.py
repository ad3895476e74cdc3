"""Creator payouts through Stripe Connect: onboarding, readiness, and the transfer itself.

A released milestone is paid out after its clearance hold by a Transfer from the platform to
the creator's connected account, with ``source_transaction`` = the milestone's charge and the
idempotency key ``milestone-<id>-transfer``: however often it is retried (SDK, job, a crash
between Stripe's answer and our commit), Stripe creates one transfer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.contracts.models import Contract
from app.errors import Conflict, InvalidTransition, PermissionDenied
from app.payments import jobs, ledger
from app.payments.funding import transfer_group
from app.payments.gateway import AccountInfo, PaymentGateway
from app.payments.models import (
    ConnectedAccount,
    Job,
    JobStatus,
    Milestone,
    MilestoneState,
    PayoutTransfer,
)
from app.payments.states import lock_milestone, transition


class PayoutBlocked(Conflict):
    """The creator cannot receive transfers yet (no connected account or not onboarded)."""

    code = "payout_blocked"


@dataclass(frozen=True)
class OnboardingLink:
    account_id: str
    url: str


def start_onboarding(
    session: Session,
    gateway: PaymentGateway,
    *,
    creator: User,
    refresh_url: str,
    return_url: str,
    country: str | None = None,
) -> OnboardingLink:
    """Create (once) the creator's Express connected account and a fresh onboarding link.

    Raises PermissionDenied (not a creator), GatewayError.
    """
    if not creator.is_creator:
        raise PermissionDenied("Only creators receive payouts.")
    account = session.scalars(
        select(ConnectedAccount).where(ConnectedAccount.user_id == creator.id).with_for_update()
    ).one_or_none()
    if account is None:
        info = gateway.create_account(
            email=creator.email,
            country=country or (creator.profile.country if creator.profile else None),
            metadata={"user_id": str(creator.id)},
            idempotency_key=f"user-{creator.id}-connected-account",
        )
        account = ConnectedAccount(user_id=creator.id, stripe_account_id=info.id)
        session.add(account)
        _apply(account, info)
        session.flush()
    url = gateway.create_account_link(
        account.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
        # Links are single-use, so each request gets its own key (per second is enough).
        idempotency_key=f"user-{creator.id}-account-link-{int(clock.now().timestamp())}",
    )
    return OnboardingLink(account_id=account.stripe_account_id, url=url)


def _apply(account: ConnectedAccount, info: AccountInfo) -> None:
    account.payouts_enabled = info.payouts_enabled
    account.details_submitted = info.details_submitted
    account.transfers_active = info.transfers_active


def refresh_account(
    session: Session, gateway: PaymentGateway, stripe_account_id: str
) -> ConnectedAccount | None:
    """Re-fetch a connected account's readiness (account.updated, return_url); None if unknown.

    When the account becomes ready, waiting transfer timers of its creator are made due now.
    """
    account = session.scalars(
        select(ConnectedAccount)
        .where(ConnectedAccount.stripe_account_id == stripe_account_id)
        .with_for_update()
    ).one_or_none()
    if account is None:
        return None
    was_ready = account.ready
    _apply(account, gateway.retrieve_account(stripe_account_id))
    if account.ready and not was_ready:
        waiting = session.scalars(
            select(Job)
            .join(Milestone, Milestone.id == Job.milestone_id)
            .join(Contract, Contract.id == Milestone.contract_id)
            .where(
                Job.kind == jobs.TRANSFER,
                Job.status == JobStatus.PENDING,
                Contract.creator_id == account.user_id,
                Milestone.clears_at <= clock.now(),
            )
        )
        for job in waiting:
            job.due_at = clock.now()
    session.flush()
    return account


def pay_out(session: Session, gateway: PaymentGateway, milestone_id: int) -> PayoutTransfer:
    """Transfer a released, cleared milestone's net amount to the creator (idempotent).

    Returns the existing transfer for a milestone already paid out. Raises InvalidTransition
    (not released: refunded, disputed...), Conflict (still clearing), PayoutBlocked (creator
    not onboarded), GatewayError (``retryable`` for network/5xx: retry with the same key).
    Books creator_pending -> creator_paid with the state change.
    """
    milestone = lock_milestone(session, milestone_id)
    if milestone.state == MilestoneState.PAID_OUT:
        existing = session.scalar(
            select(PayoutTransfer).where(PayoutTransfer.milestone_id == milestone.id)
        )
        if existing is not None:
            return existing
    if milestone.state != MilestoneState.RELEASED:
        raise InvalidTransition(f"Cannot pay out a milestone that is {milestone.state}.")
    if milestone.clears_at is None or milestone.clears_at > clock.now():
        raise Conflict(f"The payment is clearing until {milestone.clears_at:%Y-%m-%d %H:%M} UTC.")
    creator_id = milestone.contract.creator_id
    if milestone.contract.creator.suspended_at is not None:
        # Moderation hold: nothing leaves the platform; the net stays in creator_pending.
        raise PayoutBlocked("The creator's account is suspended; the payout is on hold.")
    account = session.get(ConnectedAccount, creator_id)
    if account is None or not account.ready:
        raise PayoutBlocked("The creator has not finished setting up payouts.")
    if not milestone.charge_id:
        raise Conflict("The milestone has no charge to transfer from.")
    net = milestone.released_minor - milestone.fee_minor
    transfer_id = gateway.create_transfer(
        amount=net,
        currency=milestone.currency,
        destination=account.stripe_account_id,
        source_transaction=milestone.charge_id,
        transfer_group=transfer_group(milestone.contract_id),
        metadata={"milestone_id": str(milestone.id), "contract_id": str(milestone.contract_id)},
        idempotency_key=f"milestone-{milestone.id}-transfer",
    )
    transition(session, milestone, "pay_out", actor_id=None, transfer=transfer_id)
    milestone.paid_out_at = clock.now()
    record = PayoutTransfer(
        milestone_id=milestone.id,
        stripe_transfer_id=transfer_id,
        destination=account.stripe_account_id,
        amount_minor=net,
        currency=milestone.currency,
    )
    session.add(record)
    ledger.post(
        session,
        key=f"milestone-{milestone.id}-transfer",
        kind="transfer",
        currency=milestone.currency,
        milestone_id=milestone.id,
        lines=[(ledger.creator_pending(creator_id), -net), (ledger.creator_paid(creator_id), net)],
        memo=transfer_id,
    )
    from app.reviews.hooks import milestone_finished  # reviews builds on payments

    milestone_finished(session, milestone)
    return record


def run_transfer_job(session: Session, gateway: PaymentGateway, job: Job) -> str:
    assert job.milestone_id is not None  # milestone job kinds always name their milestone
    milestone = lock_milestone(session, job.milestone_id)
    if milestone.state != MilestoneState.RELEASED:
        return f"nothing to do ({milestone.state})"
    if milestone.clears_at is not None and milestone.clears_at > clock.now():
        raise jobs.RetryLater("still clearing", milestone.clears_at)
    try:
        transfer = pay_out(session, gateway, milestone.id)
    except PayoutBlocked as exc:
        # account.updated makes the job due again as soon as the creator is ready.
        raise jobs.RetryLater(str(exc), clock.now() + jobs.WAIT_FOR_ACCOUNT) from exc
    return f"transferred {transfer.stripe_transfer_id}"
