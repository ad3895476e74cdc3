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
from app.errors import DomainError, PermissionDenied, ValidationFailed
from app.extensions import csrf, db
from app.money import NumberError, parse_int
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


def created(payload: dict[str, Any], location: str) -> tuple[Response, int, dict[str, str]]:
    return jsonify(payload), 201, {"Location": location}


MAX_PAGE = 10_000  # deeper offsets overflow SQLite and help nobody; narrow the filters instead


def page_params(default_size: int = 20, max_size: int = 100) -> tuple[int, int]:
    raw_page = request.args.get("page", "1").strip()
    if raw_page.isascii() and raw_page.isdigit() and len(raw_page) > len(str(MAX_PAGE)):
        raise ValidationFailed({"page": [f"Use a page from 1 to {MAX_PAGE}."]})
    try:
        page = parse_int(raw_page)
        size = parse_int(request.args.get("per_page", str(default_size)))
    except NumberError as exc:
        raise DomainError("page and per_page must be whole numbers.") from exc
    if page < 1 or not 1 <= size <= max_size:
        raise DomainError(f"page must be ≥ 1 and per_page between 1 and {max_size}.")
    if page > MAX_PAGE:
        raise ValidationFailed({"page": [f"Use a page from 1 to {MAX_PAGE}."]})
    return page, size


@bp.get("/openapi.json")
def openapi() -> Response:
    from app.api.openapi import build_spec

    return jsonify(build_spec())


# Domain routes register themselves on ``bp``; imported last because they import from here.
from app.briefs import api as _briefs_api  # noqa: E402,F401
from app.campaigns import api as _campaigns_api  # noqa: E402,F401
from app.contests import api as _contests_api  # noqa: E402,F401
from app.disputes import api as _disputes_api  # noqa: E402,F401
from app.insights import api as _insights_api  # noqa: E402,F401
from app.matching import api as _matching_api  # noqa: E402,F401
from app.media import api as _media_api  # noqa: E402,F401
from app.moderation import api as _moderation_api  # noqa: E402,F401
from app.negotiation import api as _negotiation_api  # noqa: E402,F401
from app.offers import api as _offers_api  # noqa: E402,F401
from app.payments import api as _payments_api  # noqa: E402,F401
from app.reviews import api as _reviews_api  # noqa: E402,F401
