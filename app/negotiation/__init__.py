"""Name-your-price negotiations: offers and counter-offers that become a contract."""

from app.jobs import Timer

EXPIRE_JOB = "negotiation_expire"
EXPIRE_TIMER = Timer(EXPIRE_JOB, "negotiation_round", "negotiation-round-{id}-expire")
