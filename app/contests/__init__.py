"""Contests (crowdsourced briefs): prize in escrow, entries, finalists, winner or split."""

from app.jobs import Timer

CLOSE_JOB = "contest_close"
SETTLE_JOB = "contest_settle"
CLOSE_TIMER = Timer(CLOSE_JOB, "contest", "contest-{id}-close")
SETTLE_TIMER = Timer(SETTLE_JOB, "contest", "contest-{id}-settle")
