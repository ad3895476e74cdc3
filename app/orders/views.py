"""The Orders page (one for each side: the viewer's own contracts, campaign orders, licences
and contests)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import login_required

from app.accounts.auth import current
from app.extensions import db
from app.orders import queries

bp = Blueprint("orders", __name__)


@bp.get("/orders")
@login_required
def index() -> str:
    kind = request.args.get("kind", "")
    show = request.args.get("show", "open")
    kind = kind if kind in queries.KINDS else ""
    show = show if show in queries.FILTERS else "open"
    rows = queries.orders_for(db.session(), current(), kind=kind, show=show)
    return render_template(
        "orders/index.html",
        rows=rows,
        kind=kind,
        show=show,
        kinds=queries.KINDS,
        filters=queries.FILTERS,
    )
