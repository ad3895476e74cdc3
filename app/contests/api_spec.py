"""OpenAPI description of the contest endpoints (merged by app.api.openapi)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param, problems, ref
from app.contests.models import AwardState, ContestState
from app.api.openapi import body, ok, op
from app.offers.models import CATEGORIES

TEXT = {
    400: "Malformed request (body not a JSON object)",
    401: "Missing, invalid or revoked API token",
    402: "The card was declined; the contest stays a draft and can be paid again",
    403: "Wrong role for this endpoint, or entering one's own contest",
    404: "No such contest, or a draft of someone else",
    409: "Illegal in the contest's state (closed, not judging, already entered, not paid)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
    502: "The payment provider refused the request or could not be reached",
}
_problems = partial(problems, TEXT)
CONTEST = [id_param("contest_id")]
STR, INT = {"type": "string"}, {"type": "integer"}
TIME = {"type": "string", "format": "date-time"}


def _post(summary: str, body_name: str | None, *codes: int, status: str = "200") -> Any:
    extra: dict[str, Any] = {"parameters": CONTEST}
    if body_name:
        extra["requestBody"] = body(body_name)
    return {
        "post": op(
            summary, {**ok(ref("Contest"), status), **_problems(*codes)}, "contests", **extra
        )
    }


PATHS: dict[str, Any] = {
    "/contests": {
        "post": op(
            "Create a draft contest (business); pay its prize to open it",
            {**ok(ref("Contest"), "201"), **_problems(400, 401, 403, 415, 422)},
            "contests",
            requestBody=body("ContestInput"),
        ),
        "get": op(
            "Funded contests, and your own drafts",
            {
                **ok(
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": ref("Contest")}},
                    }
                ),
                **_problems(401),
            },
            "contests",
        ),
    },
    "/contests/{contest_id}": {
        "get": op(
            "One contest",
            {**ok(ref("Contest")), **_problems(401, 404)},
            "contests",
            parameters=CONTEST,
        )
    },
    "/contests/{contest_id}/fund": {
        "post": op(
            "Pay the prize into escrow (the contest's business). Returns the PaymentIntent to "
            "confirm with Stripe.js, or with `test_card` (local/test mode) the open contest",
            {
                **ok({"anyOf": [ref("Contest"), ref("ContestFunding")]}),
                **_problems(400, 401, 402, 403, 404, 409, 415, 422, 502),
            },
            "contests",
            parameters=CONTEST,
            requestBody={**body("ContestFundInput"), "required": False},
        )
    },
    "/contests/{contest_id}/confirm-funding": _post(
        "Open the contest once its PaymentIntent succeeded (after Stripe.js)",
        None,
        401,
        403,
        404,
        409,
        502,
    ),
    "/contests/{contest_id}/entries": _post(
        "Enter the contest before its deadline (creator; one entry each)",
        "EntryInput",
        400,
        401,
        403,
        404,
        409,
        415,
        422,
        status="201",
    ),
    "/contests/{contest_id}/finalists": _post(
        "Mark entries as finalists (the contest's business)",
        "FinalistsInput",
        400,
        401,
        403,
        404,
        409,
        415,
        422,
    ),
    "/contests/{contest_id}/winner": _post(
        "Pick the winner among the finalists after the deadline: the prize is released",
        "WinnerInput",
        400,
        401,
        403,
        404,
        409,
        415,
        422,
    ),
}

SCHEMAS: dict[str, Any] = {
    "ContestInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "description", "category", "prize_minor", "currency", "deadline"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 120},
            "description": {"type": "string", "minLength": 1, "maxLength": 5000},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "prize_minor": {"type": "integer", "minimum": 100, "maximum": 99999999},
            "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
            "deadline": TIME,
            "judging_days": {"type": "integer", "minimum": 1, "maximum": 14},
        },
    },
    "ContestFundInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"test_card": STR},
    },
    "EntryInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 5000},
            "file": {"type": "string", "minLength": 1, "maxLength": 255},
        },
    },
    "FinalistsInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["entry_ids"],
        "properties": {
            "entry_ids": {
                "type": "array",
                "minItems": 1,
                "maxItems": 200,
                "items": {"type": "integer", "minimum": 1},
            }
        },
    },
    "WinnerInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["entry_id"],
        "properties": {"entry_id": {"type": "integer", "minimum": 1}},
    },
    "ContestFunding": {
        "type": "object",
        "required": ["payment_intent_id", "amount_minor", "currency", "publishable_key"],
        "properties": {
            "payment_intent_id": STR,
            "client_secret": {"type": ["string", "null"]},
            "publishable_key": STR,
            "amount_minor": INT,
            "currency": STR,
        },
    },
    "Contest": {
        "type": "object",
        "required": [
            "id",
            "business_id",
            "title",
            "prize_minor",
            "currency",
            "deadline",
            "judging_ends_at",
            "state",
            "entry_count",
            "entries",
            "awards",
        ],
        "properties": {
            "id": INT,
            "business_id": INT,
            "title": STR,
            "description": STR,
            "category": STR,
            "prize_minor": INT,
            "currency": STR,
            "deadline": TIME,
            "judging_ends_at": TIME,
            "state": {"type": "string", "enum": [s.value for s in ContestState]},
            "entry_count": INT,
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "creator_id", "text", "is_finalist"],
                    "properties": {
                        "id": INT,
                        "creator_id": INT,
                        "text": STR,
                        "file": {"type": ["string", "null"]},
                        "is_finalist": {"type": "boolean"},
                        "created_at": TIME,
                    },
                },
            },
            "awards": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["creator_id", "amount_minor", "fee_minor", "state", "clears_at"],
                    "properties": {
                        "creator_id": INT,
                        "amount_minor": INT,
                        "fee_minor": INT,
                        "state": {"type": "string", "enum": [s.value for s in AwardState]},
                        "clears_at": TIME,
                    },
                },
            },
        },
    },
}
