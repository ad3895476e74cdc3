"""OpenAPI 3.1 description of the disputes and contract-messages endpoints.

Merged by ``app.api.openapi``; keep in step with ``app.disputes.api`` (a fuzzer checks every
response against these schemas).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api import MAX_PAGE
from app.api.openapi import id_param, problems, query_param, ref
from app.disputes.models import DisputeOrigin, DisputeState
from app.disputes.services import MAX_TEXT
from app.messaging.services import MAX_BODY

_TEXT = {
    400: "Malformed request (body not a JSON object, bad page parameters)",
    401: "Missing, invalid or revoked API token",
    403: "Not the party who may do this (e.g. the opener responding), or a suspended account",
    404: "No such dispute, milestone or contract, or the caller may not see it",
    409: "Conflict with the state (milestone not disputable, already disputed, not awaiting a "
    "response)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
_problems = partial(problems, _TEXT)

INT = {"type": "integer"}
STRING = {"type": "string"}
NULL_INT = {"type": ["integer", "null"]}
TIME = {"type": "string", "format": "date-time"}
NULL_TIME = {"type": ["string", "null"], "format": "date-time"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


def _input(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


def _text(max_length: int, description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        "pattern": r"\S",
        "description": description,
    }


def _ok(schema: dict[str, Any], status: str = "200", description: str = "OK") -> dict[str, Any]:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _op(summary: str, responses: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": [tag], "responses": responses, **extra}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


PATHS: dict[str, Any] = {
    "/disputes": {
        "get": _op(
            "Disputes on your contracts (as business or creator), newest first",
            {**_ok(ref("DisputePage")), **_problems(400, 401, 422)},
            "disputes",
            parameters=[
                query_param(
                    "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page."
                ),
                query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Size."),
            ],
        )
    },
    "/disputes/{dispute_id}": {
        "get": _op(
            "One dispute with its history (its parties and moderators only)",
            {**_ok(ref("Dispute")), **_problems(401, 404)},
            "disputes",
            parameters=[id_param("dispute_id")],
        )
    },
    "/milestones/{milestone_id}/disputes": {
        "post": _op(
            "Open a dispute on a funded, delivered or changes-requested milestone (either "
            "party). Freezes its release and payout; the other party has a response window.",
            {
                **_ok(ref("Dispute"), "201", "The dispute was opened"),
                **_problems(400, 401, 403, 404, 409, 415, 422),
            },
            "disputes",
            parameters=[id_param("milestone_id")],
            requestBody=_body("DisputeInput"),
        )
    },
    "/disputes/{dispute_id}/respond": {
        "post": _op(
            "Respond to a dispute (the other party); it then goes to the moderators",
            {**_ok(ref("Dispute")), **_problems(400, 401, 403, 404, 409, 415, 422)},
            "disputes",
            parameters=[id_param("dispute_id")],
            requestBody=_body("DisputeResponseInput"),
        )
    },
    "/contracts/{contract_id}/messages": {
        "get": _op(
            "The contract's messages, oldest first (its parties, or the moderator handling a "
            "dispute on it); marks them read",
            {**_ok(ref("MessageList")), **_problems(401, 404)},
            "messages",
            parameters=[id_param("contract_id")],
        ),
        "post": _op(
            "Send a message to the other party (files are attached on the web page)",
            {
                **_ok(ref("Message"), "201", "The message was sent"),
                **_problems(400, 401, 403, 404, 415, 422),
            },
            "messages",
            parameters=[id_param("contract_id")],
            requestBody=_body("MessageInput"),
        ),
    },
}

EVENT = _object(
    {
        "action": STRING,
        "from_state": STRING,
        "to_state": STRING,
        "actor_id": NULL_INT,
        "note": STRING,
        "created_at": TIME,
    }
)

SCHEMAS: dict[str, Any] = {
    "Dispute": _object(
        {
            "id": INT,
            "milestone_id": INT,
            "contract_id": INT,
            "origin": {"type": "string", "enum": [o.value for o in DisputeOrigin]},
            "state": {"type": "string", "enum": [s.value for s in DisputeState]},
            "opened_by_id": NULL_INT,
            "respondent_id": NULL_INT,
            "moderator_id": NULL_INT,
            "reason": STRING,
            "response": STRING,
            "currency": STRING,
            "amount_at_stake_minor": INT,
            "settlement_refund_minor": NULL_INT,
            "settlement_proposed_by_id": NULL_INT,
            "refund_minor": INT,
            "release_minor": INT,
            "resolution_note": STRING,
            "created_at": TIME,
            "response_due_at": NULL_TIME,
            "review_due_at": NULL_TIME,
            "resolved_at": NULL_TIME,
            "events": {"type": "array", "items": EVENT},
        }
    ),
    "DisputePage": _object(
        {
            "items": {"type": "array", "items": ref("Dispute")},
            "page": INT,
            "per_page": INT,
            "total": INT,
        }
    ),
    "DisputeInput": _input(
        {
            "reason": _text(MAX_TEXT, "What went wrong; not blank."),
            "evidence": {"type": "string", "maxLength": MAX_TEXT, "description": "Optional."},
        },
        ["reason"],
    ),
    "DisputeResponseInput": _input(
        {"response": _text(MAX_TEXT, "The other party's side; not blank.")}, ["response"]
    ),
    "Message": _object(
        {
            "id": INT,
            "thread_id": INT,
            "sender_id": INT,
            "body": STRING,
            "created_at": TIME,
            "attachments": {
                "type": "array",
                "items": _object({"id": INT, "name": STRING, "size_bytes": INT}),
            },
        }
    ),
    "MessageList": _object(
        {
            "items": {"type": "array", "items": ref("Message")},
            "unread": {"type": "integer", "description": "Your unread messages in all threads."},
        }
    ),
    "MessageInput": _input({"body": _text(MAX_BODY, "The message; not blank.")}, ["body"]),
}
