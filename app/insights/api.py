"""JSON API for a creator's demand insights (registered on app.api.bp)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from app.accounts.models import Role
from app.api import api_user, bp
from app.extensions import db
from app.insights import services


def insights_json(data: services.Insights) -> dict[str, Any]:
    return {
        "weeks": [week.isoformat() for week in data.weeks],
        "briefs_by_category": data.briefs_by_category,
        "open_by_category": data.open_by_category,
        "top_skills": [{"skill": s, "briefs": n} for s, n in data.top_skills],
        "budget_ranges": [{"range": r, "briefs": n} for r, n in data.budget_ranges],
        "views_by_week": data.views_by_week,
        "offers": [
            {"offer_id": o.offer_id, "title": o.title, "views": o.views, "hires": o.hires}
            for o in data.offers
        ],
        "funnel": {"viewed": data.viewed, "shortlisted": data.shortlisted, "hired": data.hired},
    }


@bp.get("/insights")
def get_insights() -> Response:
    user = api_user(Role.CREATOR)
    return jsonify(insights_json(services.demand(db.session(), user)))
