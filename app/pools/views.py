"""HTML pages of demand pools, on the same services as the JSON API (app.pools.api).

Thin views: load and authorise, one service call, domain errors become form errors or a flash
with a 4xx status (app.web.submit).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from app import clock
from app.accounts.auth import current, role_required
from app.accounts.models import Role
from app.extensions import db
from app.offers.models import CATEGORIES
from app.pools import services
from app.pools.forms import PoolForm
from app.web import Page, submit

bp = Blueprint("pools", __name__)


@bp.get("/pools")
def board() -> str:
    viewer = current()
    session = db.session()
    mine = (
        services.pools_of_creator(session, viewer.id)
        if viewer.is_authenticated and viewer.is_creator
        else []
    )
    pledges = (
        services.pledges_of_business(session, viewer.id)
        if viewer.is_authenticated and viewer.is_business
        else []
    )
    return render_template(
        "pools/board.html", pools=services.open_pools(session), mine=mine, pledges=pledges
    )


def _prefill(form: PoolForm) -> None:
    """``/pools/new?title=..&description=..&category=..&cluster=..`` (e.g. from a demand
    cluster in insights) pre-fills the form; nothing is stored until the creator submits."""
    args = request.args
    form.title.data = (args.get("title") or "")[:200] or form.title.data
    form.description.data = (args.get("description") or "")[:5000] or form.description.data
    if args.get("category") in CATEGORIES:
        form.category.data = args["category"]
    form.cluster.data = (args.get("cluster") or "")[:64]
    if form.deadline.data is None:
        form.deadline.data = (clock.now() + timedelta(days=14)).replace(
            tzinfo=None, second=0, microsecond=0
        )


@bp.route("/pools/new", methods=["GET", "POST"])
@role_required(Role.CREATOR)
def new() -> Page | Response:
    form = PoolForm()

    def render(status: int) -> Page:
        return render_template("pools/new.html", form=form), status

    if request.method == "GET":
        _prefill(form)
        return render(200)
    return submit(
        form,
        lambda: services.open_pool(
            db.session(), current(), form.pool_input(), source_cluster=form.cluster.data or None
        ),
        done="Pool opened: businesses can pledge until the deadline.",
        then=lambda pool: url_for("pools.detail", pool_id=pool.id),
        render=render,
    )


@bp.get("/pools/<int:pool_id>")
def detail(pool_id: int) -> str:
    session = db.session()
    pool = services.get_pool(session, pool_id)
    viewer = current()
    mine = (
        services.pledge_of(session, pool, viewer.id)
        if viewer.is_authenticated and viewer.is_business
        else None
    )
    count = len(services.pledges_in(pool, services.COUNTING))
    return render_template(
        "pools/detail.html",
        pool=pool,
        pledge=mine,
        count=count,
        price=services.price_for(pool, count),
        next_tier=services.next_tier(pool, count),
        is_creator=viewer.is_authenticated and viewer.id == pool.creator_id,
    )
