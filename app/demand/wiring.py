"""Start-up registration of demand signals: the interest-vector job, and pool invitations."""

from __future__ import annotations

from app import events, jobs
from app.demand import cache, invitations, services


def register() -> None:
    jobs.register(services.JOB, services.run_encode_job)
    events.subscribe(events.PoolOpened.NAME, invitations.on_pool_opened)
    cache.wire()
