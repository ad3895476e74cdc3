"""Everything the platform charges a card for (milestone funding, licences, contest prizes),
registered by its domain at start-up, so a Stripe event about a PaymentIntent, and the browser
coming back from Stripe.js, reach its owner without payments importing the domains built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.payments.gateway import PaymentGateway, PaymentIntentInfo

# (session, gateway, PaymentIntent id) -> a short outcome, or None when the PaymentIntent is
# not one of this kind's (looked up in our database first, so a foreign one costs no call).
Confirm = Callable[[Session, PaymentGateway, str], "str | None"]


@dataclass(frozen=True)
class Landing:
    """Where a purchase's buyer pays and where they land once it is paid."""

    kind: str
    buyer_id: int
    pay_url: str
    done_url: str
    paid_message: str


# (session, PaymentIntent id) -> its purchase's Landing, or None when not this kind's.
Locate = Callable[[Session, str], "Landing | None"]
# session -> the Stripe charge ids of every paid purchase of the kind (for reconciliation:
# each charge's processing fee must be in the ledger, app.settlement.stripe_fees).
Charges = Callable[[Session], "list[str]"]
_confirmers: dict[str, Confirm] = {}
_locators: dict[str, Locate] = {}
_charges: dict[str, Charges] = {}


def register(
    kind: str, confirm: Confirm, locate: Locate | None = None, charges: Charges | None = None
) -> None:
    _confirmers[kind] = confirm
    if locate is not None:
        _locators[kind] = locate
    if charges is not None:
        _charges[kind] = charges


def charges(session: Session) -> list[tuple[str, str]]:
    """(kind, charge id) of every paid purchase, all kinds."""
    return [
        (kind, charge)
        for kind, list_charges in _charges.items()
        for charge in list_charges(session)
    ]


def confirm(session: Session, gateway: PaymentGateway, payment_intent_id: str) -> str:
    """Apply a PaymentIntent's outcome to whichever purchase it paid for."""
    for confirm_kind in _confirmers.values():
        outcome = confirm_kind(session, gateway, payment_intent_id)
        if outcome is not None:
            return outcome
    return "not ours"


def locate(session: Session, payment_intent_id: str) -> Landing | None:
    """The purchase a PaymentIntent of ours pays for, or None (unknown to us)."""
    for locate_kind in _locators.values():
        landing = locate_kind(session, payment_intent_id)
        if landing is not None:
            return landing
    return None


def payment_intent_for(
    session: Session,
    gateway: PaymentGateway,
    purchase: Any,
    *,
    key: str,
    amount: int,
    currency: str,
    transfer_group: str,
    metadata: dict[str, str],
    description: str,
) -> PaymentIntentInfo:
    """The purchase's PaymentIntent, created once: the one stored on ``purchase``
    (``payment_intent_id``) when there is one, else a new one stored on it.

    The idempotency key is ``key`` (what is bought: ids can repeat after a rolled-back
    attempt on SQLite) plus the amount and currency, so a retried request gets the same
    PaymentIntent and a changed price never reuses an old one.
    """
    if purchase.payment_intent_id:
        return gateway.retrieve_payment_intent(purchase.payment_intent_id)
    intent = gateway.create_payment_intent(
        amount=amount,
        currency=currency,
        transfer_group=transfer_group,
        metadata=metadata,
        description=description[:200],
        idempotency_key=f"{key}-payment-intent-{amount}-{currency.lower()}",
    )
    purchase.payment_intent_id = intent.id
    session.flush()
    return intent
