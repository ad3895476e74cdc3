"""JSON API for negotiations (registered on app.api.bp), declared once with app.api.schema.

Only the two parties see a negotiation; anyone else gets 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask import url_for
from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import Days, In, Minor, Out, Text, operation
from app.extensions import db
from app.negotiation import services
from app.negotiation.services import MAX_TERMS
from app.offers.services import visible_offer


class TermsIn(In):
    price_minor: Minor
    delivery_days: Days
    terms: Annotated[Text, Field(max_length=MAX_TERMS)] = ""


class RoundOut(Out):
    number: int
    side: Literal["business", "creator"]
    price_minor: int
    currency: str
    delivery_days: int
    terms: str
    status: Literal["pending", "accepted", "declined", "countered", "expired"]
    expires_at: datetime
    expired: bool
    created_at: datetime


class NegotiationOut(Out):
    id: int
    offer_id: int
    business_id: int
    creator_id: int
    state: Literal["open", "accepted", "declined", "expired"]
    contract_id: int | None
    role: Literal["business", "creator"]
    rounds: list[RoundOut]


class NegotiationList(Out):
    items: list[NegotiationOut]


CONFLICT = {409: "The negotiation or round is not open, or the offer expired (offer_expired)"}
NOT_PARTY = {404: "No such negotiation, or the caller is not one of its parties"}


def _terms(body: TermsIn) -> services.TermsInput:
    return services.TermsInput(body.price_minor, body.delivery_days, body.terms)


@bp.post("/offers/<int:offer_id>/negotiations")
@operation(
    tag="negotiations",
    body=TermsIn,
    created=NegotiationOut,
    role=Role.BUSINESS,
    problems={403: "Wrong role or own offer", 404: "No such published offer", **CONFLICT},
    links={"get_negotiation": "negotiation_id", "counter_negotiation": "negotiation_id"},
)
def propose_price(offer_id: int, body: TermsIn) -> tuple[dict[str, object], int, dict[str, str]]:
    """Name your price: propose a price and terms on a published offer (business)"""
    user = api_user(Role.BUSINESS)
    session = db.session()
    negotiation = services.propose(
        session, visible_offer(session, offer_id, user), user, _terms(body)
    )
    location = url_for("api.get_negotiation", negotiation_id=negotiation.id)
    return services.as_dict(negotiation, user), 201, {"Location": location}


@bp.get("/negotiations")
@operation(tag="negotiations", ok=NegotiationList)
def list_negotiations() -> dict[str, object]:
    """Your negotiations, as business or creator"""
    user = api_user()
    return {"items": [services.as_dict(n, user) for n in services.mine(db.session(), user)]}


@bp.get("/negotiations/<int:negotiation_id>")
@operation(tag="negotiations", ok=NegotiationOut, problems=NOT_PARTY)
def get_negotiation(negotiation_id: int) -> dict[str, object]:
    """One negotiation (its two parties only)"""
    user = api_user()
    return services.as_dict(services.visible(db.session(), negotiation_id, user), user)


ANSWER = {403: "Answering one's own offer", **NOT_PARTY, **CONFLICT}


@bp.post("/negotiations/<int:negotiation_id>/accept")
@operation(tag="negotiations", ok=NegotiationOut, problems=ANSWER)
def accept_negotiation(negotiation_id: int) -> dict[str, object]:
    """Accept the other side's pending offer: it becomes a contract"""
    return _answer(negotiation_id, "accept")


@bp.post("/negotiations/<int:negotiation_id>/decline")
@operation(tag="negotiations", ok=NegotiationOut, problems=ANSWER)
def decline_negotiation(negotiation_id: int) -> dict[str, object]:
    """Decline the other side's pending offer: the negotiation ends"""
    return _answer(negotiation_id, "decline")


@bp.post("/negotiations/<int:negotiation_id>/counter")
@operation(tag="negotiations", ok=NegotiationOut, body=TermsIn, problems=ANSWER)
def counter_negotiation(negotiation_id: int, body: TermsIn) -> dict[str, object]:
    """Counter the pending offer of the other side with your own price and terms"""
    return _answer(negotiation_id, "counter", _terms(body))


def _answer(
    negotiation_id: int, action: str, terms: services.TermsInput | None = None
) -> dict[str, object]:
    user = api_user()
    services.visible(db.session(), negotiation_id, user)
    negotiation = services.respond(db.session(), negotiation_id, user, action, terms)
    return services.as_dict(negotiation, user)
