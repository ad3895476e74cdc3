"""Admin tools: find users, change roles, suspend/reinstate (through moderation), and the
payouts that need a person."""
