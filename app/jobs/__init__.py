"""One durable job queue for the whole app: timers (review windows, clearance holds, contest
deadlines, dispute windows) and retryable tasks (Stripe transfers, mail), each about a subject
(type, id).

Domains register their handlers at start-up (``register(kind, handler)``) and add jobs with
``schedule``; ``run_due`` (the worker, ``flask run-due-jobs``) runs them. Retries, backoff and
giving up live here and nowhere else. See ``queue`` for how claiming works.
"""

from app.jobs.models import Job, JobStatus
from app.jobs.queue import (
    Handler,
    JobContext,
    Later,
    RetryLater,
    RunReport,
    Timer,
    backoff,
    cancel,
    not_due,
    register,
    registered_kinds,
    retry,
    run_due,
    schedule,
)

__all__ = [
    "Handler",
    "Job",
    "JobContext",
    "JobStatus",
    "Later",
    "RetryLater",
    "RunReport",
    "Timer",
    "backoff",
    "cancel",
    "not_due",
    "register",
    "registered_kinds",
    "retry",
    "run_due",
    "schedule",
]
