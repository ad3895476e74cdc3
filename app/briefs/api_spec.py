"""OpenAPI 3.1 description of the briefs and proposals endpoints (merged by app.api.openapi)."""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api.openapi import id_param as _id_param
from app.api.openapi import problems
from app.api.openapi import query_param as _query
from app.briefs.models import BriefStatus, ProposalStatus, Visibility
from app.briefs.queries import MAX_PAGE
from app.briefs.services import COVER_LETTER_LENGTH, DELIVERY_DAYS, DESCRIPTION_LENGTH, TITLE_LENGTH
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES, OfferKind

PROBLEM = {"$ref": "#/components/schemas/Problem"}
KINDS = [kind.value for kind in OfferKind]

_PROBLEM_TEXT = {
    400: "Malformed request (body not a JSON object, bad page parameters)",
    401: "Missing, invalid or revoked API token",
    403: "Not allowed (wrong role, or not the owner of a visible resource)",
    404: "No such resource, or not visible to the caller",
    409: "Conflict with the current state (illegal transition, duplicate proposal, ...)",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
}
_problems = partial(problems, _PROBLEM_TEXT)


def _ok(schema: str, description: str = "OK", status: int = 200) -> dict[str, Any]:
    return {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        }
    }


def _body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


PAGE_PARAMS = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page."),
]
BOARD_PARAMS = [
    _query("q", {"type": "string", "maxLength": 200}, "Words in title, description or skills."),
    _query("category", {"type": "string", "enum": list(CATEGORIES)}, "Category."),
    _query("kind", {"type": "string", "enum": KINDS}, "Briefs wanting this kind of offer."),
    _query("currency", {"type": "string", "enum": list(SUPPORTED_CURRENCIES)}, "Currency."),
    _query(
        "budget_min_minor",
        {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT_MINOR},
        "Briefs whose budget reaches at least this (minor units).",
    ),
    _query(
        "budget_max_minor",
        {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT_MINOR},
        "Briefs whose budget starts at most at this (minor units).",
    ),
]


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    params: list[dict[str, Any]] | None = None,
    body: str | None = None,
    tag: str = "briefs",
    public: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = _body(body)
    if public:
        # A token is optional here: with one, the caller also sees what it may see privately.
        operation["security"] = [{}, {"bearerAuth": []}]
    return operation


def _action(summary: str, schema: str, param: str, tag: str) -> dict[str, Any]:
    return {
        "post": _op(
            summary,
            {**_ok(schema), **_problems(401, 403, 404, 409, 422)},
            params=[_id_param(param)],
            tag=tag,
        )
    }


PATHS: dict[str, Any] = {
    "/briefs": {
        "get": _op(
            "Public open briefs, newest first, with filters",
            {**_ok("BriefPage"), **_problems(400, 401, 422)},
            params=[*BOARD_PARAMS, *PAGE_PARAMS],
            public=True,
        ),
        "post": _op(
            "Post a brief (business accounts); saved as a draft unless `publish` is true",
            {**_ok("Brief", "Created", 201), **_problems(400, 401, 403, 415, 422)},
            body="BriefCreate",
        ),
    },
    "/briefs/{brief_id}": {
        "get": _op(
            "One brief (drafts only for the owner; invite-only for owner and invited creators)",
            {**_ok("Brief"), **_problems(401, 404)},
            params=[_id_param("brief_id")],
            public=True,
        ),
        "patch": _op(
            "Change some fields of your own draft or open brief",
            {**_ok("Brief"), **_problems(400, 401, 403, 404, 409, 415, 422)},
            params=[_id_param("brief_id")],
            body="BriefUpdate",
        ),
    },
    "/briefs/{brief_id}/publish": _action("Publish a draft brief", "Brief", "brief_id", "briefs"),
    "/briefs/{brief_id}/close": _action(
        "Close an open or in-progress brief", "Brief", "brief_id", "briefs"
    ),
    "/briefs/{brief_id}/cancel": _action(
        "Cancel a draft or open brief", "Brief", "brief_id", "briefs"
    ),
    "/briefs/{brief_id}/proposals": {
        "get": _op(
            "Every proposal for your brief, oldest first (owner only)",
            {**_ok("ProposalPage"), **_problems(401, 403, 404)},
            params=[_id_param("brief_id")],
            tag="proposals",
        ),
        "post": _op(
            "Send a proposal for an open brief (creator accounts; one per brief)",
            {
                **_ok("Proposal", "Created", 201),
                **_problems(400, 401, 403, 404, 409, 415, 422),
            },
            params=[_id_param("brief_id")],
            body="ProposalCreate",
            tag="proposals",
        ),
    },
    "/proposals": {
        "get": _op(
            "Your own proposals as a creator, newest first",
            {**_ok("ProposalPage"), **_problems(400, 401, 403, 422)},
            params=PAGE_PARAMS,
            tag="proposals",
        )
    },
    "/proposals/{proposal_id}/shortlist": _action(
        "Shortlist a submitted proposal (brief owner)", "Proposal", "proposal_id", "proposals"
    ),
    "/proposals/{proposal_id}/decline": _action(
        "Decline a proposal (brief owner)", "Proposal", "proposal_id", "proposals"
    ),
    "/proposals/{proposal_id}/withdraw": _action(
        "Withdraw your own proposal (its creator)", "Proposal", "proposal_id", "proposals"
    ),
    "/proposals/{proposal_id}/accept": _action(
        "Accept a proposal: the brief goes in progress and a contract is created (brief owner)",
        "Acceptance",
        "proposal_id",
        "proposals",
    ),
}

_TIMESTAMP = {"type": "string", "format": "date-time"}
_NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
_AMOUNT = {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_MINOR}
_BRIEF_INPUT: dict[str, Any] = {
    "title": {"type": "string", "minLength": TITLE_LENGTH[0], "maxLength": TITLE_LENGTH[1]},
    "description": {
        "type": "string",
        "minLength": DESCRIPTION_LENGTH[0],
        "maxLength": DESCRIPTION_LENGTH[1],
    },
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "skills": {"type": "array", "items": {"type": "string", "maxLength": 60}, "maxItems": 20},
    "offer_kinds": {
        "type": "array",
        "items": {"type": "string", "enum": KINDS},
        "minItems": 1,
        "uniqueItems": True,
    },
    "budget_min_minor": {**_AMOUNT, "description": "Integer minor units (cents)."},
    "budget_max_minor": {**_AMOUNT, "description": "Integer minor units; ≥ budget_min_minor."},
    "currency": {"type": "string", "enum": list(SUPPORTED_CURRENCIES)},
    "deadline": {
        "type": ["string", "null"],
        "format": "date",
        "description": "YYYY-MM-DD, today or later, within two years.",
    },
    "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
}

SCHEMAS: dict[str, Any] = {
    "Brief": {
        "type": "object",
        "required": [
            "id",
            "title",
            "description",
            "category",
            "skills",
            "offer_kinds",
            "budget_min_minor",
            "budget_max_minor",
            "currency",
            "deadline",
            "visibility",
            "status",
            "business",
            "published_at",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "category": {"type": "string"},
            "skills": {"type": "array", "items": {"type": "string"}},
            "offer_kinds": {"type": "array", "items": {"type": "string", "enum": KINDS}},
            "budget_min_minor": {"type": "integer"},
            "budget_max_minor": {"type": "integer"},
            "currency": {"type": "string"},
            "deadline": {"type": ["string", "null"], "format": "date"},
            "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
            "status": {"type": "string", "enum": [s.value for s in BriefStatus]},
            "business": {
                "type": "object",
                "required": ["id", "display_name"],
                "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"}},
            },
            "published_at": _NULLABLE_TIMESTAMP,
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "BriefCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "title",
            "description",
            "category",
            "offer_kinds",
            "budget_min_minor",
            "budget_max_minor",
            "currency",
        ],
        "properties": {
            **_BRIEF_INPUT,
            "publish": {"type": "boolean", "description": "Open at once instead of a draft."},
        },
    },
    "BriefUpdate": {
        "type": "object",
        "additionalProperties": False,
        "description": "Any subset of the brief's fields; omitted fields keep their value.",
        "properties": _BRIEF_INPUT,
    },
    "BriefPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Brief"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "Proposal": {
        "type": "object",
        "required": [
            "id",
            "brief_id",
            "creator_id",
            "cover_letter",
            "price_minor",
            "currency",
            "delivery_days",
            "status",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "brief_id": {"type": "integer"},
            "creator_id": {"type": "integer"},
            "cover_letter": {"type": "string"},
            "price_minor": {"type": "integer"},
            "currency": {"type": "string"},
            "delivery_days": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in ProposalStatus]},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "ProposalCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cover_letter", "price_minor", "delivery_days"],
        "properties": {
            "cover_letter": {
                "type": "string",
                "minLength": COVER_LETTER_LENGTH[0],
                "maxLength": COVER_LETTER_LENGTH[1],
            },
            "price_minor": {**_AMOUNT, "description": "Integer minor units, brief's currency."},
            "delivery_days": {
                "type": "integer",
                "minimum": DELIVERY_DAYS[0],
                "maximum": DELIVERY_DAYS[1],
            },
            "currency": {
                "type": "string",
                "enum": list(SUPPORTED_CURRENCIES),
                "description": "Optional; must equal the brief's currency.",
            },
        },
    },
    "ProposalPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Proposal"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "AcceptedContract": {
        "type": "object",
        "required": [
            "id",
            "brief_id",
            "proposal_id",
            "business_id",
            "creator_id",
            "title",
            "total_minor",
            "currency",
            "delivery_days",
            "status",
        ],
        "properties": {
            "id": {"type": "integer"},
            "brief_id": {"type": ["integer", "null"]},
            "proposal_id": {"type": ["integer", "null"]},
            "business_id": {"type": "integer"},
            "creator_id": {"type": "integer"},
            "title": {"type": "string"},
            "total_minor": {"type": "integer"},
            "currency": {"type": "string"},
            "delivery_days": {"type": "integer"},
            "status": {"type": "string"},
        },
    },
    "Acceptance": {
        "type": "object",
        "required": ["proposal", "contract"],
        "properties": {
            "proposal": {"$ref": "#/components/schemas/Proposal"},
            "contract": {"$ref": "#/components/schemas/AcceptedContract"},
        },
    },
}
