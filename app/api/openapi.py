"""The OpenAPI 3.1 document for /api/v1, generated from the operations declared with
``app.api.schema.operation``; nothing in it is written by hand.

``python -m app.api.openapi > openapi.json`` writes it without a database (the typed client
is generated from that file; see README).
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from flask import Flask, current_app, has_app_context

from app.api.schema import COMMON, LINKS, OPTIONAL_BODIES, PREFIX, spec
from app.db import MAX_ID

PROBLEM_JSON = "application/problem+json"


def build_spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document, generated from the declarations: paths relative to the
    /api/v1 server, error answers as problem+json, every path id a bounded integer."""
    models = copy.deepcopy(spec.models)  # spectree lifts nested $defs out of them in place
    try:
        with _api_only_app().app_context():
            document = spec._generate_spec()  # not .spec: that is cached once per process
    finally:
        spec.models = models
    paths: dict[str, Any] = {}
    for path, item in sorted(document["paths"].items()):
        if not path.startswith(PREFIX):
            continue
        for op in item.values():
            _polish(op)
        paths[path.removeprefix(PREFIX) or "/"] = item
    document["paths"] = paths
    document["servers"] = [{"url": PREFIX}]
    # spectree adds its own 422 model to every operation with input; ours is Problem.
    for unused in ("ValidationError", "ValidationErrorElement"):
        document["components"]["schemas"].pop(unused, None)
    return document


def _api_only_app() -> Flask:
    """A bare app carrying only the API blueprint: the document needs the routes, not a
    database, so it can be built at import time (the fuzzer's operations) or by a command."""
    from app.api import bp

    if has_app_context() and "api" in current_app.blueprints:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    app = Flask("api_document")
    app.register_blueprint(bp)
    return app


def _polish(op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        if param["in"] == "path" and param["schema"].get("type") == "integer":
            param["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    if any(p["in"] == "path" for p in op.get("parameters", [])):
        op["responses"].setdefault(
            "404",
            {"description": COMMON[404], "content": {"application/json": {"schema": _PROBLEM}}},
        )
    for status, answer in op["responses"].items():
        if int(status) >= 400 and "content" in answer:
            answer["content"] = {PROBLEM_JSON: {"schema": _PROBLEM}}
    for target, parameter in LINKS.get(op.get("operationId", ""), {}).items():
        success = next(a for code, a in sorted(op["responses"].items()) if code.startswith("2"))
        success.setdefault("links", {})[target] = {
            "operationId": target,
            "parameters": {parameter: "$response.body#/id"},
        }
    if op.get("operationId") in OPTIONAL_BODIES:
        op["requestBody"]["required"] = False
    if not op.get("description"):
        op.pop("description", None)


_PROBLEM = {"$ref": "#/components/schemas/Problem"}


if __name__ == "__main__":
    json.dump(build_spec(), sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
