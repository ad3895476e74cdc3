"""JSON API under /api/v1: token authentication, JSON parsing, problem responses.

Browsers use the HTML views; the API authenticates only with personal API tokens
(``Authorization: Bearer c2b_...``), so it needs no CSRF token and cookies never authorise it.
Domain packages add their routes in their own ``api.py`` modules, imported at the bottom.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from app.accounts.models import Role, User
from app.accounts.services import user_for_api_token
from app.errors import DomainError, PermissionDenied
from app.extensions import csrf, db
from app.security import ratelimit
from app.security.json_limits import MAX_JSON_BYTES, JsonTooLarge

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


@bp.before_request
def _authenticate() -> None:
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() == "bearer" and secret:
        # Counted before the lookup: guessing tokens is limited like using one.
        ratelimit.hit("api.token", ratelimit.digest(secret.strip()))
        g.api_user = user_for_api_token(db.session(), secret.strip())
        if g.api_user is None:
            raise Unauthorized("The API token is invalid or revoked.")
    else:
        ratelimit.hit("api.client")


def api_user(role: Role | None = None) -> User:
    """The token's user; raises Unauthorized without a token, PermissionDenied without ``role``."""
    user: User | None = g.get("api_user")
    if user is None:
        raise Unauthorized("Send an API token: Authorization: Bearer <token>.")
    if role is not None and not user.has_role(role):
        raise PermissionDenied(f"This endpoint is for {role.value} accounts.")
    return user


def optional_api_user() -> User | None:
    return g.get("api_user")


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises a 400/415 DomainError on anything else."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with Content-Type: application/json.")
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise JsonTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES // 1024} KiB.")
    # Size and depth are checked before parsing (app.security.json_limits, 413/400).
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("The body must be a JSON object.")
    return data


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


@bp.get("/openapi.json")
def openapi() -> Response:
    from app.api.openapi import build_spec

    return jsonify(build_spec())


@bp.get("/docs")
def docs() -> str:
    """The API reference, rendered from the generated document (no script, works offline)."""
    from flask import render_template

    from app.api.openapi import build_spec

    document = build_spec()
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            public = {} in op.get("security", [{"bearerAuth": []}])
            entry = {**op, "path": path, "method": method, "public": public}
            by_tag.setdefault(op["tags"][0], []).append(entry)
    return render_template(
        "api/docs.html",
        doc=document,
        tags=sorted(by_tag),
        by_tag=dict(sorted(by_tag.items())),
        schemas=sorted(document["components"]["schemas"].items()),
    )


# Domain routes register themselves on ``bp``; imported last because they import from here.
from app.accounts import api as _accounts_api  # noqa: E402,F401
from app.briefs import api as _briefs_api  # noqa: E402,F401
from app.campaigns import api as _campaigns_api  # noqa: E402,F401
from app.contests import api as _contests_api  # noqa: E402,F401
from app.demand import api as _demand_api  # noqa: E402,F401
from app.disputes import api as _disputes_api  # noqa: E402,F401
from app.insights import api as _insights_api  # noqa: E402,F401
from app.matching import api as _matching_api  # noqa: E402,F401
from app.media import api as _media_api  # noqa: E402,F401
from app.moderation import api as _moderation_api  # noqa: E402,F401
from app.negotiation import api as _negotiation_api  # noqa: E402,F401
from app.offers import api as _offers_api  # noqa: E402,F401
from app.payments import api as _payments_api  # noqa: E402,F401
from app.payments import api_actions as _payments_actions  # noqa: E402,F401
from app.pools import api as _pools_api  # noqa: E402,F401
from app.reviews import api as _reviews_api  # noqa: E402,F401
