"""Licence payouts: after the clearance hold, transfer the creator's net share (Stripe Connect).

Same shape as app.payments.payouts: a Transfer with ``source_transaction`` = the licence's
charge and the idempotency key ``license-<id>-transfer``, booked

    license_transfer   creator_pending:<creator> -net, creator_paid:<creator> +net

Timers are MediaPayoutJob rows run by ``run_due_payouts`` (``flask media-payouts`` and the
worker): claimed with SKIP LOCKED, one transaction per job, retried with the payments backoff.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit, clock
from app.errors import Conflict, DomainError, InvalidTransition, NotFound
from app.media.models import LicenseStatus, MediaLicense, MediaPayoutJob, PayoutStatus
from app.payments import jobs, ledger
from app.payments.gateway import GatewayError, PaymentGateway
from app.payments.models import ConnectedAccount
from app.payments.payouts import PayoutBlocked
from app.payments.settings import setting

log = logging.getLogger(__name__)


def _lock_license(session: Session, license_id: int) -> MediaLicense:
    licence = session.scalars(
        select(MediaLicense)
        .where(MediaLicense.id == license_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if licence is None:
        raise NotFound("No such licence.")
    return licence


def pay_out_license(session: Session, gateway: PaymentGateway, license_id: int) -> str:
    """Transfer a sold licence's net amount to its creator once cleared; idempotent.

    Returns the Stripe transfer id. Raises InvalidTransition (not sold), Conflict (still
    clearing, no charge), PayoutBlocked (creator not onboarded), GatewayError.
    """
    licence = _lock_license(session, license_id)
    if licence.stripe_transfer_id:
        return licence.stripe_transfer_id
    if licence.status != LicenseStatus.ACTIVE:
        raise InvalidTransition("Only a sold licence is paid out.")
    if licence.clears_at is None or licence.clears_at > clock.now():
        raise Conflict(f"The payment is clearing until {licence.clears_at:%Y-%m-%d %H:%M} UTC.")
    account = session.get(ConnectedAccount, licence.creator_id)
    if account is None or not account.ready:
        raise PayoutBlocked("The creator has not finished setting up payouts.")
    if not licence.charge_id:
        raise Conflict("The licence has no charge to transfer from.")
    net = licence.net_minor
    transfer_id = gateway.create_transfer(
        amount=net,
        currency=licence.currency,
        destination=account.stripe_account_id,
        source_transaction=licence.charge_id,
        transfer_group=f"license-{licence.id}",
        metadata={"license_id": str(licence.id), "asset_id": str(licence.asset_id)},
        idempotency_key=f"license-{licence.id}-transfer",
    )
    licence.stripe_transfer_id = transfer_id
    licence.paid_out_at = clock.now()
    ledger.post(
        session,
        key=f"license-{licence.id}-transfer",
        kind="license_transfer",
        currency=licence.currency,
        lines=[
            (ledger.creator_pending(licence.creator_id), -net),
            (ledger.creator_paid(licence.creator_id), net),
        ],
        memo=transfer_id,
    )
    audit.record(
        session,
        actor_id=None,
        action="media.license_paid_out",
        subject_type="media_license",
        subject_id=licence.id,
        transfer=transfer_id,
        amount_minor=net,
    )
    session.flush()
    return transfer_id


def _run_one(session: Session, gateway: PaymentGateway, job: MediaPayoutJob) -> str:
    licence = _lock_license(session, job.license_id)
    if licence.stripe_transfer_id:
        return f"already transferred {licence.stripe_transfer_id}"
    if licence.clears_at is not None and licence.clears_at > clock.now():
        raise jobs.RetryLater("still clearing", licence.clears_at)
    try:
        return f"transferred {pay_out_license(session, gateway, licence.id)}"
    except PayoutBlocked as exc:
        raise jobs.RetryLater(str(exc), clock.now() + jobs.WAIT_FOR_ACCOUNT) from exc


def run_due_payouts(
    session: Session, gateway: PaymentGateway, *, limit: int = 100
) -> jobs.RunReport:
    """Run up to ``limit`` due licence payouts, committing after each (a unit-of-work
    boundary like a CLI command: it first commits what the caller's session holds)."""
    report = jobs.RunReport()
    session.commit()
    for _ in range(limit):
        job = session.scalars(
            select(MediaPayoutJob)
            .where(
                MediaPayoutJob.status == PayoutStatus.PENDING, MediaPayoutJob.due_at <= clock.now()
            )
            .order_by(MediaPayoutJob.due_at, MediaPayoutJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            session.commit()
            break
        job_id = job.id
        try:
            job.last_error = _run_one(session, gateway, job)
            job.status = PayoutStatus.DONE
            job.finished_at = clock.now()
            session.commit()
            report.done += 1
        except (jobs.RetryLater, GatewayError, DomainError, IntegrityError) as exc:
            session.rollback()
            failed = _record_failure(session, job_id, exc)
            session.commit()
            report.failed += failed
            report.retried += not failed
        except Exception:
            session.rollback()
            log.exception("media payout job %s crashed", job_id)
            _record_failure(session, job_id, RuntimeError("crashed; see logs"))
            session.commit()
            report.retried += 1
    return report


def _record_failure(session: Session, job_id: int, exc: Exception) -> bool:
    """Reschedule or give up; returns True when the job failed for good."""
    job = session.scalars(
        select(MediaPayoutJob)
        .where(MediaPayoutJob.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if isinstance(exc, jobs.RetryLater):
        job.due_at, job.last_error = exc.at, str(exc)
        return False
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if not getattr(exc, "retryable", True) or job.attempts >= int(
        setting("PAYMENTS_TRANSFER_MAX_ATTEMPTS")
    ):
        job.status = PayoutStatus.FAILED
        job.finished_at = clock.now()
        log.error("media payout job %s failed for good: %s", job_id, job.last_error)
        return True
    job.due_at = clock.now() + jobs.backoff(job.attempts)
    return False
