"""JSON API routes for offers (registered on app.api.bp); described in ``api_spec``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from app.accounts.models import Role
from app.api import api_user, bp, created, json_body, optional_api_user, page_params
from app.errors import ValidationFailed
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR, NumberError, parse_int
from app.offers import services
from app.offers.api_input import read_new_offer, read_offer_patch
from app.offers.catalog import CatalogQuery, search_catalog
from app.offers.models import CATEGORIES, Offer, OfferKind
from app.offers.validation import DELIVERY_DAYS

API_SORTS = ("newest", "price_asc", "price_desc")


# --- serialisation: one function per kind ---------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _common_json(offer: Offer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "kind": str(offer.kind),
        "status": str(offer.status),
        "title": offer.title,
        "description": offer.description,
        "category": offer.category,
        "tags": list(offer.tags),
        "currency": offer.currency,
        "price_from_minor": offer.price_from_minor,
        "delivery_days_min": offer.delivery_days_min,
        "creator": {"id": offer.creator_id, "display_name": offer.creator.display_name},
        "created_at": _when(offer.created_at),
        "updated_at": _when(offer.updated_at),
        "published_at": _when(offer.published_at),
    }


def _service_json(offer: Offer) -> dict[str, Any]:
    return {
        "packages": [
            {
                "tier": str(p.tier),
                "price_minor": p.price_minor,
                "delivery_days": p.delivery_days,
                "revisions": p.revisions,
                "includes": p.includes,
            }
            for p in offer.packages
        ]
    }


def _stock_media_json(offer: Offer) -> dict[str, Any]:
    assert offer.stock is not None
    return {
        "standard_license_minor": offer.stock.standard_license_minor,
        "enhanced_license_minor": offer.stock.enhanced_license_minor,
    }


def _influencer_json(offer: Offer) -> dict[str, Any]:
    channel = offer.influencer
    assert channel is not None
    return {
        "channel": {
            "platform": str(channel.platform),
            "handle": channel.handle,
            "audience_size": channel.audience_size,
            "engagement_rate_bp": channel.engagement_rate_bp,
            "audience_topics": list(channel.audience_topics),
            "audience_regions": list(channel.audience_regions),
        },
        "deliverables": [
            {
                "kind": str(d.kind),
                "price_minor": d.price_minor,
                "delivery_days": d.delivery_days,
                "description": d.description,
            }
            for d in offer.deliverables
        ],
    }


SERIALIZERS: dict[OfferKind, Callable[[Offer], dict[str, Any]]] = {
    OfferKind.SERVICE: _service_json,
    OfferKind.STOCK_MEDIA: _stock_media_json,
    OfferKind.INFLUENCER: _influencer_json,
}


def offer_json(offer: Offer) -> dict[str, Any]:
    return {**_common_json(offer), **SERIALIZERS[OfferKind(offer.kind)](offer)}


# --- catalog parameters ---------------------------------------------------------------------


def _int_arg(name: str, low: int, high: int, errors: dict[str, list[str]]) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_int(raw, low=low, high=high)
    except NumberError:
        errors[name] = [f"Use a whole number from {low} to {high}."]
        return None


def _catalog_query() -> CatalogQuery:
    page, per_page = page_params(default_size=current_app.config["CATALOG_PAGE_SIZE"])
    errors: dict[str, list[str]] = {}
    kind = request.args.get("kind") or None
    if kind is not None and kind not in set(OfferKind):
        errors["kind"] = ["Use service, stock_media or influencer."]
    category = request.args.get("category") or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = ["Unknown category."]
    sort = request.args.get("sort") or "newest"
    if sort not in API_SORTS:
        errors["sort"] = [f"Use one of {', '.join(API_SORTS)}."]
    query = CatalogQuery(
        q=request.args.get("q", ""),
        kind=OfferKind(kind) if kind and "kind" not in errors else None,
        category=category,
        price_min_minor=_int_arg("price_min_minor", 0, MAX_AMOUNT_MINOR, errors),
        price_max_minor=_int_arg("price_max_minor", 0, MAX_AMOUNT_MINOR, errors),
        max_delivery_days=_int_arg("max_delivery_days", *DELIVERY_DAYS, errors),
        sort=sort,
        page=page,
        per_page=per_page,
    )
    if errors:
        raise ValidationFailed(errors)
    return query


# --- routes ---------------------------------------------------------------------------------


@bp.get("/offers")
def list_offers() -> Response:
    result = search_catalog(db.session(), _catalog_query())
    return jsonify(
        items=[offer_json(offer) for offer in result.items],
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
    )


@bp.get("/offers/<int:offer_id>")
def get_offer(offer_id: int) -> Response:
    offer = services.visible_offer(db.session(), offer_id, optional_api_user())
    return jsonify(offer_json(offer))


@bp.post("/offers")
def create_offer() -> tuple[Response, int, dict[str, str]]:
    user = api_user(Role.CREATOR)
    data = read_new_offer(json_body())
    offer = services.create_offer(db.session(), user, data)
    return created(offer_json(offer), url_for("api.get_offer", offer_id=offer.id))


@bp.patch("/offers/<int:offer_id>")
def update_offer(offer_id: int) -> Response:
    user = api_user()
    session = db.session()
    offer = services.editable_offer(session, offer_id, user)
    data = read_offer_patch(json_body(), services.current_input(offer))
    services.update_offer(session, offer, user, data)
    return jsonify(offer_json(offer))


@bp.post("/offers/<int:offer_id>/<any(publish, pause, remove):action>")
def change_offer_status(offer_id: int, action: str) -> Response:
    user = api_user()
    session = db.session()
    offer = services.owned_offer(session, offer_id, user)
    transition = {"publish": services.publish, "pause": services.pause, "remove": services.remove}
    transition[action](session, offer, user)
    return jsonify(offer_json(offer))
