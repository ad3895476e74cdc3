"""HTML views for offers: catalog, detail, the creator's offers and forms, status, ordering."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts.auth import current, role_required
from app.accounts.models import Role, User
from app.contracts.services import create_from_package
from app.extensions import db
from app.forms import FORM_ERROR_STATUS
from app.matching import services as matching
from app.matching.delegation import ranking_view
from app.media import gallery
from app.offers import services
from app.offers.catalog import creator_offers, search_catalog
from app.offers.forms import FORMS, CatalogFilterForm, apply_offer_errors
from app.offers.models import OfferKind
from app.pagecache import anonymous_page
from app.web import submit

bp = Blueprint("offers", __name__)

STATUS_ACTIONS = {
    "publish": (services.publish, "Offer published."),
    "pause": (services.pause, "Offer paused; it is hidden from the catalog."),
    "remove": (services.remove, "Offer removed."),
}


def _viewer() -> User | None:
    return current() if current_user.is_authenticated else None


def _kind_or_404(kind: str) -> OfferKind:
    if kind not in set(OfferKind):
        abort(404)
    return OfferKind(kind)


@bp.get("/offers")
@ranking_view(when=lambda args: bool(args.get("q", "").strip()))  # a search ranks
@anonymous_page()
def catalog() -> tuple[str, int]:
    form = CatalogFilterForm(formdata=request.args)
    valid = form.validate()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    query = form.to_query(page, current_app.config["CATALOG_PAGE_SIZE"])
    if "sort" not in request.args:
        form.sort.data = query.sort  # the select shows the order the results are really in
    ranked_ids = semantic_search(query.q)
    result = search_catalog(db.session(), query, ranked_ids=ranked_ids, cards=True)
    nearest = False
    if result.total == 0 and query.q and page == 1:
        # Nothing close enough: show the nearest offers (same filters) and say so.
        nearest_ids = semantic_search(query.q, nearest=True)
        if nearest_ids:
            result = search_catalog(
                db.session(),
                replace(query, q="", sort="relevance"),
                ranked_ids=nearest_ids,
                cards=True,
            )
            nearest = result.total > 0
    status = 200 if valid else FORM_ERROR_STATUS
    pictures = gallery.for_offer_cards(db.session(), result.items)
    return render_template(
        "offers/catalog.html", form=form, result=result, pictures=pictures, nearest=nearest
    ), status


def semantic_search(text: str, *, nearest: bool = False) -> list[int] | None:
    """Offer ids ranked by meaning, or None to fall back to the keyword search."""
    if not text or not current_app.config["MATCHING_ENABLED"]:
        return None
    try:
        if nearest:
            return matching.nearest_offer_ids(db.session(), text)
        return matching.semantic_offer_ids(db.session(), text)
    except Exception:  # the catalog must keep working if the index cannot be read
        current_app.logger.exception("semantic search failed; using keyword search")
        return None


@bp.get("/offers/<int:offer_id>")
@anonymous_page()
def detail(offer_id: int) -> str:
    viewer = _viewer()
    offer = services.visible_offer(db.session(), offer_id, viewer)
    is_owner = viewer is not None and viewer.id == offer.creator_id
    session = db.session()
    return render_template(
        "offers/detail.html",
        offer=offer,
        images=gallery.offer_images(session, [offer.id]).get(offer.id, []),
        assets=gallery.stock_assets(session, [offer.id]).get(offer.id, []),
        avatar=gallery.avatars_of(session, [offer.creator_id]).get(offer.creator_id),
        is_owner=is_owner,
        can_order=services.is_listed(offer) and not is_owner,
        next_statuses=services.next_statuses(offer) if is_owner else [],
    )


@bp.get("/my/offers")
@role_required(Role.CREATOR)
def mine() -> str:
    return render_template("offers/mine.html", offers=creator_offers(db.session(), current()))


@bp.get("/offers/new")
@role_required(Role.CREATOR)
def new() -> str:
    return render_template("offers/choose_kind.html", kinds=list(OfferKind))


@bp.route("/offers/new/<kind>", methods=["GET", "POST"])
@role_required(Role.CREATOR)
def create(kind: str) -> Response | tuple[str, int]:
    offer_kind = _kind_or_404(kind)
    form = FORMS[offer_kind]()
    return submit(
        form,
        lambda: services.create_offer(db.session(), current(), form.to_input()),
        done="Draft saved. Publish it when you are ready.",
        then=lambda offer: url_for("offers.detail", offer_id=offer.id),
        render=lambda status: (
            render_template("offers/form.html", form=form, kind=offer_kind, offer=None),
            status,
        ),
        code=302,
        on_error=apply_offer_errors,
    )


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(offer_id: int) -> Response | tuple[str, int]:
    session = db.session()
    offer = services.editable_offer(session, offer_id, current())
    form = FORMS[OfferKind(offer.kind)]()
    if not form.is_submitted():
        form.fill(services.current_input(offer))
    return submit(
        form,
        lambda: services.update_offer(session, offer, current(), form.to_input()),
        done="Offer saved.",
        then=url_for("offers.detail", offer_id=offer.id),
        render=lambda status: (
            render_template("offers/form.html", form=form, kind=offer.kind, offer=offer),
            status,
        ),
        code=302,
        on_error=apply_offer_errors,
    )


@bp.post("/offers/<int:offer_id>/<any(publish, pause, remove):action>")
@login_required
def change_status(offer_id: int, action: str) -> Response:
    session = db.session()
    offer = services.owned_offer(session, offer_id, current())
    transition, message = STATUS_ACTIONS[action]
    transition(session, offer, current())  # InvalidTransition -> 409 page, nothing changed
    flash(message, "success")
    return redirect(url_for("offers.detail", offer_id=offer.id), 303)


@bp.post("/offers/<int:offer_id>/order/<tier>")
@login_required
def order(offer_id: int, tier: str) -> Response:
    session = db.session()
    offer = services.visible_offer(session, offer_id, current())
    contract = create_from_package(session, offer, tier, business=current())
    flash("Order placed. Fund the first milestone to get the work started.", "success")
    return redirect(url_for("contracts.detail", contract_id=contract.id), 303)
