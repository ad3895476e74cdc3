"""POST /stripe/webhook: verified on the raw body, stored once per event id, acted on after
re-fetching the object from Stripe (so duplicates and out-of-order deliveries are harmless).

Answers: 400 bad signature or payload; 200 for handled, duplicate, ignored (unhandled type) and
permanently failed events (recorded with their outcome, so Stripe stops retrying); 503 when
Stripe could not be reached while handling (nothing stored, Stripe retries later).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import stripe
from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import DomainError, problem
from app.extensions import csrf, db
from app.payments import payouts, refunds
from app.payments.gateway import GatewayError, PaymentGateway, gateway_for
from app.payments.models import Milestone, StripeEvent
from app.payments.states import lock_milestone, transition

log = logging.getLogger(__name__)

bp = Blueprint("stripe_webhooks", __name__)
csrf.exempt(bp)


def _obj_id(event: dict[str, Any]) -> str | None:
    obj = (event.get("data") or {}).get("object") or {}
    return obj.get("id") if isinstance(obj, dict) else None


@bp.post("/stripe/webhook")
def receive() -> Response:
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"]
        ).to_dict()
    except (ValueError, stripe.SignatureVerificationError):
        return problem(400, "Bad Request", "Invalid Stripe signature or payload.")
    if not event.get("id") or not event.get("type"):
        return problem(400, "Bad Request", "Not a Stripe event.")
    session = db.session()
    status, outcome = handle_event(session, gateway_for(current_app), event)
    if status >= 400:
        return problem(status, "Webhook not processed", outcome)
    return jsonify({"status": outcome})


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


# Everything the platform charges a card for, tried in turn with a succeeded PaymentIntent:
# each returns a short outcome, or None when the PaymentIntent is not one of its own (looked
# up in our database first, so a foreign PaymentIntent costs no Stripe call). Imported lazily
# so payments does not depend on the domains that build on it.
PAYMENT_INTENT_CONFIRMERS = (
    "app.payments.funding:confirm_from_webhook",
    "app.media.licensing:confirm_from_webhook",
    "app.contests.services:confirm_from_webhook",
)


def _payment_intent(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    payment_intent_id = str(_obj_id(event))
    # Re-fetch before acting: an unknown or forged object is refused (GatewayError -> 400)
    # whichever domain it would have belonged to.
    gateway.retrieve_payment_intent(payment_intent_id)
    for path in PAYMENT_INTENT_CONFIRMERS:
        module, _, name = path.partition(":")
        confirm = getattr(importlib.import_module(module), name)
        outcome = confirm(session, gateway, payment_intent_id)
        if outcome is not None:
            return str(outcome)
    return "not ours"


def _milestone_of_charge(
    session: Session, gateway: PaymentGateway, charge_id: str
) -> tuple[Milestone | None, Any]:
    charge = gateway.retrieve_charge(charge_id)
    if not charge.payment_intent:
        return None, charge
    from sqlalchemy import select

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


def _dispute_created(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    dispute = event["data"]["object"]
    milestone, _charge = _milestone_of_charge(session, gateway, str(dispute.get("charge")))
    if milestone is None:
        return "not ours"
    locked = lock_milestone(session, milestone.id)
    state_before = str(locked.state)
    changed = transition(
        session,
        locked,
        "dispute",
        actor_id=None,
        idempotent=True,
        stripe_dispute=dispute["id"],
    )
    # Moderators see the chargeback in their queue (idempotent per Stripe dispute id).
    from app.disputes.services import open_from_chargeback

    open_from_chargeback(
        session, locked, stripe_dispute_id=str(dispute["id"]), state_before=state_before
    )
    return f"milestone {locked.id} {'frozen' if changed else 'already frozen'}"


def _account_updated(session: Session, gateway: PaymentGateway, event: dict[str, Any]) -> str:
    account = payouts.refresh_account(session, gateway, str(_obj_id(event)))
    if account is None:
        return "not ours"
    return f"account ready={account.ready}"


HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "account.updated": _account_updated,
}
