"""One checkout for every purchase (milestone funding, licences, contest prizes; campaigns and
negotiated deals pay through their milestone).

The server creates (or resumes) the purchase's PaymentIntent, idempotently per purchase; the
page (templates/payments/_checkout.html + static/js/checkout.js) confirms it in the browser
with Stripe.js, so card details go to Stripe only and we only ever see PaymentIntent ids. The
browser then comes back to ``/payments/return?payment_intent=pi_...``, which re-fetches the
PaymentIntent and applies it through ``purchases.confirm`` -- the same idempotent step the
payment_intent.succeeded webhook takes -- so whichever arrives first, the buyer lands on the
same page with the same result, and a reload or the back button books nothing twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.errors import NotFound
from app.payments import purchases
from app.payments.gateway import PaymentGateway, PaymentIntentInfo, SetupIntentInfo

_INTENT_ID = re.compile(r"^pi_[A-Za-z0-9]{1,250}$")


@dataclass(frozen=True)
class Checkout:
    """What a purchase page hands to Stripe.js (never anything about the card)."""

    payment_intent_id: str
    client_secret: str
    publishable_key: str
    amount_minor: int
    currency: str
    status: str
    last_error: str | None


def checkout_for(intent: PaymentIntentInfo, gateway: PaymentGateway) -> Checkout:
    return Checkout(
        payment_intent_id=intent.id,
        client_secret=intent.client_secret or "",
        publishable_key=gateway.publishable_key,
        amount_minor=intent.amount,
        currency=intent.currency,
        status=intent.status,
        last_error=intent.last_error,
    )


def checkout_for_setup(setup: SetupIntentInfo, gateway: PaymentGateway) -> Checkout:
    """Saving a card for later (a SetupIntent) through the same checkout form: nothing is
    charged now, so no amount."""
    return Checkout(
        payment_intent_id=setup.id,
        client_secret=setup.client_secret or "",
        publishable_key=gateway.publishable_key,
        amount_minor=0,
        currency="",
        status=setup.status,
        last_error=setup.last_error,
    )


@dataclass(frozen=True)
class Outcome:
    """Where the buyer goes after coming back, and what they are told."""

    paid: bool
    url: str
    message: str
    level: str  # flash category


def finish(
    session: Session, gateway: PaymentGateway, payment_intent_id: str, *, buyer: User
) -> Outcome:
    """The buyer is back from Stripe.js: apply the PaymentIntent's outcome to its purchase.

    Idempotent (the webhook may have booked it already). Raises NotFound (not one of ours, or
    someone else's purchase), GatewayError, and what the purchase's confirmation raises
    (Conflict when the payment does not match it). Books the purchase when it succeeded.
    """
    landing = (
        purchases.locate(session, payment_intent_id)
        if _INTENT_ID.match(payment_intent_id or "")
        else None
    )
    if landing is None or landing.buyer_id != buyer.id:
        raise NotFound("No such payment.")
    intent = gateway.retrieve_payment_intent(payment_intent_id)
    if intent.status == "succeeded":
        purchases.confirm(session, gateway, intent.id)
        return Outcome(True, landing.done_url, landing.paid_message, "success")
    if intent.status == "processing":
        message = "Your payment is being processed; this page updates once the bank confirms it."
        return Outcome(False, landing.done_url, message, "info")
    if intent.status == "requires_action":
        message = (
            "3-D Secure authentication was not completed, so nothing was charged. "
            "Pay again to retry."
        )
        return Outcome(False, landing.pay_url, message, "error")
    if intent.status == "canceled":
        return Outcome(False, landing.done_url, "This payment was cancelled.", "info")
    reason = intent.last_error or "The payment has not been made yet."
    return Outcome(False, landing.pay_url, f"{reason} Nothing was charged.", "error")
