"""Payments settings with their defaults (overridable in app.config)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context

DEFAULTS: dict[str, Any] = {
    "PAYMENTS_REVIEW_WINDOW_DAYS": 7,
    "PAYMENTS_MAX_REVISIONS": 3,
    "PAYMENTS_TRANSFER_MAX_ATTEMPTS": 8,
}


def setting(name: str) -> Any:
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def review_window() -> timedelta:
    days = float(setting("PAYMENTS_REVIEW_WINDOW_DAYS"))
    # Review window + longest hold must stay well inside Stripe's ~90 day window.
    return timedelta(days=min(max(days, 0.0), 30.0))
