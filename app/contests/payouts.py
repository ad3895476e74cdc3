"""Paying out a contest award after its clearance hold: a Stripe Transfer from the contest's
charge to the creator's connected account, idempotency key ``contest-award-<id>-transfer``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock
from app.contests.models import AwardState, Contest, ContestAward
from app.errors import Conflict, NotFound
from app.payments import jobs, ledger
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount, Job


def pay_out(session: Session, gateway: PaymentGateway, award_id: int) -> ContestAward:
    """Transfer a cleared award (idempotent: a paid-out award is returned unchanged).

    Raises jobs.RetryLater (still clearing, creator not onboarded), Conflict, GatewayError.
    """
    award = session.scalars(
        select(ContestAward)
        .where(ContestAward.id == award_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if award is None:
        raise NotFound("No such award.")
    if award.state is AwardState.PAID_OUT:
        return award
    if award.clears_at > clock.now():
        raise jobs.RetryLater("still clearing", award.clears_at)
    account = session.get(ConnectedAccount, award.creator_id)
    if account is None or not account.ready:
        raise jobs.RetryLater("creator not onboarded", clock.now() + jobs.WAIT_FOR_ACCOUNT)
    contest = session.get(Contest, award.contest_id)
    if contest is None or not contest.charge_id:
        raise Conflict("The contest has no charge to transfer from.")
    transfer_id = gateway.create_transfer(
        amount=award.net_minor,
        currency=award.currency,
        destination=account.stripe_account_id,
        source_transaction=contest.charge_id,
        transfer_group=f"contest-{contest.id}",
        metadata={"contest_id": str(contest.id), "award_id": str(award.id)},
        idempotency_key=f"contest-award-{award.id}-transfer",
    )
    award.state, award.stripe_transfer_id = AwardState.PAID_OUT, transfer_id
    award.paid_out_at = clock.now()
    ledger.post(
        session,
        key=f"contest-award-{award.id}-transfer",
        kind="transfer",
        currency=award.currency,
        lines=[
            (ledger.creator_pending(award.creator_id), -award.net_minor),
            (ledger.creator_paid(award.creator_id), award.net_minor),
        ],
        memo=transfer_id,
    )
    audit.record(
        session,
        actor_id=None,
        action="contest_award.paid_out",
        subject_type="contest_award",
        subject_id=award.id,
        transfer=transfer_id,
    )
    return award


def run_transfer_job(session: Session, gateway: PaymentGateway, job: Job) -> str:
    assert job.subject_id is not None
    award = pay_out(session, gateway, job.subject_id)
    return f"transferred {award.stripe_transfer_id}"
