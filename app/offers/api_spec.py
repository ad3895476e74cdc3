"""OpenAPI 3.1 description of the offers endpoints (merged by ``app.api.openapi``).

Keep in step with ``app.offers.api`` and ``app.offers.api_input``: a fuzzer checks every
response against these schemas.
"""

from __future__ import annotations

from typing import Any

from app.api.openapi import problem_response
from app.api.openapi import query_param as _query
from app.api.openapi import ref as _ref
from app.db import MAX_ID
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES, DeliverableKind, OfferKind, PackageTier, Platform
from app.offers.validation import (
    DESCRIPTION_LENGTH,
    MAX_AUDIENCE,
    MAX_DELIVERABLES,
    MAX_ENGAGEMENT_BP,
    MAX_PACKAGES,
    MAX_TAGS,
    REVISIONS,
    TAG_LENGTH,
    TITLE_LENGTH,
)


def _values(enum: Any) -> list[str]:
    return [member.value for member in enum]


INT = {"type": "integer"}
MONEY = {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_MINOR}
DAYS = {"type": "integer", "minimum": 1, "maximum": 365}
STRINGS = {"type": "array", "items": {"type": "string"}}
NULLABLE_INT = {"type": ["integer", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time"}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def _object(properties: dict[str, Any], required: list[str], *, closed: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if closed:
        schema["additionalProperties"] = False
    return schema


# --- what clients send ----------------------------------------------------------------------

COMMON_INPUT = {
    "title": {"type": "string", "minLength": TITLE_LENGTH[0], "maxLength": TITLE_LENGTH[1]},
    "description": {
        "type": "string",
        "minLength": DESCRIPTION_LENGTH[0],
        "maxLength": DESCRIPTION_LENGTH[1],
    },
    "category": {"type": "string", "enum": list(CATEGORIES)},
    "tags": {
        "type": "array",
        "maxItems": MAX_TAGS,
        "items": {"type": "string", "maxLength": TAG_LENGTH},
    },
    "currency": {"type": "string", "enum": list(SUPPORTED_CURRENCIES), "default": "USD"},
}
PACKAGE_INPUT = _object(
    {
        "tier": {"type": "string", "enum": _values(PackageTier)},
        "price_minor": MONEY,
        "delivery_days": DAYS,
        "revisions": {"type": "integer", "minimum": REVISIONS[0], "maximum": REVISIONS[1]},
        "includes": {"type": "string", "maxLength": 1000},
    },
    ["tier", "price_minor", "delivery_days"],
    closed=True,
)
DELIVERABLE_INPUT = _object(
    {
        "kind": {"type": "string", "enum": _values(DeliverableKind)},
        "price_minor": MONEY,
        "delivery_days": DAYS,
        "description": {"type": "string", "maxLength": 1000},
    },
    ["kind", "price_minor"],
    closed=True,
)
KIND_INPUT: dict[OfferKind, dict[str, Any]] = {
    OfferKind.SERVICE: {
        "packages": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_PACKAGES,
            "items": _ref("PackageInput"),
            "description": "Prices must not decrease from basic to standard to premium.",
        }
    },
    OfferKind.STOCK_MEDIA: {
        "standard_license_minor": MONEY,
        "enhanced_license_minor": {**MONEY, "description": "At least the standard price."},
    },
    OfferKind.INFLUENCER: {
        "platform": {"type": "string", "enum": _values(Platform)},
        "handle": {"type": "string", "description": "With or without one leading @."},
        "audience_size": {"type": "integer", "minimum": 0, "maximum": MAX_AUDIENCE},
        "engagement_rate_bp": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_ENGAGEMENT_BP,
            "description": "Engagement rate in basis points: 345 = 3.45%.",
        },
        "audience_topics": STRINGS,
        "audience_regions": STRINGS,
        "deliverables": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_DELIVERABLES,
            "items": _ref("DeliverableInput"),
        },
    },
}
KIND_REQUIRED: dict[OfferKind, list[str]] = {
    OfferKind.SERVICE: ["category", "packages"],
    OfferKind.STOCK_MEDIA: ["standard_license_minor", "enhanced_license_minor"],
    OfferKind.INFLUENCER: [
        "platform",
        "handle",
        "audience_size",
        "engagement_rate_bp",
        "deliverables",
    ],
}
INPUT_NAMES = {
    OfferKind.SERVICE: "ServiceOfferCreate",
    OfferKind.STOCK_MEDIA: "StockMediaOfferCreate",
    OfferKind.INFLUENCER: "InfluencerOfferCreate",
}


def _create_schema(kind: OfferKind) -> dict[str, Any]:
    properties = {"kind": {"type": "string", "const": kind.value}, **COMMON_INPUT}
    properties.update(KIND_INPUT[kind])
    required = ["kind", "title", "description", *KIND_REQUIRED[kind]]
    return _object(properties, required, closed=True)


def _patch_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {
        "kind": {"type": "string", "enum": _values(OfferKind)},
        **COMMON_INPUT,
    }
    for fields in KIND_INPUT.values():
        properties.update(fields)
    schema = _object(properties, [], closed=True)
    schema["description"] = (
        "Any fields of the offer's own kind; lists (packages, deliverables, tags) are replaced "
        "whole. Fields of another kind, or a different kind, are refused with 422."
    )
    return schema


# --- what the API returns -------------------------------------------------------------------

COMMON_OUTPUT = {
    "id": INT,
    "status": {"type": "string", "enum": ["draft", "published", "paused", "removed"]},
    "title": {"type": "string"},
    "description": {"type": "string"},
    "category": {"type": "string"},
    "tags": STRINGS,
    "currency": {"type": "string"},
    "price_from_minor": NULLABLE_INT,
    "delivery_days_min": NULLABLE_INT,
    "creator": _object(
        {"id": INT, "display_name": {"type": "string"}}, ["id", "display_name"], closed=False
    ),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "published_at": NULLABLE_TIMESTAMP,
}
PACKAGE = _object(
    {
        "tier": {"type": "string", "enum": _values(PackageTier)},
        "price_minor": INT,
        "delivery_days": INT,
        "revisions": INT,
        "includes": {"type": "string"},
    },
    ["tier", "price_minor", "delivery_days", "revisions", "includes"],
    closed=False,
)
DELIVERABLE = _object(
    {
        "kind": {"type": "string", "enum": _values(DeliverableKind)},
        "price_minor": INT,
        "delivery_days": INT,
        "description": {"type": "string"},
    },
    ["kind", "price_minor", "delivery_days", "description"],
    closed=False,
)
CHANNEL = _object(
    {
        "platform": {"type": "string", "enum": _values(Platform)},
        "handle": {"type": "string"},
        "audience_size": INT,
        "engagement_rate_bp": INT,
        "audience_topics": STRINGS,
        "audience_regions": STRINGS,
    },
    [
        "platform",
        "handle",
        "audience_size",
        "engagement_rate_bp",
        "audience_topics",
        "audience_regions",
    ],
    closed=False,
)
KIND_OUTPUT: dict[OfferKind, dict[str, Any]] = {
    OfferKind.SERVICE: {"packages": {"type": "array", "items": _ref("Package")}},
    OfferKind.STOCK_MEDIA: {"standard_license_minor": INT, "enhanced_license_minor": INT},
    OfferKind.INFLUENCER: {
        "channel": _ref("InfluencerChannel"),
        "deliverables": {"type": "array", "items": _ref("Deliverable")},
    },
}
OUTPUT_NAMES = {
    OfferKind.SERVICE: "ServiceOffer",
    OfferKind.STOCK_MEDIA: "StockMediaOffer",
    OfferKind.INFLUENCER: "InfluencerOffer",
}


def _offer_schema(kind: OfferKind) -> dict[str, Any]:
    properties = {"kind": {"type": "string", "const": kind.value}, **COMMON_OUTPUT}
    properties.update(KIND_OUTPUT[kind])
    return _object(properties, list(properties), closed=False)


SCHEMAS: dict[str, Any] = {
    "PackageInput": PACKAGE_INPUT,
    "DeliverableInput": DELIVERABLE_INPUT,
    **{INPUT_NAMES[kind]: _create_schema(kind) for kind in OfferKind},
    "OfferCreate": {
        "oneOf": [_ref(INPUT_NAMES[kind]) for kind in OfferKind],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {
                kind.value: f"#/components/schemas/{INPUT_NAMES[kind]}" for kind in OfferKind
            },
        },
    },
    "OfferPatch": _patch_schema(),
    "Package": PACKAGE,
    "Deliverable": DELIVERABLE,
    "InfluencerChannel": CHANNEL,
    **{OUTPUT_NAMES[kind]: _offer_schema(kind) for kind in OfferKind},
    "Offer": {
        "oneOf": [_ref(OUTPUT_NAMES[kind]) for kind in OfferKind],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {
                kind.value: f"#/components/schemas/{OUTPUT_NAMES[kind]}" for kind in OfferKind
            },
        },
    },
    "OfferPage": _object(
        {
            "items": {"type": "array", "items": _ref("Offer")},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
        },
        ["items", "total", "page", "per_page", "pages"],
        closed=False,
    ),
}

# --- paths ----------------------------------------------------------------------------------


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


OFFER_ID = {
    "name": "offer_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
PUBLIC: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
UNAUTHORIZED = problem_response("Missing, invalid or revoked API token.")
NOT_FOUND = problem_response("No such offer, or it is not visible to you.")
BAD_BODY = problem_response("The body is not a JSON object.")
UNSUPPORTED = problem_response("The body is not application/json.")
INVALID = problem_response("Invalid fields; `errors` maps each field to its problems.")
JSON_BODY = {"required": True, "content": {"application/json": {"schema": _ref("OfferCreate")}}}

CATALOG_PARAMETERS = [
    _query("q", {"type": "string"}, "Words to find in the title, description or tags."),
    _query("kind", {"type": "string", "enum": _values(OfferKind)}, "Only offers of this kind."),
    _query("category", {"type": "string", "enum": list(CATEGORIES)}, "Only this category."),
    _query(
        "price_min_minor",
        {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT_MINOR},
        "Lowest starting price, in minor units.",
    ),
    _query(
        "price_max_minor",
        {"type": "integer", "minimum": 0, "maximum": MAX_AMOUNT_MINOR},
        "Highest starting price, in minor units.",
    ),
    _query("max_delivery_days", DAYS, "Deliverable within this many days (stock media always)."),
    _query(
        "sort",
        {"type": "string", "enum": ["newest", "price_asc", "price_desc"], "default": "newest"},
        "Order of the results.",
    ),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number."),
    _query(
        "per_page",
        {"type": "integer", "minimum": 1, "maximum": 100},
        "Offers per page (default: the catalog page size).",
    ),
]


def _status_action(verb: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"{verb}Offer",
            "summary": summary,
            "tags": ["offers"],
            "parameters": [OFFER_ID],
            "responses": {
                "200": _json("Offer", "The offer in its new status."),
                "401": UNAUTHORIZED,
                "403": problem_response("Not your offer."),
                "404": NOT_FOUND,
                "409": problem_response("Not allowed from the offer's current status."),
            },
        }
    }


PATHS: dict[str, Any] = {
    "/offers": {
        "get": {
            "operationId": "listOffers",
            "summary": "The public catalog: published offers, filtered, sorted and paginated.",
            "tags": ["offers"],
            "security": PUBLIC,
            "parameters": CATALOG_PARAMETERS,
            "responses": {
                "200": _json("OfferPage", "One page of offers."),
                "400": problem_response("Bad page or per_page."),
                "401": UNAUTHORIZED,
                "422": INVALID,
            },
        },
        "post": {
            "operationId": "createOffer",
            "summary": "Create a draft offer (creator accounts). Prices are integer minor units.",
            "tags": ["offers"],
            "requestBody": JSON_BODY,
            "responses": {
                "201": {
                    **_json("Offer", "The new draft offer."),
                    "headers": {
                        "Location": {"schema": {"type": "string"}, "description": "Its URL."}
                    },
                },
                "400": BAD_BODY,
                "401": UNAUTHORIZED,
                "403": problem_response("Only creator accounts can create offers."),
                "415": UNSUPPORTED,
                "422": INVALID,
            },
        },
    },
    "/offers/{offer_id}": {
        "get": {
            "operationId": "getOffer",
            "summary": "One offer: published ones for everyone, the others for their creator.",
            "tags": ["offers"],
            "security": PUBLIC,
            "parameters": [OFFER_ID],
            "responses": {
                "200": _json("Offer", "The offer."),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
            },
        },
        "patch": {
            "operationId": "updateOffer",
            "summary": "Change some fields of your offer; its status is kept.",
            "tags": ["offers"],
            "parameters": [OFFER_ID],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("OfferPatch")}},
            },
            "responses": {
                "200": _json("Offer", "The updated offer."),
                "400": BAD_BODY,
                "401": UNAUTHORIZED,
                "403": problem_response("Not your offer."),
                "404": NOT_FOUND,
                "409": problem_response("The offer was removed and can no longer change."),
                "415": UNSUPPORTED,
                "422": INVALID,
            },
        },
    },
    "/offers/{offer_id}/publish": _status_action(
        "publish", "Publish a draft or paused offer (it appears in the catalog)."
    ),
    "/offers/{offer_id}/pause": _status_action("pause", "Pause a published offer (hidden)."),
    "/offers/{offer_id}/remove": _status_action("remove", "Remove an offer for good."),
}
