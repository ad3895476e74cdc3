"""GET /api/v1/briefs/<id>/matches: ranked creators for a brief, for its owner only."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from app.accounts.models import Role
from app.api import api_user, bp
from app.briefs.models import Brief
from app.errors import DomainError, NotFound
from app.extensions import db
from app.matching import services


def _limit() -> int:
    raw = request.args.get("limit", "10")
    if not raw.isdigit() or not 1 <= int(raw) <= services.MAX_LIMIT:
        raise DomainError(
            f"limit must be a whole number from 1 to {services.MAX_LIMIT}.", field="limit"
        )
    return int(raw)


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
