"""JSON API routes for briefs and proposals (registered on app.api.bp).

Input types are strict: amounts are JSON integers of minor units, booleans are JSON booleans,
dates are "YYYY-MM-DD" strings; anything else, and unknown fields, answer 422 with field errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from app.accounts.models import Role, User
from app.api import api_user, bp, created, json_body, optional_api_user, page_params
from app.briefs import queries, services
from app.briefs.models import Brief, Proposal
from app.contracts.models import Contract
from app.errors import ValidationFailed
from app.extensions import db
from app.money import MAX_INTEGER, NumberError, parse_int

Errors = dict[str, list[str]]
MISSING = object()
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- strict readers -------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    # A JSON integer that fits a BIGINT column (app.money bounds every typed number).
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER


def _as_text(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, str) else (None, "Must be a string.")


def _as_int(value: Any) -> tuple[Any, str | None]:
    return (value, None) if _is_int(value) else (None, "Must be a whole number (integer).")


def _as_bool(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, "Must be true or false.")


def _as_text_list(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value, None
    return None, "Must be a list of strings."


def _as_date(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str) and DATE_PATTERN.fullmatch(value):
        try:
            return date.fromisoformat(value), None
        except ValueError:
            pass
    return None, "Must be a date such as 2030-01-31, or null."


Reader = Callable[[Any], tuple[Any, str | None]]

BRIEF_FIELDS: dict[str, Reader] = {
    "title": _as_text,
    "description": _as_text,
    "category": _as_text,
    "skills": _as_text_list,
    "offer_kinds": _as_text_list,
    "budget_min_minor": _as_int,
    "budget_max_minor": _as_int,
    "currency": _as_text,
    "deadline": _as_date,
    "visibility": _as_text,
}
BRIEF_DEFAULTS: dict[str, Any] = {"skills": [], "deadline": None, "visibility": "public"}

PROPOSAL_FIELDS: dict[str, Reader] = {
    "cover_letter": _as_text,
    "price_minor": _as_int,
    "delivery_days": _as_int,
    "currency": _as_text,
}


def _read(
    body: dict[str, Any],
    fields: dict[str, Reader],
    *,
    start: dict[str, Any],
    optional: set[str],
) -> dict[str, Any]:
    """``start`` updated with the typed values from ``body``. Raises ValidationFailed."""
    errors: Errors = {key: ["Unknown field."] for key in body if key not in fields}
    values = dict(start)
    for name, reader in fields.items():
        raw = body.get(name, MISSING)
        if raw is MISSING:
            if name not in values and name not in optional:
                errors[name] = ["This field is required."]
            continue
        value, problem = reader(raw)
        if problem:
            errors[name] = [problem]
        else:
            values[name] = value
    if errors:
        raise ValidationFailed(errors)
    return values


def _query_int(name: str, errors: Errors) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_int(raw, low=0, high=MAX_INTEGER)
    except NumberError:
        errors[name] = ["Must be a whole number of minor units."]
        return None


# --- serializers ----------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def brief_json(brief: Brief) -> dict[str, Any]:
    return {
        "id": brief.id,
        "title": brief.title,
        "description": brief.description,
        "category": brief.category,
        "skills": list(brief.skills),
        "offer_kinds": list(brief.offer_kinds),
        "budget_min_minor": brief.budget_min_minor,
        "budget_max_minor": brief.budget_max_minor,
        "currency": brief.currency,
        "deadline": _iso(brief.deadline),
        "visibility": str(brief.visibility),
        "status": str(brief.status),
        "business": {"id": brief.business_id, "display_name": brief.business.display_name},
        "published_at": _iso(brief.published_at),
        "created_at": _iso(brief.created_at),
        "updated_at": _iso(brief.updated_at),
    }


def proposal_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.id,
        "brief_id": proposal.brief_id,
        "creator_id": proposal.creator_id,
        "cover_letter": proposal.cover_letter,
        "price_minor": proposal.price_minor,
        "currency": proposal.currency,
        "delivery_days": proposal.delivery_days,
        "status": str(proposal.status),
        "created_at": _iso(proposal.created_at),
        "updated_at": _iso(proposal.updated_at),
    }


def contract_json(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.id,
        "brief_id": contract.brief_id,
        "proposal_id": contract.proposal_id,
        "business_id": contract.business_id,
        "creator_id": contract.creator_id,
        "title": contract.title,
        "total_minor": contract.total_minor,
        "currency": contract.currency,
        "delivery_days": contract.delivery_days,
        "status": str(contract.status),
    }


def _list(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> Response:
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


# --- briefs ---------------------------------------------------------------------------------


@bp.get("/briefs")
def list_briefs() -> Response:
    page, per_page = page_params(default_size=current_app.config["CATALOG_PAGE_SIZE"])
    errors: Errors = {}
    filters = queries.BoardFilters(
        category=request.args.get("category") or None,
        kind=request.args.get("kind") or None,
        currency=request.args.get("currency") or None,
        budget_min_minor=_query_int("budget_min_minor", errors),
        budget_max_minor=_query_int("budget_max_minor", errors),
        q=request.args.get("q") or None,
    )
    if errors:
        raise ValidationFailed(errors)
    result = queries.board(db.session(), filters, page=page, per_page=per_page)
    return _list([brief_json(b) for b in result.items], page, per_page, result.total)


@bp.get("/briefs/<int:brief_id>")
def get_brief(brief_id: int) -> Response:
    brief = services.get_visible_brief(db.session(), brief_id, optional_api_user())
    return jsonify(brief_json(brief))


@bp.post("/briefs")
def create_brief() -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.BUSINESS)
    body = json_body()
    fields = {**BRIEF_FIELDS, "publish": _as_bool}
    values = _read(body, fields, start={}, optional={*BRIEF_DEFAULTS, "publish"})
    publish = bool(values.pop("publish", False))
    data = services.BriefInput(**{**BRIEF_DEFAULTS, **values})
    brief = services.create_brief(db.session(), user, data, publish=publish)
    return created(brief_json(brief), url_for("api.get_brief", brief_id=brief.id))


def _owned(brief_id: int) -> tuple[User, Brief]:
    """The caller's own brief: 404 when they cannot see it, 403 when it is someone else's."""
    user = api_user()
    session = db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    services.require_owner(session, brief, user)
    return user, brief


@bp.patch("/briefs/<int:brief_id>")
def update_brief(brief_id: int) -> Response:
    user, brief = _owned(brief_id)
    body = json_body()
    current = asdict(_input_of(brief))
    values = _read(body, BRIEF_FIELDS, start=current, optional=set())
    services.update_brief(db.session(), brief, user, services.BriefInput(**values))
    return jsonify(brief_json(brief))


def _input_of(brief: Brief) -> services.BriefInput:
    return services.BriefInput(
        title=brief.title,
        description=brief.description,
        category=brief.category,
        skills=list(brief.skills),
        offer_kinds=list(brief.offer_kinds),
        budget_min_minor=brief.budget_min_minor,
        budget_max_minor=brief.budget_max_minor,
        currency=brief.currency,
        deadline=brief.deadline,
        visibility=str(brief.visibility),
        # Not editable through the API yet; kept as they are.
        audience_regions=list(brief.audience_regions),
        audience_min_followers=brief.audience_min_followers,
        audience_max_followers=brief.audience_max_followers,
        audience_min_engagement_bp=brief.audience_min_engagement_bp,
    )


def _brief_action(brief_id: int, action: Callable[..., None]) -> Response:
    user = api_user()
    brief = services.get_visible_brief(db.session(), brief_id, user)
    action(db.session(), brief, user)
    return jsonify(brief_json(db.session().get(Brief, brief.id) or brief))


@bp.post("/briefs/<int:brief_id>/publish")
def publish_brief(brief_id: int) -> Response:
    return _brief_action(brief_id, services.publish_brief)


@bp.post("/briefs/<int:brief_id>/close")
def close_brief(brief_id: int) -> Response:
    return _brief_action(brief_id, services.close_brief)


@bp.post("/briefs/<int:brief_id>/cancel")
def cancel_brief(brief_id: int) -> Response:
    return _brief_action(brief_id, services.cancel_brief)


# --- proposals ------------------------------------------------------------------------------


@bp.get("/briefs/<int:brief_id>/proposals")
def list_brief_proposals(brief_id: int) -> Response:
    user, brief = _owned(brief_id)
    proposals = services.list_proposals(db.session(), brief, user)
    return _list([proposal_json(p) for p in proposals], 1, max(1, len(proposals)), len(proposals))


@bp.post("/briefs/<int:brief_id>/proposals")
def create_proposal(brief_id: int) -> tuple[Response, int, dict[str, str]]:
    user = api_user()
    session = db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    values = _read(json_body(), PROPOSAL_FIELDS, start={}, optional={"currency"})
    proposal = services.submit_proposal(session, brief, user, services.ProposalInput(**values))
    return created(proposal_json(proposal), url_for("api.list_my_proposals"))


@bp.get("/proposals")
def list_my_proposals() -> Response:
    user = api_user(Role.CREATOR)
    page, per_page = page_params()
    proposals = queries.proposals_of(db.session(), user)
    chunk = proposals[(page - 1) * per_page : page * per_page]
    return _list([proposal_json(p) for p in chunk], page, per_page, len(proposals))


def _proposal_action(proposal_id: int, action: Callable[..., Any]) -> Response:
    user = api_user()
    session = db.session()
    proposal = services.get_proposal_for(session, proposal_id, user)
    result = action(session, proposal, user)
    proposal = session.get(Proposal, proposal.id) or proposal
    if isinstance(result, Contract):
        return jsonify({"proposal": proposal_json(proposal), "contract": contract_json(result)})
    return jsonify(proposal_json(proposal))


@bp.post("/proposals/<int:proposal_id>/shortlist")
def shortlist_proposal(proposal_id: int) -> Response:
    return _proposal_action(proposal_id, services.shortlist_proposal)


@bp.post("/proposals/<int:proposal_id>/decline")
def decline_proposal(proposal_id: int) -> Response:
    return _proposal_action(proposal_id, services.decline_proposal)


@bp.post("/proposals/<int:proposal_id>/withdraw")
def withdraw_proposal(proposal_id: int) -> Response:
    return _proposal_action(proposal_id, services.withdraw_proposal)


@bp.post("/proposals/<int:proposal_id>/accept")
def accept_proposal(proposal_id: int) -> Response:
    return _proposal_action(proposal_id, services.accept_proposal)
