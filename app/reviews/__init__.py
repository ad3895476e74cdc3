"""Reviews between the two sides of a contract (double-blind) and the reputation built from
them and from the payments history (see ``formula.py`` for the published formula)."""
