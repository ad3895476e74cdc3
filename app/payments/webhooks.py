"""POST /stripe/webhook (platform events) and /stripe/connect-webhook (connected accounts'
events, signed with their own secret): verified on the raw body, livemode checked against our
keys, stored once per event id, acted on after re-fetching the object from Stripe (so
duplicates and out-of-order deliveries are harmless).

Answers: 400 bad signature or payload; 200 for handled, duplicate, ignored (unhandled type) and
permanently failed events (recorded with their outcome, so Stripe stops retrying); 503 when
Stripe could not be reached while handling (nothing stored, Stripe retries later).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError, problem
from app.extensions import csrf, db
from app.payments import payouts, purchases, refunds
from app.payments.gateway import GatewayError, PaymentGateway, gateway_for
from app.payments.models import Milestone, StripeEvent
from app.security.json_limits import check_json_text
from app.settlement import chargebacks

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhooks", __name__)
csrf.exempt(bp)


def _obj_id(event: dict[str, Any]) -> str | None:
    obj = (event.get("data") or {}).get("object") or {}
    return obj.get("id") if isinstance(obj, dict) else None


@bp.post("/stripe/webhook")
def receive() -> Response:
    """The platform's own events (payments, refunds, disputes)."""
    return _receive(current_app.config["STRIPE_WEBHOOK_SECRET"], connect=False)


@bp.post("/stripe/connect-webhook")
def receive_connect() -> Response:
    """Events on connected accounts (account.updated...), signed with the Connect secret."""
    return _receive(current_app.config["STRIPE_CONNECT_WEBHOOK_SECRET"], connect=True)


def _receive(secret: str, *, connect: bool) -> Response:
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        # Stripe's SDK parses the body before checking the signature: bound it first.
        check_json_text(payload)
    except DomainError as error:
        return problem(error.status, "Bad Request", error.message)
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret).to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        return problem(400, "Bad Request", "Invalid Stripe signature or payload.")
    if not event.get("id") or not event.get("type"):
        return problem(400, "Bad Request", "Not a Stripe event.")
    live_key = str(current_app.config["STRIPE_SECRET_KEY"]).startswith(("sk_live_", "rk_live_"))
    if bool(event.get("livemode")) != live_key:
        # A test event at a live deployment (or the reverse): a misconfigured endpoint.
        return problem(400, "Bad Request", "The event's livemode does not match our keys.")
    if bool(event.get("account")) != connect:
        # Each endpoint takes only its side's events (Stripe sends them that way).
        side = "Connect" if event.get("account") else "platform"
        return problem(400, "Bad Request", f"A {side} event sent to the wrong endpoint.")
    session = db.session()
    status, outcome = handle_event(session, gateway_for(current_app), event)
    if status >= 400:
        # Raised, not returned: the unit of work forgets the event, so Stripe's retry of it
        # is handled afresh instead of being taken for a duplicate.
        raise WebhookNotProcessed(outcome, status=status)
    return jsonify({"status": outcome})


class WebhookNotProcessed(DomainError):
    code = "webhook_not_processed"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def handle_event(
    session: Session, gateway: PaymentGateway, event: dict[str, Any]
) -> tuple[int, str]:
    """Store the event once and act on it; returns (HTTP status, outcome)."""
    record = StripeEvent(id=event["id"], type=event["type"], object_id=_obj_id(event))
    try:
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        return 200, "duplicate"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        record.outcome = "ignored"
        return 200, "ignored"
    try:
        with session.begin_nested():
            record.outcome = handler(session, gateway, event)[:200]
    except GatewayError as exc:
        if exc.retryable:
            return 503, f"Stripe unreachable: {exc.message}"
        return 400, f"Unknown or invalid object: {exc.message}"
    except DomainError as exc:
        log.warning("stripe event %s not applied: %s", event["id"], exc.message)
        record.outcome = f"error: {exc.message}"[:200]
    return 200, record.outcome


def _payment_intent(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    payment_intent_id = str(_obj_id(event))
    # Re-fetch before acting: an unknown or forged object is refused (GatewayError -> 400)
    # whichever purchase it would have belonged to.
    gateway.retrieve_payment_intent(payment_intent_id)
    return purchases.confirm(session, gateway, payment_intent_id)


def _milestone_of_charge(
    session: Session, gateway: PaymentGateway, charge_id: str
) -> tuple[Milestone | None, Any]:
    charge = gateway.retrieve_charge(charge_id)
    if not charge.payment_intent:
        return None, charge
    milestone = session.scalar(
        select(Milestone).where(Milestone.payment_intent_id == charge.payment_intent)
    )
    return milestone, charge


def _charge_refunded(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    milestone, charge = _milestone_of_charge(session, gateway, str(_obj_id(event)))
    if milestone is None:
        return "not ours"
    changed = refunds.record_external_refund(
        session, milestone.id, amount_refunded=charge.amount_refunded, refund_ref=charge.id
    )
    return f"milestone {milestone.id} {'updated' if changed else 'unchanged'}"


def _dispute(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    """Any charge.dispute.* event: the dispute is re-fetched and applied step by step by the
    one settlement path (app.settlement.chargebacks), whatever the order of the events."""
    return chargebacks.sync(session, gateway, str(_obj_id(event)))


# SetupIntent outcomes (a card saved for later, e.g. a demand-pool pledge): the domain that
# made the SetupIntent registers what to do (app.pools.wiring), so payments imports no domain.
SetupHandler = Callable[[Session, PaymentGateway, str], str]
_setup_handlers: dict[str, list[SetupHandler]] = {}


def register_setup_intent_handler(event_type: str, handler: SetupHandler) -> None:
    """Act on ``setup_intent.succeeded`` / ``setup_intent.setup_failed`` (idempotent)."""
    handlers = _setup_handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def _setup_intent(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    setup_intent_id = str(_obj_id(event))
    # Re-fetch first: an unknown or forged SetupIntent is refused (GatewayError -> 400).
    gateway.retrieve_setup_intent(setup_intent_id)
    outcomes = [
        h(session, gateway, setup_intent_id) for h in _setup_handlers.get(event["type"], [])
    ]
    mine = [o for o in outcomes if o != "not ours"]
    return "; ".join(mine) or "not ours"


def _account_updated(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    if not event.get("account"):
        return "the platform's own account: nothing to do"
    account = payouts.refresh_account(session, gateway, str(_obj_id(event)))
    if account is None:
        return "not ours"
    return f"account ready={account.ready}"


HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
    "charge.dispute.closed": _dispute,
    "account.updated": _account_updated,
    "setup_intent.succeeded": _setup_intent,
    "setup_intent.setup_failed": _setup_intent,
}
