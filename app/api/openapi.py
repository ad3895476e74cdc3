"""The OpenAPI 3.1 document for /api/v1: generated from the operations declared with
``app.api.schema.operation`` (domains still being moved add their hand-written ``api_spec``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from app.db import MAX_ID

DOMAIN_SPECS = (
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


def ok(schema: dict[str, Any], status: str = "200") -> dict[str, Any]:
    return {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def op(summary: str, responses: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": [tag], "responses": responses, **extra}


def build_spec() -> dict[str, Any]:
    from app.api.schema import build_spec as generated

    document = generated()
    paths: dict[str, Any] = document["paths"]
    schemas: dict[str, Any] = document["components"]["schemas"]
    for module_name in DOMAIN_SPECS:
        module = importlib.import_module(module_name)
        paths.update(module.PATHS)
        schemas.update(module.SCHEMAS)
    return document
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
