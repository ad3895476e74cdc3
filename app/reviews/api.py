"""JSON API for reviews and reputation (registered on the shared /api/v1 blueprint)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for

from app.accounts.models import User
from app.api import api_user, bp, created, json_body
from app.db import MAX_ID
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.reviews import services
from app.reviews.models import Reputation, Review, Side
from app.reviews.window import is_revealed

_FIELDS: dict[str, type] = {
    "rating": int,
    "text": str,
    "private_feedback": str,
    "would_work_again": bool,
}
_REQUIRED = {"rating", "text"}


def _review_input(body: dict[str, Any]) -> services.ReviewInput:
    errors: dict[str, list[str]] = {k: ["Unknown field."] for k in body if k not in _FIELDS}
    for name, kind in _FIELDS.items():
        if name not in body:
            if name in _REQUIRED:
                errors[name] = ["This field is required."]
            continue
        value = body[name]
        wrong_bool = kind is int and isinstance(value, bool)
        if wrong_bool or not isinstance(value, kind):
            errors[name] = [f"Must be {'a whole number' if kind is int else kind.__name__}."]
    if errors:
        raise ValidationFailed(errors)
    data = services.ReviewInput(**{k: body[k] for k in _FIELDS if k in body})
    services.validate(data)
    return data


def _review_json(review: Review, *, own: bool) -> dict[str, Any]:
    data = services.public_json(review)
    if own:
        data["private_feedback"] = review.private_feedback
        data["would_work_again"] = review.would_work_again
    return data


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


@bp.get("/contracts/<int:contract_id>/reviews")
def list_contract_reviews(contract_id: int) -> Response:
    user = api_user()
    session = db.session()
    contract = services.contract_for(session, contract_id, user)
    state = services.contract_reviews(session, contract, user)
    items = []
    if state.mine is not None:
        items.append(_review_json(state.mine, own=True))
    if state.theirs is not None and is_revealed(state.theirs):
        items.append(_review_json(state.theirs, own=False))
    return jsonify(
        {
            "contract_id": contract.id,
            "window_opened_at": _iso(state.window.opened_at),
            "window_closes_at": _iso(state.window.closes_at),
            "can_review": state.can_write,
            "other_review_pending": state.theirs is not None and not state.theirs_visible,
            "items": items,
        }
    )


@bp.post("/contracts/<int:contract_id>/reviews")
def create_contract_review(contract_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user()
    session = db.session()
    contract = services.contract_for(session, contract_id, user)
    data = _review_input(json_body())
    review = services.submit_review(session, contract, user, data)
    location = url_for("api.list_contract_reviews", contract_id=contract.id)
    return created(_review_json(review, own=True), location)


def _reputation_json(row: Reputation | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "score": row.score,
        "level": row.level,
        "review_count": row.review_count,
        "rating_average": row.rating_average,
        "components": row.components,
        "computed_at": row.computed_at.isoformat(),
    }


@bp.get("/users/<int:user_id>/reputation")
def get_user_reputation(user_id: int) -> Response:
    """Public: reputations are shown on profiles anyway."""
    session = db.session()
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None or not user.is_active or not (user.is_creator or user.is_business):
        raise NotFound("No such user.")
    return jsonify(
        {
            "user_id": user.id,
            "creator": _reputation_json(session.get(Reputation, (user.id, Side.CREATOR)))
            if user.is_creator
            else None,
            "business": _reputation_json(session.get(Reputation, (user.id, Side.BUSINESS)))
            if user.is_business
            else None,
        }
    )
