"""Demand pools: a creator proposes a deliverable with price tiers; businesses pledge (card saved
with a SetupIntent); at the pledge deadline the pool closes, every pledge is charged off-session
at the tier price reached, the money sits in escrow per pledger until delivery is accepted, then
goes through the one settlement path (app.settlement)."""

from app.jobs import Timer

CLOSE_JOB = "pool_close"
GRACE_JOB = "pool_grace"
ACCEPT_JOB = "pool_auto_accept"
CLOSE_TIMER = Timer(CLOSE_JOB, "demand_pool", "pool-{id}-close")
GRACE_TIMER = Timer(GRACE_JOB, "demand_pool", "pool-{id}-grace")
ACCEPT_TIMER = Timer(ACCEPT_JOB, "demand_pool", "pool-{id}-auto-accept")
