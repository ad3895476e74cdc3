"""Durable timers: review windows, clearance holds and transfer retries are rows with a due time.

``schedule`` adds one (its ``key`` makes it unique); ``run_due_jobs`` (``flask run-due-jobs``)
claims due rows one at a time with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
can run at once and each job runs in exactly one of them. Each job is its own transaction;
handlers re-check the milestone's state, so a stale timer is a harmless no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.errors import DomainError
from app.payments.gateway import GatewayError, PaymentGateway
from app.payments.models import Job, JobStatus
from app.payments.settings import setting

log = logging.getLogger(__name__)

AUTO_ACCEPT = "auto_accept"
TRANSFER = "transfer"
# Retries of a failed transfer: 1 min, 5 min, 30 min, 2 h, then every 6 h.
BACKOFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
WAIT_FOR_ACCOUNT = timedelta(hours=6)


class RetryLater(Exception):
    """Raised by a handler: keep the job pending and run it again at ``at``."""

    def __init__(self, reason: str, at: datetime) -> None:
        super().__init__(reason)
        self.at = at


def schedule(
    session: Session,
    *,
    kind: str,
    milestone_id: int | None = None,
    due_at: datetime,
    key: str,
    subject_id: int | None = None,
) -> Job:
    """Add a timer (or move an existing pending one with the same key to ``due_at``).

    Milestone timers pass ``milestone_id``; other domains' timers pass ``subject_id`` (the id
    of the object their registered ``kind`` handles).
    """
    job = session.scalar(select(Job).where(Job.key == key))
    if job is None:
        job = Job(
            kind=kind, milestone_id=milestone_id, subject_id=subject_id, key=key, due_at=due_at
        )
        session.add(job)
    elif job.status is JobStatus.PENDING or job.status == "pending":
        job.due_at = due_at
    session.flush()
    return job


def backoff(attempts: int) -> timedelta:
    return BACKOFF[attempts - 1] if attempts - 1 < len(BACKOFF) else timedelta(hours=6)


Handler = Callable[[Session, PaymentGateway, Job], str]
# Job kinds of other domains: kind -> "module:function", imported when jobs run (so a domain
# registers from its package __init__ without import cycles). See ``register``.
_REGISTRY: dict[str, str] = {}


def register(kind: str, handler_path: str) -> None:
    """Register the handler ("package.module:function") of a job kind owned by another domain.

    Handlers re-check their object's state (a stale or repeated timer must be a no-op) and
    raise RetryLater/DomainError/GatewayError like the payments handlers.
    """
    if kind in (AUTO_ACCEPT, TRANSFER) or _REGISTRY.get(kind, handler_path) != handler_path:
        raise ValueError(f"job kind {kind!r} is already registered")
    _REGISTRY[kind] = handler_path


def _handlers() -> dict[str, Handler]:
    import importlib

    from app.payments import delivery, payouts

    handlers: dict[str, Handler] = {
        AUTO_ACCEPT: delivery.run_auto_accept_job,
        TRANSFER: payouts.run_transfer_job,
    }
    for kind, path in _REGISTRY.items():
        module_name, _, function = path.partition(":")
        handlers[kind] = getattr(importlib.import_module(module_name), function)
    return handlers


def _claim(session: Session) -> Job | None:
    stmt = (
        select(Job)
        .where(Job.status == JobStatus.PENDING, Job.due_at <= clock.now())
        .order_by(Job.due_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalars(stmt).first()


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0


def run_due_jobs(session: Session, gateway: PaymentGateway, *, limit: int = 100) -> RunReport:
    """Run up to ``limit`` due jobs, committing after each: this is a unit-of-work boundary
    like a CLI command, so it first commits whatever the caller's session holds (a failing job
    then only rolls back its own work)."""
    report = RunReport()
    handlers = _handlers()
    session.commit()
    for _ in range(limit):
        job = _claim(session)
        if job is None:
            session.commit()
            break
        job_id, kind = job.id, job.kind
        try:
            outcome = handlers[kind](session, gateway, job)
            job.status = JobStatus.DONE
            job.finished_at = clock.now()
            job.last_error = outcome
            session.commit()
            report.done += 1
        except (RetryLater, GatewayError, DomainError, IntegrityError) as exc:
            session.rollback()
            _record_failure(session, job_id, exc)
            session.commit()
            job = session.get(Job, job_id)
            if job is not None and job.status == JobStatus.FAILED:
                report.failed += 1
            else:
                report.retried += 1
        except Exception:
            session.rollback()
            log.exception("payments job %s crashed", job_id)
            _record_failure(session, job_id, RuntimeError("crashed; see logs"))
            session.commit()
            report.retried += 1
    return report


def _record_failure(session: Session, job_id: int, exc: Exception) -> None:
    job = session.scalars(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if isinstance(exc, RetryLater):
        job.due_at = exc.at
        job.last_error = str(exc)
        return
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    retryable = isinstance(exc, RetryLater) or getattr(exc, "retryable", True)
    if not retryable or job.attempts >= int(setting("PAYMENTS_TRANSFER_MAX_ATTEMPTS")):
        job.status = JobStatus.FAILED
        job.finished_at = clock.now()
        log.error("payments job %s failed for good: %s", job_id, job.last_error)
    else:
        job.due_at = clock.now() + backoff(job.attempts)
