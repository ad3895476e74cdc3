"""OpenAPI 3.1 description of the stock media endpoints (merged by app.api.openapi).

Keep in step with app.media.api: a fuzzer checks every response against these schemas.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from app.api import MAX_PAGE
from app.api.openapi import id_param, problems, query_param, ref
from app.media.models import LicenseStatus, LicenseType, MediaKind, MediaState
from app.payments.api_spec import STRIPE_JS_CONFIRM

_PROBLEM_TEXT = {
    400: "Malformed request (body not a JSON object, bad page parameters)",
    401: "Missing, invalid or revoked API token",
    402: "The card was declined; nothing was bought",
    403: "Not a business account, or your own media",
    404: "No such media (or not listed and not yours), or no such licence",
    409: "You already hold this licence, or the media has no price for it",
    415: "The body is not application/json",
    422: "Invalid input; `errors` maps each field to its messages",
    502: "The payment provider (Stripe) refused the request or could not be reached",
}
_problems = partial(problems, _PROBLEM_TEXT)

INT = {"type": "integer"}
STRING = {"type": "string"}
BOOL = {"type": "boolean"}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}
ASSET = [id_param("asset_id")]


def _ok(schema: dict[str, Any], status: str = "200", description: str = "OK") -> dict[str, Any]:
    return {
        status: {"description": description, "content": {"application/json": {"schema": schema}}}
    }


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties}


PATHS: dict[str, Any] = {
    "/media": {
        "get": {
            "summary": "Listed stock media, newest first; `q` matches every word",
            "tags": ["media"],
            "security": [{}, {"bearerAuth": []}],
            "parameters": [
                query_param("q", {"type": "string", "maxLength": 200}, "Words to search for."),
                query_param(
                    "kind",
                    {"type": "string", "enum": ["", *[k.value for k in MediaKind]]},
                    "image or video.",
                ),
                query_param(
                    "page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."
                ),
                query_param(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 100},
                    "Items per page.",
                ),
            ],
            "responses": {**_ok(ref("MediaPage")), **_problems(400, 401, 422)},
        }
    },
    "/media/{asset_id}": {
        "get": {
            "summary": "One listed asset (its creator and moderators also see unlisted ones)",
            "tags": ["media"],
            "security": [{}, {"bearerAuth": []}],
            "parameters": ASSET,
            "responses": {**_ok(ref("MediaAsset")), **_problems(401, 404)},
        }
    },
    "/media/{asset_id}/licenses": {
        "get": {
            "summary": "Your licences for the asset, with a download link valid for 10 minutes "
            "(the asset's creator: every licence sold, without links)",
            "tags": ["media"],
            "parameters": ASSET,
            "responses": {**_ok(ref("MediaLicenseList")), **_problems(401, 404)},
        },
        "post": {
            "summary": "Buy a licence (business accounts): it is pending until the PaymentIntent "
            "(`client_secret` with `publishable_key`, for Stripe.js) succeeds.",
            "description": STRIPE_JS_CONFIRM,
            "tags": ["media"],
            "parameters": ASSET,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("MediaLicenseInput")}},
            },
            "responses": {
                **_ok(ref("MediaLicensePurchase"), "201", "The licence"),
                **_problems(400, 401, 403, 404, 409, 415, 422, 502),
            },
        },
    },
}

_LICENSE_PROPERTIES: dict[str, Any] = {
    "id": INT,
    "asset_id": INT,
    "licensee_id": INT,
    "license_type": {"type": "string", "enum": [t.value for t in LicenseType]},
    "status": {"type": "string", "enum": [s.value for s in LicenseStatus]},
    "price_minor": INT,
    "currency": STRING,
    "terms": STRING,
    "created_at": {"type": "string", "format": "date-time"},
    "sold_at": NULLABLE_TIMESTAMP,
    "download_url": {
        **NULLABLE_STRING,
        "description": "Signed link to the original, for the licensee only; expires.",
    },
    "download_expires_in": {**NULLABLE_INT, "description": "Seconds the link stays valid."},
}

SCHEMAS: dict[str, Any] = {
    "MediaAsset": _object(
        {
            "id": INT,
            "kind": {"type": "string", "enum": [k.value for k in MediaKind]},
            "state": {"type": "string", "enum": [s.value for s in MediaState]},
            "listed": BOOL,
            "title": STRING,
            "description": STRING,
            "keywords": {"type": "array", "items": STRING},
            "category": STRING,
            "width": INT,
            "height": INT,
            "duration_ms": NULLABLE_INT,
            "content_type": STRING,
            "model_release": BOOL,
            "property_release": BOOL,
            "generative_ai": BOOL,
            "editorial": BOOL,
            "creator": _object({"id": INT, "display_name": STRING}),
            "offer_id": INT,
            "currency": STRING,
            "standard_license_minor": NULLABLE_INT,
            "enhanced_license_minor": NULLABLE_INT,
            "preview_url": {"type": "string", "description": "Watermarked preview (JPEG)."},
            "thumbnail_url": STRING,
            "published_at": NULLABLE_TIMESTAMP,
        }
    ),
    "MediaPage": _object(
        {
            "items": {"type": "array", "items": ref("MediaAsset")},
            "page": INT,
            "per_page": INT,
            "total": INT,
        }
    ),
    "MediaLicense": _object(_LICENSE_PROPERTIES),
    "MediaLicenseList": _object({"items": {"type": "array", "items": ref("MediaLicense")}}),
    "MediaLicensePurchase": _object(
        {
            **_LICENSE_PROPERTIES,
            "client_secret": {
                **NULLABLE_STRING,
                "description": "PaymentIntent client secret for Stripe.js (pending licences).",
            },
            "publishable_key": {**STRING, "description": "For Stripe(...) in the browser."},
        }
    ),
    "MediaLicenseInput": {
        "type": "object",
        "additionalProperties": False,
        "required": ["license_type"],
        "properties": {
            "license_type": {"type": "string", "enum": [t.value for t in LicenseType]},
        },
    },
}
