"""The OpenAPI 3.1 document for /api/v1, assembled from each domain's ``api_spec`` module.

Each domain keeps the description of its endpoints next to the endpoints themselves
(``app/<domain>/api_spec.py`` exporting ``PATHS`` and ``SCHEMAS``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from app.db import MAX_ID

DOMAIN_SPECS = (
    "app.offers.api_spec",
    "app.briefs.api_spec",
    "app.matching.api_spec",
    "app.payments.api_spec",
    "app.campaigns.api_spec",
    "app.contests.api_spec",
    "app.negotiation.api_spec",
    "app.insights.api_spec",
    "app.disputes.api_spec",
    "app.reviews.api_spec",
    "app.moderation.api_spec",
    "app.media.api_spec",
)

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def id_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    }


def query_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def problems(descriptions: Mapping[int, str], *statuses: int) -> dict[str, Any]:
    """Problem responses for ``statuses``, described by the domain's own wording."""
    return {
        str(status): {
            "description": descriptions[status],
            "content": {"application/problem+json": {"schema": ref("Problem")}},
        }
        for status in statuses
    }


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


def build_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    for module_name in DOMAIN_SPECS:
        module = importlib.import_module(module_name)
        paths.update(module.PATHS)
        schemas.update(module.SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "C2B Marketplace API",
            "version": "1.0.0",
            "description": "JSON in, JSON out. Errors are application/problem+json (RFC 9457). "
            "Authenticate with a personal API token from Settings → API tokens: "
            "`Authorization: Bearer c2b_...`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
