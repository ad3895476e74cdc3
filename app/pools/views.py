"""HTML pages of demand pools, on the same services as the JSON API (app.pools.api).

Thin views: load and authorise, one service call, domain errors become form errors or a flash
with a 4xx status (app.web.submit).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app import clock
from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.errors import Conflict, PermissionDenied
from app.extensions import db
from app.offers.models import CATEGORIES
from app.payments.checkout import checkout_for, checkout_for_setup
from app.payments.services import gateway_for
from app.pools import delivery, pledging, services
from app.pools.forms import PoolForm
from app.web import Page, attempt, form_page, post_actions, submit

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
    if request.method == "GET":
        _prefill(form)
    return form_page(
        "pools/new.html",
        form,
        lambda: services.open_pool(
            db.session(), current(), form.pool_input(), source_cluster=form.cluster.data or None
        ),
        done="Pool opened: businesses can pledge until the deadline.",
        then=lambda pool: url_for("pools.detail", pool_id=pool.id),
    )


@bp.get("/pools/<int:pool_id>")
def detail(pool_id: int) -> str:
    """The pool, its tiers and progress, and the viewer's own actions."""
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


# --- pledging: the card is saved through Stripe.js (SetupIntent) -----------------------------


def _back(pool_id: int) -> Response:
    return redirect(url_for("pools.detail", pool_id=pool_id), code=303)


@bp.get("/pools/<int:pool_id>/pledge")
@role_required(Role.BUSINESS)
def pledge(pool_id: int) -> str | Response:
    gateway = gateway_for(current_app)
    try:
        with attempt():
            row, setup = pledging.start_pledge(db.session(), gateway, pool_id, current())
    except (Conflict, PermissionDenied) as error:
        flash(error.message, "error")
        return _back(pool_id)
    if setup is None:
        flash("You are back in the pool with the card you saved.", "success")
        return _back(pool_id)
    return render_template(
        "pools/pledge.html",
        pool=row.pool,
        pledge=row,
        checkout=checkout_for_setup(setup, gateway),
        return_url=url_for("pools.pledge_return", setup_intent=setup.id),
    )


@bp.get("/pools/pledges/return")
@role_required(Role.BUSINESS)
def pledge_return() -> Response:
    """Where Stripe.js sends the business once the card is saved (or not)."""
    setup_id = request.args.get("setup_intent", "")
    if not setup_id.startswith("seti_") or len(setup_id) > 64:
        abort(404)
    try:
        with attempt():
            row = pledging.confirm_pledge(
                db.session(), gateway_for(current_app), setup_id, current()
            )
    except Conflict as error:
        flash(error.message, "error")
        return redirect(url_for("pools.board"), code=303)
    flash("Pledged: your card is saved and charged only if the pool succeeds.", "success")
    return _back(row.pool_id)


@bp.get("/pools/pledges/<int:pledge_id>/complete")
@role_required(Role.BUSINESS)
def complete(pledge_id: int) -> str | Response:
    """Complete an off-session charge the bank wanted authenticated (or declined)."""
    try:
        row, intent = delivery.completion(
            db.session(), gateway_for(current_app), pledge_id, current()
        )
    except Conflict as error:
        flash(error.message, "info")
        return redirect(url_for("pools.board"), code=303)
    return render_template(
        "pools/complete.html",
        pledge=row,
        pool=row.pool,
        checkout=checkout_for(intent, gateway_for(current_app)),
    )


# --- actions ---------------------------------------------------------------------------------


def _run(
    pool_id: int, *, action: Callable[[Session, int, User], object], done: str
) -> Page | Response:
    """One action button on the pool page: back to the pool, or the page with the error."""
    return submit(
        None,
        lambda: action(db.session(), pool_id, current()),
        done=done,
        then=url_for("pools.detail", pool_id=pool_id),
        render=lambda status: (detail(pool_id), status),
    )


def _cancel(session: Session, pool_id: int, user: User) -> object:
    return delivery.cancel_pool(session, gateway_for(current_app), pool_id, user)


def _deliver(session: Session, pool_id: int, user: User) -> object:
    return delivery.deliver(session, pool_id, user, note=request.form.get("note", "")[:6000])


ACTION_RULE = "/pools/<int:pool_id>/{name}"
post_actions(
    bp,
    ACTION_RULE,
    role_required(Role.BUSINESS)(_run),
    {
        "withdraw": (pledging.withdraw, "Pledge withdrawn: nothing will be charged."),
        "accept": (delivery.accept, "Delivery accepted: your payment goes to the creator."),
    },
)
post_actions(
    bp,
    ACTION_RULE,
    role_required(Role.CREATOR)(_run),
    {
        "cancel": (_cancel, "Pool cancelled: everyone charged is refunded."),
        "deliver": (_deliver, "Delivered: each business accepts, or the window does."),
    },
)
