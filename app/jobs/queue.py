"""Scheduling, claiming and running jobs; retries and backoff in one place.

Claiming takes a lease, not a long row lock: a worker picks one due job with
``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer anyway), marks it running until
``locked_until`` and commits at once. The handler then runs in its own transaction, locking
domain rows in the app's lock order (app.workflow); the job row is touched again only at the
end, after every domain lock, so a request that re-schedules a job while holding domain locks
can never deadlock with a worker. A worker that dies leaves a lease that expires: the job is
claimed again, and handlers are idempotent (they re-check their subject's state; Stripe calls
carry idempotency keys).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, DomainError
from app.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

# Retries of a failing job: 1 min, 5 min, 30 min, 2 h, then every 6 h until MAX_ATTEMPTS.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
LONGEST_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 8


class RetryLater(Exception):
    """Raised by a handler: not an error, the job waits until ``at`` (attempts unchanged)."""

    def __init__(self, reason: str, at: datetime) -> None:
        super().__init__(reason)
        self.at = at


@dataclass(frozen=True)
class Later:
    """Returned by a handler: keep what it wrote, and run the job again at ``at``."""

    reason: str
    at: datetime


@dataclass(frozen=True)
class JobContext:
    """What handlers may use besides the session (the Stripe gateway of this process)."""

    gateway: Any = None


Handler = Callable[[Session, Job, JobContext], "str | Later"]
GiveUp = Callable[[Session, Job], None]
_handlers: dict[str, Handler] = {}
_on_give_up: dict[str, GiveUp] = {}


def register(kind: str, handler: Handler, *, on_give_up: GiveUp | None = None) -> None:
    """Register the handler of ``kind`` (at start-up).

    A handler re-checks its subject (a stale or repeated job must be a no-op) and returns a
    short outcome, or ``Later`` to wait; it raises RetryLater (wait, discard its writes), a
    DomainError or a GatewayError (``retryable`` says whether trying again can help).
    ``on_give_up`` runs, in the transaction that marks the job failed, when retries end.
    """
    if _handlers.get(kind, handler) is not handler:
        raise ValueError(f"job kind {kind!r} is already registered")
    _handlers[kind] = handler
    if on_give_up is not None:
        _on_give_up[kind] = on_give_up


def registered_kinds() -> list[str]:
    return sorted(_handlers)


def schedule(
    session: Session,
    *,
    kind: str,
    subject_type: str,
    subject_id: int,
    due_at: datetime,
    key: str,
) -> Job:
    """Add the job ``key``, or move the live one with that key to ``due_at``.

    A finished job with the same key stays finished (pick a new key to run a purpose again).
    """
    job = session.scalar(select(Job).where(Job.key == key))
    if job is None:
        try:
            with session.begin_nested():
                job = Job(
                    kind=kind,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    key=key,
                    due_at=due_at,
                )
                session.add(job)
        except IntegrityError:  # scheduled by someone else meanwhile: move theirs
            job = session.scalars(select(Job).where(Job.key == key)).one()
        else:
            return job
    if job.status in (JobStatus.PENDING, JobStatus.RUNNING):
        job.due_at = due_at
        session.flush()
    return job


@dataclass(frozen=True)
class Timer:
    """A durable timer declared once per purpose: the job ``kind`` about one ``subject_type``
    row, keyed by ``key`` (formatted with the row's ``id`` and any extra parts) so that at most
    one is live per subject and purpose. ``set`` adds it or moves the live one."""

    kind: str
    subject_type: str
    key: str

    def key_for(self, subject_id: int, **parts: Any) -> str:
        return self.key.format(id=subject_id, **parts)

    def set(self, session: Session, subject_id: int, due_at: datetime, **parts: Any) -> Job:
        key = self.key_for(subject_id, **parts)
        return schedule(
            session,
            kind=self.kind,
            subject_type=self.subject_type,
            subject_id=subject_id,
            due_at=due_at,
            key=key,
        )

    def cancel(self, session: Session, subject_id: int, **parts: Any) -> bool:
        return cancel(session, self.key_for(subject_id, **parts))


def not_due(waiting: bool, due_at: datetime | None) -> str | None:
    """Why a deadline timer has nothing to do now (its outcome, for the job log): its subject
    no longer ``waiting`` in the state the deadline is about, or the deadline is still ahead
    (the timer was moved). None when it is due."""
    if not waiting or due_at is None:
        return "nothing to do"
    if due_at > clock.now():
        return "not due"
    return None


def cancel(session: Session, key: str) -> bool:
    """Drop the pending job ``key`` (its purpose went away); True if one was pending."""
    job = session.scalar(select(Job).where(Job.key == key, Job.status == JobStatus.PENDING))
    if job is None:
        return False
    job.status, job.finished_at, job.last_error = JobStatus.DONE, clock.now(), "cancelled"
    session.flush()
    return True


def retry(session: Session, job_id: int) -> Job:
    """A person asks for a failed job to run again now, with a fresh attempt count."""
    job = session.get(Job, job_id)
    if job is None or job.status is not JobStatus.FAILED:
        raise Conflict("Only a failed job can be retried.")
    job.status, job.attempts, job.due_at, job.finished_at = JobStatus.PENDING, 0, clock.now(), None
    session.flush()
    return job


def backoff(attempts: int) -> timedelta:
    return BACKOFF[attempts - 1] if 0 < attempts <= len(BACKOFF) else LONGEST_BACKOFF


def _max_attempts() -> int:
    if has_app_context():
        config = current_app.config
        return int(config.get("JOBS_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
    return DEFAULT_MAX_ATTEMPTS


@dataclass
class RunReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    outcomes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"jobs: {self.done} done, {self.retried} retried, {self.failed} failed"


def _claim(session: Session) -> tuple[int, datetime] | None:
    now = clock.now()
    job = session.scalars(
        select(Job)
        .where(
            or_(
                and_(Job.status == JobStatus.PENDING, Job.due_at <= now),
                and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
            )
        )
        .order_by(Job.due_at, Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if job is None:
        session.commit()
        return None
    job.status, job.locked_until = JobStatus.RUNNING, now + LEASE
    claimed = (job.id, job.due_at)
    session.commit()
    return claimed


def _lock_job(session: Session, job_id: int) -> Job:
    return session.scalars(
        select(Job)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def run_due(session: Session, gateway: Any = None, *, limit: int = 100) -> RunReport:
    """Run up to ``limit`` due jobs, each in its own transaction.

    A unit-of-work boundary like a CLI command: it first commits what the caller's session
    holds, so a failing job only rolls back its own work.
    """
    context = JobContext(gateway=gateway)
    report = RunReport()
    session.commit()
    for _ in range(limit):
        claimed = _claim(session)
        if claimed is None:
            break
        job_id, claimed_due = claimed
        job = session.get(Job, job_id)
        assert job is not None
        handler = _handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler registered for job kind {job.kind!r}")
            outcome = handler(session, job, context)
            job = _lock_job(session, job_id)
            job.locked_until = None
            if isinstance(outcome, Later):
                job.status, job.due_at, job.last_error = (
                    JobStatus.PENDING,
                    outcome.at,
                    outcome.reason,
                )
                report.retried += 1
            elif job.due_at != claimed_due:
                job.status = JobStatus.PENDING  # re-scheduled while it ran: run it again then
                report.done += 1
            else:
                job.status, job.finished_at = JobStatus.DONE, clock.now()
                report.done += 1
            if not isinstance(outcome, Later):
                job.last_error = outcome[:2000]
                report.outcomes.append(outcome)
            session.commit()
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
            session.rollback()
            if not isinstance(exc, RetryLater) and not _expected(exc):
                log.exception("job %s crashed", job_id)
            if _record_failure(session, job_id, exc):
                report.failed += 1
            else:
                report.retried += 1
            session.commit()
    return report


def _expected(exc: Exception) -> bool:
    return isinstance(exc, DomainError | IntegrityError) or hasattr(exc, "retryable")


def _record_failure(session: Session, job_id: int, exc: Exception) -> bool:
    """Reschedule ``job_id`` after ``exc``, or give up; True when it failed for good."""
    job = _lock_job(session, job_id)
    job.locked_until = None
    if isinstance(exc, RetryLater):
        job.status, job.due_at, job.last_error = JobStatus.PENDING, exc.at, str(exc)[:2000]
        return False
    job.attempts += 1
    job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if not getattr(exc, "retryable", True) or job.attempts >= _max_attempts():
        job.status, job.finished_at = JobStatus.FAILED, clock.now()
        log.error("job %s (%s) failed for good: %s", job_id, job.key, job.last_error)
        give_up = _on_give_up.get(job.kind)
        if give_up is not None:
            give_up(session, job)
        return True
    job.status, job.due_at = JobStatus.PENDING, clock.now() + backoff(job.attempts)
    return False
