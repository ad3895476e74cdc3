"""Where users see matchmaking: recommended creators on a brief, briefs for a creator."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from app import fx
from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.briefs.models import Brief
from app.extensions import db
from app.matching import services
from app.matching.delegation import ranking_view
from app.money import NumberError, parse_int
from app.web import get_owned_or_404

bp = Blueprint("matching", __name__)


def _limit(default: int = 10) -> int:
    # A hand-edited URL with an odd limit ("²", 5,000 digits, -3) gets a 400, not a 500.
    try:
        return parse_int(request.args.get("limit", str(default)), low=1, high=services.MAX_LIMIT)
    except NumberError as exc:
        abort(400, description=f"limit must be a whole number from 1 to {services.MAX_LIMIT}.")
        raise AssertionError from exc


@bp.get("/briefs/<int:brief_id>/recommendations")
@ranking_view()
@role_required(Role.BUSINESS)
def recommendations(brief_id: int) -> str:
    session = db.session()
    brief = get_owned_or_404(session, Brief, brief_id, current().id, owner_attr="business_id")
    limit = _limit()
    results = (
        services.recommend_creators(session, brief, limit=limit)
        if current_app.config["MATCHING_ENABLED"]
        else []
    )
    if results:
        services.log_shown(session, brief, results, surface="page")
    return render_template(
        "matching/recommendations.html", brief=brief, results=results, fx_as_of=fx.AS_OF
    )


@bp.get("/my/briefs-for-you")
@ranking_view()
@role_required(Role.CREATOR)
def briefs_for_you() -> str:
    suggestions = (
        services.briefs_for_creator(db.session(), current(), limit=_limit(20))
        if current_app.config["MATCHING_ENABLED"]
        else []
    )
    return render_template("matching/briefs_for_you.html", suggestions=suggestions)
