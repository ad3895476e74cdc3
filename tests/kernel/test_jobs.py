"""The one job queue: scheduling by key, claiming, waiting, retries with backoff, giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.errors import Conflict
from app.jobs import Job, JobStatus
from app.payments.gateway import GatewayError

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
calls: list[str] = []


@pytest.fixture()
def frozen() -> Any:
    calls.clear()
    with clock.frozen_at(T0):
        yield


def _ok(session: Session, job: Job, context: jobs.JobContext) -> str:
    calls.append(job.key)
    return "done it"


def _wait(session: Session, job: Job, context: jobs.JobContext) -> jobs.Later:
    calls.append(job.key)
    return jobs.Later("not yet", clock.now() + timedelta(hours=1))


def _flaky(session: Session, job: Job, context: jobs.JobContext) -> str:
    calls.append(job.key)
    raise GatewayError("Stripe is down", retryable=True)


def _refused(session: Session, job: Job, context: jobs.JobContext) -> str:
    calls.append(job.key)
    raise GatewayError("No such destination", retryable=False)


def _reschedules_itself(session: Session, job: Job, context: jobs.JobContext) -> str:
    calls.append(job.key)
    # What a request does while the worker runs the job: move it to a new time.
    jobs.schedule(
        session,
        kind=job.kind,
        subject_type=job.subject_type,
        subject_id=job.subject_id,
        due_at=clock.now() + timedelta(days=1),
        key=job.key,
    )
    return "ran"


gave_up: list[int] = []
for name, handler in {
    "test_ok": _ok,
    "test_wait": _wait,
    "test_flaky": _flaky,
    "test_reschedule": _reschedules_itself,
}.items():
    jobs.register(name, handler)
jobs.register("test_refused", _refused, on_give_up=lambda _s, job: gave_up.append(job.id))


def _add(session: Session, kind: str, key: str, due: datetime = T0) -> Job:
    return jobs.schedule(session, kind=kind, subject_type="test", subject_id=1, due_at=due, key=key)


def _job(session: Session, key: str) -> Job:
    session.expire_all()
    return session.scalars(select(Job).where(Job.key == key)).one()


def test_a_key_names_one_live_job_that_scheduling_moves(session: Session, frozen: Any) -> None:
    first = _add(session, "test_ok", "k-1", T0 + timedelta(hours=2))
    again = _add(session, "test_ok", "k-1", T0 + timedelta(hours=5))
    assert first.id == again.id and again.due_at == T0 + timedelta(hours=5)
    assert jobs.run_due(session).done == 0  # not due
    clock.advance(timedelta(hours=5))
    report = jobs.run_due(session)
    assert (report.done, calls) == (1, ["k-1"])
    assert _job(session, "k-1").status is JobStatus.DONE
    # Scheduling a finished purpose again does nothing; a new purpose needs a new key.
    _add(session, "test_ok", "k-1")
    assert jobs.run_due(session).done == 0


def test_later_keeps_the_job_waiting_without_counting_an_attempt(
    session: Session, frozen: Any
) -> None:
    _add(session, "test_wait", "w-1")
    assert jobs.run_due(session).retried == 1
    job = _job(session, "w-1")
    assert (job.status, job.attempts, job.last_error) == (JobStatus.PENDING, 0, "not yet")
    assert job.due_at == T0 + timedelta(hours=1)


def test_retryable_failures_back_off_then_give_up(app: Any, session: Session, frozen: Any) -> None:
    _add(session, "test_flaky", "f-1")
    waits = []
    for attempt in range(1, app.config["JOBS_MAX_ATTEMPTS"]):
        assert jobs.run_due(session).retried == 1
        job = _job(session, "f-1")
        assert job.attempts == attempt and "Stripe is down" in job.last_error
        waits.append(job.due_at - clock.now())
        clock.advance(job.due_at - clock.now())
    assert waits[:4] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
    ]
    assert set(waits[4:]) == {timedelta(hours=6)}
    assert jobs.run_due(session).failed == 1
    assert _job(session, "f-1").status is JobStatus.FAILED


def test_a_refusal_gives_up_at_once_and_a_person_can_retry(session: Session, frozen: Any) -> None:
    job = _add(session, "test_refused", "r-1")
    gave_up.clear()
    assert jobs.run_due(session).failed == 1
    assert gave_up == [job.id] and _job(session, "r-1").status is JobStatus.FAILED
    jobs.retry(session, job.id)
    assert _job(session, "r-1").status is JobStatus.PENDING
    with pytest.raises(Conflict):
        jobs.retry(session, job.id)


def test_a_job_moved_while_it_ran_runs_again_at_its_new_time(session: Session, frozen: Any) -> None:
    _add(session, "test_reschedule", "m-1")
    assert jobs.run_due(session).done == 1
    job = _job(session, "m-1")
    assert job.status is JobStatus.PENDING and job.due_at == T0 + timedelta(days=1)


def test_a_worker_that_died_leaves_a_lease_that_expires(session: Session, frozen: Any) -> None:
    job = _add(session, "test_ok", "l-1")
    job.status, job.locked_until = JobStatus.RUNNING, T0 + timedelta(minutes=5)
    session.flush()
    assert jobs.run_due(session).done == 0  # another worker holds it
    clock.advance(timedelta(minutes=6))
    assert jobs.run_due(session).done == 1 and calls == ["l-1"]


def test_every_job_kind_of_the_app_has_a_handler(app: Any) -> None:
    kinds = set(jobs.registered_kinds())
    expected = {
        "auto_accept",
        "payout",
        "dispute_response",
        "dispute_review",
        "dispute_final",
        "reviews_reveal",
        "contest_close",
        "contest_settle",
        "campaign_auto_confirm",
        "negotiation_expire",
    }
    assert expected <= kinds
