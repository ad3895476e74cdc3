"""JSON API for negotiations (registered on app.api.bp); described in api_spec.py.

Only the two parties see a negotiation; anyone else gets 404.
"""

from __future__ import annotations

from flask import Response, jsonify

from app.accounts.models import Role
from app.api import api_user, bp, created, json_body
from app.extensions import db
from app.negotiation import services
from app.negotiation.api_input import fields
from app.offers.services import visible_offer

TERMS = {"price_minor": ("int", True), "delivery_days": ("int", True), "terms": ("str", False)}


def _terms(values: dict[str, object]) -> services.TermsInput:
    return services.TermsInput(
        price_minor=int(values["price_minor"]),  # type: ignore[call-overload]
        delivery_days=int(values["delivery_days"]),  # type: ignore[call-overload]
        terms=str(values.get("terms", "")),
    )


@bp.post("/offers/<int:offer_id>/negotiations")
def propose_price(offer_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.BUSINESS)
    values = fields(json_body(), TERMS)
    session = db.session()
    offer = visible_offer(session, offer_id, user)
    negotiation = services.propose(session, offer, user, _terms(values))
    return created(services.as_dict(negotiation, user), f"/api/v1/negotiations/{negotiation.id}")


@bp.get("/negotiations")
def list_negotiations() -> Response:
    user = api_user()
    items = [services.as_dict(n, user) for n in services.mine(db.session(), user)]
    return jsonify(items=items)


@bp.get("/negotiations/<int:negotiation_id>")
def get_negotiation(negotiation_id: int) -> Response:
    user = api_user()
    return jsonify(services.as_dict(services.visible(db.session(), negotiation_id, user), user))


@bp.post("/negotiations/<int:negotiation_id>/accept")
def accept_negotiation(negotiation_id: int) -> Response:
    return _answer(negotiation_id, "accept")


@bp.post("/negotiations/<int:negotiation_id>/decline")
def decline_negotiation(negotiation_id: int) -> Response:
    return _answer(negotiation_id, "decline")


def _answer(negotiation_id: int, action: str) -> Response:
    user = api_user()
    services.visible(db.session(), negotiation_id, user)
    negotiation = services.respond(db.session(), negotiation_id, user, action)
    return jsonify(services.as_dict(negotiation, user))


@bp.post("/negotiations/<int:negotiation_id>/counter")
def counter_negotiation(negotiation_id: int) -> Response:
    user = api_user()
    services.visible(db.session(), negotiation_id, user)
    values = fields(json_body(), TERMS)
    negotiation = services.respond(db.session(), negotiation_id, user, "counter", _terms(values))
    return jsonify(services.as_dict(negotiation, user))
