"""Name-your-price negotiations: offers and counter-offers that become a contract."""

from app.payments import jobs as _jobs

EXPIRE_JOB = "negotiation_expire"
_jobs.register(EXPIRE_JOB, "app.negotiation.services:run_expire_job")
