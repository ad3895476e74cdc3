"""JSON API for disputes and contract messages (registered on app.api.bp).

Parties of other contracts get 404 for disputes and messages alike; moderators may read any
dispute. Each operation is declared once (``app.api.schema.operation``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from flask import current_app, url_for
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.api import api_user, bp
from app.api.schema import In, Int, Out, Paged, PageInfo, Text, operation
from app.contracts.models import Contract
from app.db import MAX_ID
from app.disputes import money, queries, services
from app.disputes.models import Dispute, DisputeOrigin, DisputeState
from app.disputes.services import MAX_TEXT
from app.errors import NotFound
from app.extensions import db
from app.messaging import services as messaging
from app.messaging.models import Message, MessageThread
from app.messaging.services import MAX_BODY
from app.money import MAX_AMOUNT_MINOR
from app.payments.api import party_milestone
from app.payments.gateway import gateway_for

NotBlank = Annotated[Text, Field(min_length=1, pattern=r"\S")]


class DisputeEvent(Out):
    action: str
    from_state: str | None
    to_state: str | None
    actor_id: int | None
    note: str
    created_at: datetime


class DisputeOut(Out):
    id: int
    milestone_id: int
    contract_id: int
    origin: Literal[tuple(o.value for o in DisputeOrigin)]
    state: Literal[tuple(s.value for s in DisputeState)]
    opened_by_id: int | None
    respondent_id: int | None
    moderator_id: int | None
    reason: str
    response: str
    currency: str
    amount_at_stake_minor: int
    settlement_refund_minor: int | None
    settlement_proposed_by_id: int | None
    refund_minor: int
    release_minor: int
    resolution_note: str
    created_at: datetime
    response_due_at: datetime | None
    review_due_at: datetime | None
    resolved_at: datetime | None
    events: list[DisputeEvent]


class DisputePage(PageInfo):
    items: list[DisputeOut]


class DisputeIn(In):
    reason: Annotated[NotBlank, Field(max_length=MAX_TEXT, description="What went wrong.")]
    evidence: Annotated[Text, Field(max_length=MAX_TEXT)] = ""


class DisputeResponseIn(In):
    response: Annotated[NotBlank, Field(max_length=MAX_TEXT, description="The other side.")]


class Attachment(Out):
    id: int
    name: str
    size_bytes: int


class MessageOut(Out):
    id: int
    thread_id: int
    sender_id: int
    body: str
    created_at: datetime
    attachments: list[Attachment]


class MessageList(Out):
    items: list[MessageOut]
    unread: int = Field(description="Your unread messages in all threads.")


class MessageIn(In):
    body: Annotated[NotBlank, Field(max_length=MAX_BODY)]


def dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut(
        id=dispute.id,
        milestone_id=dispute.milestone_id,
        contract_id=dispute.contract_id,
        origin=str(dispute.origin),
        state=str(dispute.state),
        opened_by_id=dispute.opened_by_id,
        respondent_id=dispute.respondent_id,
        moderator_id=dispute.moderator_id,
        reason=dispute.reason,
        response=dispute.response,
        currency=dispute.milestone.currency,
        amount_at_stake_minor=money.disputed_amount(dispute.milestone),
        settlement_refund_minor=dispute.settlement_refund_minor,
        settlement_proposed_by_id=dispute.settlement_proposed_by_id,
        refund_minor=dispute.refund_minor,
        release_minor=dispute.release_minor,
        resolution_note=dispute.resolution_note,
        created_at=dispute.created_at,
        response_due_at=dispute.response_due_at,
        review_due_at=dispute.review_due_at,
        resolved_at=dispute.resolved_at,
        events=[
            DisputeEvent(
                action=e.verb,
                from_state=e.from_state,
                to_state=e.to_state,
                actor_id=e.actor_id,
                note=e.note,
                created_at=e.created_at,
            )
            for e in dispute.events
        ],
    )


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.id,
        thread_id=message.thread_id,
        sender_id=message.sender_id,
        body=message.body,
        created_at=message.created_at,
        attachments=[
            Attachment(id=a.id, name=a.original_name, size_bytes=a.size_bytes)
            for a in message.attachments
        ],
    )


def visible_dispute(dispute_id: int, user: User) -> Dispute:
    dispute = db.session.get(Dispute, dispute_id) if dispute_id <= MAX_ID else None
    if dispute is None or not services.may_view(dispute, user):
        raise NotFound("No such dispute.")
    return dispute


PROBLEMS = {
    403: "Not the party who may do this (e.g. the opener responding), or a suspended account",
    404: "No such dispute, milestone or contract, or the caller may not see it",
    409: "Conflict with the state (milestone not disputable, already disputed, not awaiting "
    "a response)",
}


@bp.get("/disputes")
@operation(tag="disputes", query=Paged, ok=DisputePage)
def list_disputes(query: Paged) -> DisputePage:
    """Disputes on your contracts (as business or creator), newest first"""
    user = api_user()
    items, total = queries.disputes_of(db.session(), user.id, page=query.page, per_page=query.size)
    return DisputePage(
        items=[dispute_out(d) for d in items], page=query.page, per_page=query.size, total=total
    )


@bp.get("/disputes/<int:dispute_id>")
@operation(tag="disputes", ok=DisputeOut, problems=PROBLEMS)
def get_dispute(dispute_id: int) -> DisputeOut:
    """One dispute with its history (its parties and moderators only)"""
    return dispute_out(visible_dispute(dispute_id, api_user()))


@bp.post("/milestones/<int:milestone_id>/disputes")
@operation(
    tag="disputes",
    body=DisputeIn,
    created=DisputeOut,
    problems=PROBLEMS,
    links={
        "get_dispute": "dispute_id",
        "add_dispute_evidence": "dispute_id",
        "withdraw_dispute": "dispute_id",
    },
)
def open_dispute(milestone_id: int, body: DisputeIn) -> tuple[DisputeOut, int, dict[str, str]]:
    """Open a dispute on a funded, delivered or changes-requested milestone (either party).
    Freezes its release and payout; the other party has a response window."""
    user = api_user()
    milestone = party_milestone(milestone_id, user)
    dispute = services.open_dispute(
        db.session(), milestone.id, user=user, reason=body.reason, evidence=body.evidence
    )
    location = url_for("api.get_dispute", dispute_id=dispute.id)
    return dispute_out(dispute), 201, {"Location": location}


@bp.post("/disputes/<int:dispute_id>/respond")
@operation(tag="disputes", body=DisputeResponseIn, ok=DisputeOut, problems=PROBLEMS)
def respond_to_dispute(dispute_id: int, body: DisputeResponseIn) -> DisputeOut:
    """Respond to a dispute (the other party); it then goes to the moderators"""
    user = api_user()
    dispute = visible_dispute(dispute_id, user)
    services.respond(db.session(), dispute.id, user=user, response=body.response)
    return dispute_out(dispute)


class EvidenceIn(In):
    body: Annotated[NotBlank, Field(max_length=MAX_TEXT, description="A statement.")]


class SettlementIn(In):
    refund_minor: Annotated[
        Int,
        Field(
            ge=0,
            le=MAX_AMOUNT_MINOR,
            description="Back to the business; the rest goes to the creator.",
        ),
    ]


class DecisionIn(In):
    outcome: Literal[tuple(services.OUTCOMES)]
    note: Annotated[NotBlank, Field(max_length=MAX_TEXT, description="The reason, shown.")]
    refund_minor: Annotated[Int, Field(ge=0, le=MAX_AMOUNT_MINOR)] = Field(  # type: ignore[assignment]
        default=None, description="For a split: the part refunded to the business."
    )


def _act(
    dispute_id: int, act: Callable[[Session, int, User], object], role: Role | None = None
) -> DisputeOut:
    """Run ``act(session, dispute id, caller)`` on a dispute the caller can see; the dispute
    after it. ``role``: the role the caller must hold (moderators' actions)."""
    user = api_user(role)
    dispute = visible_dispute(dispute_id, user)
    act(db.session(), dispute.id, user)
    return dispute_out(dispute)


GATEWAY = {502: "The payment provider refused the request or could not be reached"}


@bp.post("/disputes/<int:dispute_id>/evidence")
@operation(tag="disputes", body=EvidenceIn, ok=DisputeOut, problems=PROBLEMS)
def add_dispute_evidence(dispute_id: int, body: EvidenceIn) -> DisputeOut:
    """Add a statement while the dispute is open (either party; files on the web page)"""
    return _act(dispute_id, lambda s, d, u: services.add_evidence(s, d, user=u, body=body.body))


@bp.post("/disputes/<int:dispute_id>/settlement")
@operation(tag="disputes", body=SettlementIn, ok=DisputeOut, problems=PROBLEMS)
def propose_dispute_settlement(dispute_id: int, body: SettlementIn) -> DisputeOut:
    """Propose how to share the money (either party); replaces an earlier proposal"""
    refund = body.refund_minor
    return _act(
        dispute_id, lambda s, d, u: services.propose_settlement(s, d, user=u, refund_minor=refund)
    )


@bp.post("/disputes/<int:dispute_id>/settlement/accept")
@operation(tag="disputes", body=SettlementIn, ok=DisputeOut, problems={**PROBLEMS, **GATEWAY})
def accept_dispute_settlement(dispute_id: int, body: SettlementIn) -> DisputeOut:
    """Accept the other party's proposal (send its refund_minor back, so nothing changed
    meanwhile): the money moves as agreed"""
    gateway, refund = gateway_for(current_app), body.refund_minor
    return _act(
        dispute_id,
        lambda s, d, u: services.accept_settlement(s, gateway, d, user=u, refund_minor=refund),
    )


@bp.post("/disputes/<int:dispute_id>/withdraw")
@operation(tag="disputes", ok=DisputeOut, problems=PROBLEMS)
def withdraw_dispute(dispute_id: int) -> DisputeOut:
    """Withdraw your dispute: the milestone goes back to where it was"""
    return _act(dispute_id, lambda s, d, u: services.withdraw(s, d, user=u))


@bp.post("/disputes/<int:dispute_id>/claim")
@operation(tag="disputes", ok=DisputeOut, role=Role.MODERATOR, problems=PROBLEMS)
def claim_dispute(dispute_id: int) -> DisputeOut:
    """Take a dispute under review (moderators)"""
    return _act(dispute_id, lambda s, d, u: services.claim(s, d, moderator=u), Role.MODERATOR)


@bp.post("/disputes/<int:dispute_id>/decision")
@operation(
    tag="disputes",
    body=DecisionIn,
    ok=DisputeOut,
    role=Role.MODERATOR,
    problems={**PROBLEMS, **GATEWAY},
)
def decide_dispute(dispute_id: int, body: DecisionIn) -> DisputeOut:
    """Decide a dispute under review (moderators): release, refund or split the money"""
    gateway = gateway_for(current_app)
    return _act(
        dispute_id,
        lambda s, d, u: services.resolve(
            s,
            gateway,
            d,
            moderator=u,
            outcome=body.outcome,
            note=body.note,
            refund_minor=body.refund_minor,
        ),
        Role.MODERATOR,
    )


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


THREAD = {404: "No such contract, or the caller may not read its messages"}


@bp.get("/contracts/<int:contract_id>/messages")
@operation(tag="messages", ok=MessageList, problems=THREAD)
def list_messages(contract_id: int) -> MessageList:
    """The contract's messages, oldest first (its parties, or the moderator handling a
    dispute on it); marks them read"""
    user = api_user()
    session = db.session()
    thread = _thread(contract_id, user)
    items = [message_out(m) for m in messaging.messages_of(session, thread)]
    messaging.mark_read(session, thread, user)
    return MessageList(items=items, unread=messaging.unread_total(session, user.id))


@bp.post("/contracts/<int:contract_id>/messages")
@operation(
    tag="messages",
    body=MessageIn,
    created=MessageOut,
    problems={**THREAD, 403: "A suspended account, or not allowed to write here"},
)
def post_message(contract_id: int, body: MessageIn) -> tuple[MessageOut, int, dict[str, str]]:
    """Send a message to the other party (files are attached on the web page)"""
    user = api_user()
    thread = _thread(contract_id, user)
    message = messaging.post(db.session(), thread, sender=user, body=body.body)
    location = url_for("api.list_messages", contract_id=contract_id)
    return message_out(message), 201, {"Location": location}
