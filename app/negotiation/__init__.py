"""Name-your-price negotiations: offers and counter-offers that become a contract."""

EXPIRE_JOB = "negotiation_expire"
