"""OpenAPI 3.1 description of content reports and moderator actions."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param, problems, query_param, ref
from app.moderation.models import ReportReason, ReportStatus
from app.moderation.services import DETAILS_LENGTH, REASON_LENGTH
from app.moderation.subjects import HIDEABLE

_PROBLEM_TEXT = {
    400: "Malformed request (body not a JSON object)",
    401: "Missing, invalid or revoked API token",
    403: "Not a moderator (or acting on oneself / on staff without being an admin)",
    404: "No such subject, report or user (or not visible to the caller)",
    409: "Conflict with the current state (already reported, hidden, suspended, closed)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
_problems = partial(problems, _PROBLEM_TEXT)
_WRITE = (400, 401, 403, 404, 409, 415, 422)


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def _post(summary: str, body: str, result: str, params: list[Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": ["moderation"],
        "requestBody": _body(body),
        "responses": {"200": _json(result), **_problems(*_WRITE)},
    }
    if params:
        op["parameters"] = params
    return {"post": op}


PATHS: dict[str, Any] = {
    "/reports": {
        "post": {
            "summary": "Report an offer, brief, creator profile or message you can see",
            "tags": ["moderation"],
            "requestBody": _body("ReportCreate"),
            "responses": {
                "201": _json("Report", "Created"),
                **_problems(400, 401, 404, 409, 415, 422),
            },
        }
    },
    "/moderation/reports": {
        "get": {
            "summary": "The moderators' report queue, oldest first (moderators only)",
            "tags": ["moderation"],
            "parameters": [
                query_param(
                    "status",
                    {"type": "string", "enum": [*(s.value for s in ReportStatus), "all"]},
                    "Which reports (default: open).",
                )
            ],
            "responses": {"200": _json("ReportList"), **_problems(401, 403, 422)},
        }
    },
    "/moderation/hide": _post(
        "Hide an offer, brief or creator profile", "SubjectAction", "SubjectState"
    ),
    "/moderation/restore": _post("Restore hidden content", "SubjectAction", "SubjectState"),
    "/moderation/users/{user_id}/suspend": _post(
        "Suspend an account (no login, no payouts)", "Reason", "UserState", [id_param("user_id")]
    ),
    "/moderation/users/{user_id}/unsuspend": _post(
        "Reinstate a suspended account", "Reason", "UserState", [id_param("user_id")]
    ),
    "/moderation/reports/{report_id}/dismiss": _post(
        "Close a report without action", "Reason", "StaffReport", [id_param("report_id")]
    ),
}

_REASON = {"type": "string", "minLength": REASON_LENGTH[0], "maxLength": REASON_LENGTH[1]}
_REPORT_PROPS: dict[str, Any] = {
    "id": {"type": "integer"},
    "subject_type": {"type": "string"},
    "subject_id": {"type": "integer"},
    "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
    "details": {"type": "string"},
    "status": {"type": "string", "enum": [s.value for s in ReportStatus]},
    "created_at": {"type": "string", "format": "date-time"},
}

SCHEMAS: dict[str, Any] = {
    "ReportCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject_type", "subject_id", "reason"],
        "properties": {
            "subject_type": {"type": "string", "enum": [*HIDEABLE, "message"]},
            "subject_id": {"type": "integer", "minimum": 1},
            "reason": {"type": "string", "enum": [r.value for r in ReportReason]},
            "details": {"type": "string", "maxLength": DETAILS_LENGTH},
        },
    },
    "Report": {"type": "object", "required": list(_REPORT_PROPS), "properties": _REPORT_PROPS},
    "StaffReport": {
        "type": "object",
        "required": [*_REPORT_PROPS, "reporter_id", "resolution", "resolved_at"],
        "properties": {
            **_REPORT_PROPS,
            "reporter_id": {"type": "integer"},
            "resolution": {"type": "string"},
            "resolved_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "ReportList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": ref("StaffReport")}},
    },
    "SubjectAction": {
        "type": "object",
        "additionalProperties": False,
        "required": ["subject_type", "subject_id", "reason"],
        "properties": {
            "subject_type": {"type": "string", "enum": list(HIDEABLE)},
            "subject_id": {"type": "integer", "minimum": 1},
            "reason": _REASON,
        },
    },
    "Reason": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reason"],
        "properties": {"reason": _REASON},
    },
    "SubjectState": {
        "type": "object",
        "required": ["subject_type", "subject_id", "hidden", "hidden_at"],
        "properties": {
            "subject_type": {"type": "string", "enum": list(HIDEABLE)},
            "subject_id": {"type": "integer"},
            "hidden": {"type": "boolean"},
            "hidden_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "UserState": {
        "type": "object",
        "required": ["user_id", "suspended", "suspended_at"],
        "properties": {
            "user_id": {"type": "integer"},
            "suspended": {"type": "boolean"},
            "suspended_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}
