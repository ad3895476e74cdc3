"""Disputes about a milestone's money, opened by a party or by a Stripe chargeback.

Modules: models (tables), states (the transition table and the only writer of
``Dispute.state``), services (open, respond, evidence, settle, resolve, withdraw), money (how
each outcome moves the milestone's money through app.payments), timers (response window,
moderator SLA and final deadline as app.payments durable jobs), queries (lists, queue,
party history), views, forms, api + api_spec.
"""

from app.payments import jobs as _jobs

# Dispute timers run as payments durable jobs (one handler per kind; see timers.py).
for _kind in ("response", "review", "final"):
    _jobs.register(f"dispute_{_kind}", f"app.disputes.timers:run_{_kind}_job")
