"""Influencer campaigns (orders of influencer deliverables with a content workflow)."""

from app.payments import jobs as _jobs

AUTO_CONFIRM_JOB = "campaign_auto_confirm"
_jobs.register(AUTO_CONFIRM_JOB, "app.campaigns.services:run_auto_confirm_job")
