"""JSON API for disputes and contract messages (registered on app.api.bp).

Parties of other contracts get 404 for disputes and messages alike; moderators may read any
dispute. Bodies are strict (unknown fields, wrong types: 422). Described in ``api_spec``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, jsonify, url_for
from sqlalchemy import select

from app.accounts.models import User
from app.api import api_user, bp, created, json_body, page_params
from app.contracts.models import Contract
from app.db import MAX_ID
from app.disputes import money, queries, services
from app.disputes.models import Dispute
from app.errors import NotFound
from app.extensions import db
from app.messaging import services as messaging
from app.messaging.models import Message, MessageThread
from app.payments.api import _milestone, _text_fields


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dispute_json(dispute: Dispute) -> dict[str, Any]:
    milestone = dispute.milestone
    return {
        "id": dispute.id,
        "milestone_id": dispute.milestone_id,
        "contract_id": dispute.contract_id,
        "origin": str(dispute.origin),
        "state": str(dispute.state),
        "opened_by_id": dispute.opened_by_id,
        "respondent_id": dispute.respondent_id,
        "moderator_id": dispute.moderator_id,
        "reason": dispute.reason,
        "response": dispute.response,
        "currency": milestone.currency,
        "amount_at_stake_minor": money.disputed_amount(milestone),
        "settlement_refund_minor": dispute.settlement_refund_minor,
        "settlement_proposed_by_id": dispute.settlement_proposed_by_id,
        "refund_minor": dispute.refund_minor,
        "release_minor": dispute.release_minor,
        "resolution_note": dispute.resolution_note,
        "created_at": _iso(dispute.created_at),
        "response_due_at": _iso(dispute.response_due_at),
        "review_due_at": _iso(dispute.review_due_at),
        "resolved_at": _iso(dispute.resolved_at),
        "events": [
            {
                "action": event.verb,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "actor_id": event.actor_id,
                "note": event.note,
                "created_at": _iso(event.created_at),
            }
            for event in dispute.events
        ],
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "thread_id": message.thread_id,
        "sender_id": message.sender_id,
        "body": message.body,
        "created_at": _iso(message.created_at),
        "attachments": [
            {"id": a.id, "name": a.original_name, "size_bytes": a.size_bytes}
            for a in message.attachments
        ],
    }


def _dispute(dispute_id: int, user: User) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id) if dispute_id <= MAX_ID else None
    if dispute is None or not services.may_view(dispute, user):
        raise NotFound("No such dispute.")
    return dispute


@bp.get("/disputes")
def list_disputes() -> Response:
    user = api_user()
    page, per_page = page_params()
    items, total = queries.disputes_of(db.session(), user.id, page=page, per_page=per_page)
    return jsonify(
        items=[dispute_json(d) for d in items], page=page, per_page=per_page, total=total
    )


@bp.get("/disputes/<int:dispute_id>")
def get_dispute(dispute_id: int) -> Response:
    return jsonify(dispute_json(_dispute(dispute_id, api_user())))


@bp.post("/milestones/<int:milestone_id>/disputes")
def open_dispute(milestone_id: int) -> Any:
    user = api_user()
    values = _text_fields(json_body(), {"reason", "evidence"}, {"reason"})
    milestone = _milestone(milestone_id, user)
    dispute = services.open_dispute(
        db.session(),
        milestone.id,
        user=user,
        reason=values["reason"],
        evidence=values.get("evidence", ""),
    )
    return created(dispute_json(dispute), url_for("api.get_dispute", dispute_id=dispute.id))


@bp.post("/disputes/<int:dispute_id>/respond")
def respond_to_dispute(dispute_id: int) -> Response:
    user = api_user()
    values = _text_fields(json_body(), {"response"}, {"response"})
    dispute = _dispute(dispute_id, user)
    services.respond(db.session(), dispute.id, user=user, response=values["response"])
    return jsonify(dispute_json(dispute))


def _thread(contract_id: int, user: User) -> MessageThread:
    session = db.session()
    contract = session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    if contract is None:
        raise NotFound("No such contract.")
    if user.id in (contract.business_id, contract.creator_id):
        return messaging.thread_for_contract(session, contract)
    thread = session.scalars(
        select(MessageThread).where(MessageThread.contract_id == contract.id)
    ).first()
    if thread is None or not messaging.may_read(session, thread, user):
        raise NotFound("No such contract.")
    return thread


@bp.get("/contracts/<int:contract_id>/messages")
def list_messages(contract_id: int) -> Response:
    user = api_user()
    session = db.session()
    thread = _thread(contract_id, user)
    items = [message_json(m) for m in messaging.messages_of(session, thread)]
    messaging.mark_read(session, thread, user)
    return jsonify(items=items, unread=messaging.unread_total(session, user.id))


@bp.post("/contracts/<int:contract_id>/messages")
def post_message(contract_id: int) -> Any:
    user = api_user()
    values = _text_fields(json_body(), {"body"}, {"body"})
    thread = _thread(contract_id, user)
    message = messaging.post(db.session(), thread, sender=user, body=values["body"])
    location = url_for("api.list_messages", contract_id=contract_id)
    return created(message_json(message), location)
