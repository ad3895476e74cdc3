"""Dispute time boxes (app.config overrides, read with defaults).

Every dispute ends well inside Stripe's ~90 days for refunds and transfers of a charge:
response window (3 days) -> moderator SLA (14 days) -> final deadline (45 days after opening).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_app_context

DEFAULTS = {
    "DISPUTE_RESPONSE_DAYS": 3,
    "DISPUTE_REVIEW_DAYS": 14,
    "DISPUTE_FINAL_DAYS": 45,
}
# Stripe keeps a charge refundable/transferable for about 90 days; stay far below it.
MAX_DAYS = 60


def _days(name: str) -> timedelta:
    value = DEFAULTS[name]
    if has_app_context():
        value = current_app.config.get(name, value)
    return timedelta(days=min(max(float(value), 0.0), MAX_DAYS))


def response_window() -> timedelta:
    return _days("DISPUTE_RESPONSE_DAYS")


def review_sla() -> timedelta:
    return _days("DISPUTE_REVIEW_DAYS")


def final_deadline() -> timedelta:
    return _days("DISPUTE_FINAL_DAYS")
