"""Influencer campaigns (orders of influencer deliverables with a content workflow)."""

from app.jobs import Timer

AUTO_CONFIRM_JOB = "campaign_auto_confirm"
AUTO_CONFIRM_TIMER = Timer(AUTO_CONFIRM_JOB, "campaign", "campaign-{id}-auto-confirm")
