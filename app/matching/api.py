"""GET /api/v1/briefs/<id>/matches: ranked creators for a brief, for its owner only;
POST /api/v1/brief-assistant: suggestions for a brief being written."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from app.accounts.models import Role
from app.api import api_user, bp, json_body
from app.briefs.models import Brief
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.matching import assistant, services
from app.money import NumberError, parse_int


def _limit() -> int:
    try:
        return parse_int(request.args.get("limit", "10"), low=1, high=services.MAX_LIMIT)
    except NumberError as exc:
        raise DomainError(
            f"limit must be a whole number from 1 to {services.MAX_LIMIT}.", field="limit"
        ) from exc


@bp.get("/briefs/<int:brief_id>/matches")
def brief_matches(brief_id: int) -> Response:
    user = api_user(Role.BUSINESS)
    limit = _limit()
    session = db.session()
    brief = session.get(Brief, brief_id)
    if brief is None or brief.business_id != user.id:
        raise NotFound("No such brief.")
    if not current_app.config["MATCHING_ENABLED"]:
        raise services.MatchingUnavailable("Matching is switched off on this server.")
    results = services.recommend_creators(session, brief, limit=limit)
    services.log_shown(session, brief, results, surface="api")
    return jsonify(
        {
            "brief_id": brief.id,
            "matches": [
                {
                    "rank": rank,
                    "creator": {"id": r.creator.id, "display_name": r.creator.display_name},
                    "score": round(r.score, 4),
                    "relevance": round(r.relevance, 4),
                    "components": {k: round(v, 4) for k, v in r.components.items()},
                    "offer": {
                        "id": r.offer.id,
                        "title": r.offer.title,
                        "kind": r.offer.kind.value,
                        "price_from_minor": r.offer.price_from_minor,
                        "currency": r.offer.currency,
                        "delivery_days_min": r.offer.delivery_days_min,
                    },
                    "matched_terms": r.matched_terms,
                    "matched_skills": r.matched_skills,
                    "reasons": r.reasons,
                    "explored": r.explored,
                    "invited": r.invited,
                }
                for rank, r in enumerate(results, start=1)
            ],
        }
    )


def _strings(body: dict[str, Any], name: str, errors: dict[str, list[str]]) -> tuple[str, ...]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = ["Send a list of strings."]
        return ()
    return tuple(v.strip() for v in value if v.strip())


def draft_from_json(body: dict[str, Any]) -> assistant.Draft:
    """The draft brief of an assistant request; raises ValidationFailed on wrong types."""
    errors: dict[str, list[str]] = {}
    text = {}
    for name in ("title", "description", "category", "currency"):
        value = body.get(name, "USD" if name == "currency" else "")
        if not isinstance(value, str):
            errors[name] = ["Send a string."]
            value = ""
        text[name] = value.strip()
    skills, kinds = _strings(body, "skills", errors), _strings(body, "offer_kinds", errors)
    if errors:
        raise ValidationFailed(errors)
    draft = assistant.Draft(
        text["title"],
        text["description"],
        skills,
        text["category"],
        text["currency"].upper(),
        kinds,
    )
    return assistant.check_draft(draft)


def _range(r: assistant.Range | None, money: str | None) -> dict[str, Any] | None:
    if r is None:
        return None
    suffix = "_minor" if money else ""
    out: dict[str, Any] = {"currency": money} if money else {}
    out |= {f"low{suffix}": r.low, f"typical{suffix}": r.typical, f"high{suffix}": r.high}
    return out | {"data_points": r.data_points, "source": r.source, "why": r.why}


@bp.post("/brief-assistant")
def brief_assistant() -> Response:
    user = api_user(Role.BUSINESS)
    draft = draft_from_json(json_body())
    if not current_app.config["MATCHING_ENABLED"]:
        raise services.MatchingUnavailable("Matching is switched off on this server.")
    help_ = assistant.assist(db.session(), draft, user)
    return jsonify(
        {
            "skills": [{"value": s.value, "why": s.why} for s in help_.skills],
            "category": help_.category
            and {"value": help_.category.value, "why": help_.category.why},
            "budget": _range(help_.budget, draft.currency),
            "delivery_days": _range(help_.delivery_days, None),
            "matching_creators": {"count": help_.matching_creators, "why": help_.matching_why},
            "similar_offers": help_.similar_offers,
            "notes": help_.notes,
        }
    )
