"""Start-up registration of campaigns with the kernel (called by create_app)."""

from __future__ import annotations

from app import jobs
from app.campaigns import AUTO_CONFIRM_JOB, services


def register() -> None:
    jobs.register(AUTO_CONFIRM_JOB, services.run_auto_confirm_job)
