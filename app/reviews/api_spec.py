"""OpenAPI 3.1 description of the reviews and reputation endpoints."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param, problems, ref
from app.reviews.formula import LEVELS, NEW, WEIGHTS
from app.reviews.services import PRIVATE_LENGTH, TEXT_LENGTH

_PROBLEM_TEXT = {
    400: "Malformed request (body not a JSON object)",
    401: "Missing, invalid or revoked API token",
    404: "No such contract or user, or not one of the caller's contracts",
    409: "Already reviewed, or the review window is not open",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
_problems = partial(problems, _PROBLEM_TEXT)


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


PATHS: dict[str, Any] = {
    "/contracts/{contract_id}/reviews": {
        "get": {
            "summary": "Reviews of one of your contracts: yours, and theirs once revealed",
            "tags": ["reviews"],
            "parameters": [id_param("contract_id")],
            "responses": {"200": _json("ContractReviews"), **_problems(401, 404)},
        },
        "post": {
            "summary": "Review the other party of your contract (once, while the window is open)",
            "tags": ["reviews"],
            "parameters": [id_param("contract_id")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ReviewCreate")}},
            },
            "responses": {
                "201": _json("OwnReview", "Created"),
                **_problems(400, 401, 404, 409, 415, 422),
            },
        },
    },
    "/users/{user_id}/reputation": {
        "get": {
            "summary": "A user's reputation as a creator and as a business (public)",
            "tags": ["reviews"],
            "parameters": [id_param("user_id")],
            "security": [{}, {"bearerAuth": []}],
            "responses": {"200": _json("UserReputation"), **_problems(401, 404)},
        }
    },
}

_TIMESTAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
_REVIEW_PROPS: dict[str, Any] = {
    "id": {"type": "integer"},
    "contract_id": {"type": "integer"},
    "reviewer_id": {"type": "integer"},
    "reviewee_id": {"type": "integer"},
    "reviewee_side": {"type": "string", "enum": ["creator", "business"]},
    "rating": {"type": "integer", "minimum": 1, "maximum": 5},
    "text": {"type": "string"},
    "submitted_at": _TIMESTAMP,
}
_REPUTATION: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["score", "level", "review_count", "rating_average", "components", "computed_at"],
    "properties": {
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "level": {"type": "string", "enum": [level.name for level in (*LEVELS, NEW)]},
        "review_count": {"type": "integer", "minimum": 0},
        "rating_average": {"type": ["number", "null"], "minimum": 1, "maximum": 5},
        "components": {
            "type": "object",
            "properties": {name: {"type": "number"} for name in WEIGHTS},
        },
        "computed_at": _TIMESTAMP,
    },
}

SCHEMAS: dict[str, Any] = {
    "ReviewCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["rating", "text"],
        "properties": {
            "rating": {"type": "integer", "minimum": 1, "maximum": 5},
            "text": {"type": "string", "minLength": TEXT_LENGTH[0], "maxLength": TEXT_LENGTH[1]},
            "private_feedback": {"type": "string", "maxLength": PRIVATE_LENGTH},
            "would_work_again": {"type": "boolean"},
        },
    },
    "Review": {
        "type": "object",
        "required": list(_REVIEW_PROPS),
        "properties": _REVIEW_PROPS,
    },
    "OwnReview": {
        "type": "object",
        "required": [*_REVIEW_PROPS, "private_feedback", "would_work_again"],
        "properties": {
            **_REVIEW_PROPS,
            "private_feedback": {"type": "string"},
            "would_work_again": {"type": "boolean"},
        },
    },
    "ContractReviews": {
        "type": "object",
        "required": [
            "contract_id",
            "window_opened_at",
            "window_closes_at",
            "can_review",
            "other_review_pending",
            "items",
        ],
        "properties": {
            "contract_id": {"type": "integer"},
            "window_opened_at": _NULLABLE_TIMESTAMP,
            "window_closes_at": _NULLABLE_TIMESTAMP,
            "can_review": {"type": "boolean"},
            "other_review_pending": {"type": "boolean"},
            "items": {"type": "array", "items": ref("Review")},
        },
    },
    "UserReputation": {
        "type": "object",
        "required": ["user_id", "creator", "business"],
        "properties": {
            "user_id": {"type": "integer"},
            "creator": _REPUTATION,
            "business": _REPUTATION,
        },
    },
}
