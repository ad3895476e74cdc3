"""Everything the platform charges a card for (milestone funding, licences, contest prizes),
registered by its domain at start-up, so a Stripe event about a PaymentIntent reaches its
owner without payments importing the domains built on it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.payments.gateway import PaymentGateway

# (session, gateway, PaymentIntent id) -> a short outcome, or None when the PaymentIntent is
# not one of this kind's (looked up in our database first, so a foreign one costs no call).
Confirm = Callable[[Session, PaymentGateway, str], "str | None"]
_confirmers: dict[str, Confirm] = {}


def register(kind: str, confirm: Confirm) -> None:
    _confirmers[kind] = confirm


def confirm(session: Session, gateway: PaymentGateway, payment_intent_id: str) -> str:
    """Apply a PaymentIntent's outcome to whichever purchase it paid for."""
    for confirm_kind in _confirmers.values():
        outcome = confirm_kind(session, gateway, payment_intent_id)
        if outcome is not None:
            return outcome
    return "not ours"
