"""The creator's demand insights page, and the hook that counts offer detail views."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.demand import clusters
from app.extensions import db
from app.insights import charts, services
from app.offers.models import Offer

bp = Blueprint("insights", __name__)

# The offer pages whose successful GETs count as a view (HTML and API).
VIEW_ENDPOINTS = frozenset({"offers.detail", "api.get_offer"})


@bp.after_app_request
def count_offer_view(response: Response) -> Response:
    """Runs before the unit of work commits (after_request hooks run in reverse order), so
    the view is committed with the request. Never breaks the page it counts."""
    if request.method != "GET" or response.status_code != 200:
        return response
    if request.endpoint not in VIEW_ENDPOINTS or not request.view_args:
        return response
    if services.is_bot(request.headers.get("User-Agent")):
        return response  # before loading anything: a crawler's page view costs no query
    session = db.session()
    offer = session.get(Offer, request.view_args.get("offer_id"))
    if offer is None:
        return response
    viewer = g.get("api_user") if request.endpoint.startswith("api.") else None
    if viewer is None and current_user.is_authenticated:
        viewer = current()
    view = services.record_view(session, offer, viewer, request.headers.get("User-Agent"))
    if view is not None and session.get_bind().dialect.name == "postgresql":
        # A GET writes nothing but this count (and the recommendation outcome it feeds):
        # commit without waiting for the WAL flush. A crash may lose the last fraction of a
        # second of views, never anything else, and never half a row.
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    return response


@bp.get("/insights")
@role_required(Role.CREATOR)
def dashboard() -> str:
    session = db.session()
    data = services.demand(session, current())
    week_labels = [week.strftime("%d %b") for week in data.weeks]
    return render_template(
        "insights/dashboard.html",
        data=data,
        clusters=clusters.clusters(session),
        start_pool_url=clusters.start_pool_url,
        demand_chart=charts.line_chart(data.briefs_by_category, week_labels),
        views_chart=charts.line_chart({"Views": data.views_by_week}, week_labels),
        budget_chart=charts.bar_chart(data.budget_ranges),
        skills_chart=charts.bar_chart(data.top_skills[:8]),
        funnel_chart=charts.bar_chart(
            [("Viewed", data.viewed), ("Shortlisted", data.shortlisted), ("Hired", data.hired)]
        ),
    )
