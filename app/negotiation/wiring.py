"""Start-up registration of negotiations with the kernel (called by create_app)."""

from __future__ import annotations

from app import jobs
from app.negotiation import EXPIRE_JOB, services


def register() -> None:
    jobs.register(EXPIRE_JOB, services.run_expire_job)
