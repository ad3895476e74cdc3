"""Disputes about a milestone's money, opened by a party or by a Stripe chargeback.

Modules: models (tables), states (the transition table and the only writer of
``Dispute.state``), services (open, respond, evidence, settle, resolve, withdraw), money (how
each outcome moves the milestone's money through app.payments), timers (response window,
moderator SLA and final deadline as durable jobs), queries (lists, queue, party history),
wiring (start-up registration), views, forms, api (its operations declared with their schemas).
"""
