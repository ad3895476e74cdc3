"""OpenAPI description of the negotiation endpoints (merged by app.api.openapi)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param, problems, ref

TEXT = {
    400: "Malformed request (body not a JSON object)",
    401: "Missing, invalid or revoked API token",
    403: "Wrong role, own offer, or answering one's own offer",
    404: "No such offer or negotiation, or the caller is not one of its parties",
    409: "The negotiation or round is not open, or the offer expired (code offer_expired)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
_problems = partial(problems, TEXT)


def ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def op(summary: str, responses: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": [tag], "responses": responses, **extra}


NEG = [id_param("negotiation_id")]
PATHS: dict[str, Any] = {
    "/offers/{offer_id}/negotiations": {
        "post": op(
            "Name your price: propose a price and terms on a published offer (business)",
            {**ok(ref("Negotiation"), "201"), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "negotiations",
            parameters=[id_param("offer_id")],
            requestBody=body("TermsInput"),
        )
    },
    "/negotiations": {
        "get": op(
            "Your negotiations, as business or creator",
            {
                **ok(
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": ref("Negotiation")}},
                    }
                ),
                **_problems(401),
            },
            "negotiations",
        )
    },
    "/negotiations/{negotiation_id}": {
        "get": op(
            "One negotiation (its two parties only)",
            {**ok(ref("Negotiation")), **_problems(401, 404)},
            "negotiations",
            parameters=NEG,
        )
    },
    **{
        f"/negotiations/{{negotiation_id}}/{action}": {
            "post": op(
                summary,
                {**ok(ref("Negotiation")), **_problems(401, 403, 404, 409)},
                "negotiations",
                parameters=NEG,
            )
        }
        for action, summary in (
            ("accept", "Accept the other side's pending offer: it becomes a contract"),
            ("decline", "Decline the other side's pending offer: the negotiation ends"),
        )
    },
    "/negotiations/{negotiation_id}/counter": {
        "post": op(
            "Counter the pending offer of the other side with your own price and terms",
            {**ok(ref("Negotiation")), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "negotiations",
            parameters=NEG,
            requestBody=body("TermsInput"),
        )
    },
}

INT, STR = {"type": "integer"}, {"type": "string"}
ROUND = {
    "type": "object",
    "required": [
        "number",
        "side",
        "price_minor",
        "currency",
        "delivery_days",
        "terms",
        "status",
        "expires_at",
        "expired",
        "created_at",
    ],
    "properties": {
        "number": INT,
        "side": {"type": "string", "enum": ["business", "creator"]},
        "price_minor": INT,
        "currency": STR,
        "delivery_days": INT,
        "terms": STR,
        "status": {
            "type": "string",
            "enum": ["pending", "accepted", "declined", "countered", "expired"],
        },
        "expires_at": {"type": "string", "format": "date-time"},
        "expired": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
    },
}
SCHEMAS: dict[str, Any] = {
    "TermsInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["price_minor", "delivery_days"],
        "properties": {
            "price_minor": {"type": "integer", "minimum": 1, "maximum": 99999999},
            "delivery_days": {"type": "integer", "minimum": 1, "maximum": 365},
            "terms": {"type": "string", "maxLength": 5000},
        },
    },
    "Negotiation": {
        "type": "object",
        "required": [
            "id",
            "offer_id",
            "business_id",
            "creator_id",
            "state",
            "contract_id",
            "role",
            "rounds",
        ],
        "properties": {
            "id": INT,
            "offer_id": INT,
            "business_id": INT,
            "creator_id": INT,
            "state": {"type": "string", "enum": ["open", "accepted", "declined", "expired"]},
            "contract_id": {"type": ["integer", "null"]},
            "role": {"type": "string", "enum": ["business", "creator"]},
            "rounds": {"type": "array", "items": ROUND},
        },
    },
}
