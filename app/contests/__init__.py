"""Contests (crowdsourced briefs): prize in escrow, entries, finalists, winner or split."""

CLOSE_JOB = "contest_close"
SETTLE_JOB = "contest_settle"
