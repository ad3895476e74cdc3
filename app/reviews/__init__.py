"""Reviews between the two sides of a contract (double-blind) and the reputation built from
them and from the payments history (see ``formula.py`` for the published formula)."""

from app.payments import jobs as _jobs

# The review window's reveal timer runs as a payments durable job (see window.py).
_jobs.register("reviews_reveal", "app.reviews.window:run_reveal_job")
