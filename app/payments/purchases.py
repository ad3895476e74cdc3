"""Everything the platform charges a card for (milestone funding, licences, contest prizes),
registered by its domain at start-up, so a Stripe event about a PaymentIntent, and the browser
coming back from Stripe.js, reach its owner without payments importing the domains built on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.payments.gateway import PaymentGateway, PaymentIntentInfo

T = TypeVar("T")

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


def by_payment_intent(session: Session, model: type[T], payment_intent_id: str) -> T | None:
    """The purchase of kind ``model`` (a row with ``payment_intent_id``) this PaymentIntent
    pays for, or None."""
    column: Any = model.payment_intent_id  # type: ignore[attr-defined]
    return session.scalar(select(model).where(column == payment_intent_id))


def locator(model: type[T], landing: Callable[[T], Landing]) -> Locate:
    """The ``Locate`` of a kind whose rows carry ``payment_intent_id``: its row's ``landing``."""

    def locate(session: Session, payment_intent_id: str) -> Landing | None:
        purchase = by_payment_intent(session, model, payment_intent_id)
        return None if purchase is None else landing(purchase)

    return locate


def paid_charges(model: type[Any], paid_at: Any) -> Charges:
    """The ``Charges`` of a kind: ``charge_id`` of every row whose ``paid_at`` is set."""

    def list_charges(session: Session) -> list[str]:
        charge = model.charge_id
        return list(
            session.scalars(select(charge).where(paid_at.is_not(None), charge.is_not(None)))
        )

    return list_charges
