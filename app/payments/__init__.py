"""Payments: milestones, escrow via Stripe PaymentIntents, Connect payouts, the ledger.

Modules: models (tables), states (transition table), ledger (double entry), fees (the
reputation formula), gateway (PaymentGateway + StripeGateway), milestones / funding / delivery /
payouts / refunds / reports (services; ``services`` re-exports them), jobs (durable timers),
webhooks (POST /stripe/webhook), cli (flask ledger-check, run-due-jobs).
"""
