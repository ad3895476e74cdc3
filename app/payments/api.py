"""JSON API for contracts, milestones and earnings (registered on app.api.bp).

Only the two parties of a contract see it or its milestones; anyone else gets 404. Role checks
come first (403), as on the other endpoints. Bodies are strict: unknown fields and wrong JSON
types answer 422 with field errors. Described in ``app.payments.api_spec``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import func, or_, select

from app.accounts.models import Role, User
from app.api import api_user, bp, json_body, page_params
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.forms import storable
from app.payments import checkout, services
from app.payments.models import Milestone

# --- serialisation --------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def contract_json(contract: Contract, user: User) -> dict[str, Any]:
    return {
        "id": contract.id,
        "title": contract.title,
        "scope": contract.scope,
        "status": str(contract.status),
        "role": "business" if user.id == contract.business_id else "creator",
        "business": {"id": contract.business_id, "display_name": contract.business.display_name},
        "creator": {"id": contract.creator_id, "display_name": contract.creator.display_name},
        "total_minor": contract.total_minor,
        "currency": contract.currency,
        "delivery_days": contract.delivery_days,
        "brief_id": contract.brief_id,
        "proposal_id": contract.proposal_id,
        "offer_id": contract.offer_id,
        "package_tier": contract.package_tier,
        "created_at": _iso(contract.created_at),
    }


def milestone_json(milestone: Milestone) -> dict[str, Any]:
    return {
        "id": milestone.id,
        "contract_id": milestone.contract_id,
        "position": milestone.position,
        "title": milestone.title,
        "amount_minor": milestone.amount_minor,
        "currency": milestone.currency,
        "due_date": _iso(milestone.due_date),
        "state": str(milestone.state),
        "revisions_used": milestone.revisions_used,
        "max_revisions": milestone.max_revisions,
        "funded_minor": milestone.funded_minor,
        "released_minor": milestone.released_minor,
        "refunded_minor": milestone.refunded_minor,
        "fee_minor": milestone.fee_minor,
        "delivery_message": milestone.delivery_message,
        "delivery_files": [name.partition("_")[2] or name for name in milestone.delivery_files],
        "funded_at": _iso(milestone.funded_at),
        "delivered_at": _iso(milestone.delivered_at),
        "review_due_at": _iso(milestone.review_due_at),
        "released_at": _iso(milestone.released_at),
        "clears_at": _iso(milestone.clears_at),
        "paid_out_at": _iso(milestone.paid_out_at),
    }


def _amounts(values: dict[str, int]) -> dict[str, int]:
    return dict(sorted(values.items()))


def earnings_json(report: services.Earnings) -> dict[str, Any]:
    return {
        "creator_id": report.creator_id,
        "pending": _amounts(report.pending),
        "paid": _amounts(report.paid),
        "in_escrow": _amounts(report.in_escrow),
        "clearing": [
            {
                "kind": item.subject_type,
                "subject_id": item.subject_id,
                "milestone_id": item.subject_id if item.subject_type == "milestone" else None,
                "title": item.title,
                "net_minor": item.net_minor,
                "currency": item.currency,
                "clears_at": _iso(item.clears_at),
                "waiting_because": item.blocked_reason or None,
            }
            for item in report.clearing
        ],
        "terms": report.terms.as_dict(),
        "payouts_ready": report.payouts_ready,
    }


# --- loading and input ----------------------------------------------------------------------


def _party(contract: Contract | None, user: User) -> Contract:
    if contract is None or user.id not in (contract.business_id, contract.creator_id):
        raise NotFound("No such contract.")
    return contract


def _contract(contract_id: int, user: User) -> Contract:
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    return _party(contract, user)


def _milestone(milestone_id: int, user: User) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id) if milestone_id <= MAX_ID else None
    if milestone is None or user.id not in (
        milestone.contract.business_id,
        milestone.contract.creator_id,
    ):
        raise NotFound("No such milestone.")
    return milestone


def _text_fields(body: dict[str, Any], fields: set[str], required: set[str]) -> dict[str, str]:
    """The string fields of ``body``; raises ValidationFailed for unknown/missing/non-strings."""
    errors = {key: ["Unknown field."] for key in body if key not in fields}
    for name in sorted(required - body.keys()):
        errors[name] = ["This field is required."]
    for name in fields & body.keys():
        if not isinstance(body[name], str):
            errors[name] = ["Must be a string."]
        elif not storable(body[name]):
            errors[name] = ["Contains characters that cannot be stored."]
    if errors:
        raise ValidationFailed(errors)
    return {name: body[name] for name in fields & body.keys()}


# --- contracts ------------------------------------------------------------------------------


@bp.get("/contracts")
def list_contracts() -> Response:
    user = api_user()
    page, per_page = page_params()
    mine = or_(Contract.business_id == user.id, Contract.creator_id == user.id)
    session = db.session()
    total = session.scalar(select(func.count()).select_from(Contract).where(mine)) or 0
    contracts = session.scalars(
        select(Contract)
        .where(mine)
        .order_by(Contract.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    items = [contract_json(contract, user) for contract in contracts]
    return jsonify(items=items, page=page, per_page=per_page, total=total)


@bp.get("/contracts/<int:contract_id>")
def get_contract(contract_id: int) -> Response:
    user = api_user()
    return jsonify(contract_json(_contract(contract_id, user), user))


@bp.get("/contracts/<int:contract_id>/milestones")
def list_milestones(contract_id: int) -> Response:
    contract = _contract(contract_id, api_user())
    milestones = services.milestones_of(db.session(), contract.id)
    return jsonify(items=[milestone_json(m) for m in milestones])


# --- milestones -----------------------------------------------------------------------------


@bp.post("/milestones/<int:milestone_id>/fund")
def fund_milestone(milestone_id: int) -> Response:
    """The PaymentIntent to confirm with Stripe.js (the same one on every call)."""
    user = api_user(Role.BUSINESS)
    body = json_body() if request.get_data(cache=True) else {}
    _text_fields(body, set(), set())  # no parameters: card details go to Stripe, never here
    milestone = _milestone(milestone_id, user)
    intent = services.fund(
        db.session(), services.gateway_for(current_app), milestone.id, business=user
    )
    return jsonify(
        milestone_id=intent.milestone_id,
        payment_intent_id=intent.payment_intent_id,
        client_secret=intent.client_secret,
        publishable_key=intent.publishable_key,
        amount_minor=intent.amount_minor,
        currency=intent.currency,
    )


@bp.post("/payments/<payment_intent_id>/sync")
def sync_payment(payment_intent_id: str) -> Response:
    """After confirming with Stripe.js: apply the PaymentIntent to its purchase now (what the
    webhook does too; idempotent), and say whether it is paid."""
    outcome = checkout.finish(
        db.session(),
        services.gateway_for(current_app),
        payment_intent_id,
        buyer=api_user(),
    )
    return jsonify(payment_intent_id=payment_intent_id, paid=outcome.paid, message=outcome.message)


@bp.post("/milestones/<int:milestone_id>/deliver")
def deliver_milestone(milestone_id: int) -> Response:
    user = api_user(Role.CREATOR)
    values = _text_fields(json_body(), {"message"}, {"message"})
    milestone = _milestone(milestone_id, user)
    delivered = services.deliver(
        db.session(), milestone.id, creator=user, message=values["message"]
    )
    return jsonify(milestone_json(delivered))


@bp.post("/milestones/<int:milestone_id>/accept")
def accept_milestone(milestone_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    milestone = _milestone(milestone_id, user)
    return jsonify(milestone_json(services.accept(db.session(), milestone.id, business=user)))


@bp.post("/milestones/<int:milestone_id>/request-changes")
def request_milestone_changes(milestone_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    values = _text_fields(json_body(), {"note"}, {"note"})
    milestone = _milestone(milestone_id, user)
    changed = services.request_changes(
        db.session(), milestone.id, business=user, note=values["note"]
    )
    return jsonify(milestone_json(changed))


# --- earnings -------------------------------------------------------------------------------


@bp.get("/earnings")
def get_earnings() -> Response:
    user = api_user(Role.CREATOR)
    return jsonify(earnings_json(services.earnings(db.session(), user.id)))
