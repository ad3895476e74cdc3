"""Contests (crowdsourced briefs): prize in escrow, entries, finalists, winner or split."""

from app.jobs import Timer

CLOSE_JOB = "contest_close"
SETTLE_JOB = "contest_settle"
CLOSE_TIMER = Timer(CLOSE_JOB, "contest", "contest-{id}-close")
SETTLE_TIMER = Timer(SETTLE_JOB, "contest", "contest-{id}-settle")
# Re-armed when a won chargeback gives a contest back its state (app.contests.chargebacks):
# the first timers may have fired, as no-ops, while it was disputed.
CLOSE_AGAIN_TIMER = Timer(CLOSE_JOB, "contest", "contest-{id}-close-after-{dispute}")
SETTLE_AGAIN_TIMER = Timer(SETTLE_JOB, "contest", "contest-{id}-settle-after-{dispute}")
