"""Influencer campaigns (orders of influencer deliverables with a content workflow)."""

AUTO_CONFIRM_JOB = "campaign_auto_confirm"
