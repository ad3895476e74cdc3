"""JSON API for stock media and licences (registered on app.api.bp; spec in api_spec.py).

Listed media is public; unlisted media answers 404 except to its creator and moderators.
Licences are visible to their licensee (and, for an asset, to its creator); anyone else 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, jsonify, request, url_for

from app.accounts.models import Role, User
from app.api import api_user, bp, json_body, optional_api_user, page_params
from app.db import MAX_ID
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.forms import storable
from app.media import licensing, services
from app.media.models import LicenseStatus, MediaAsset, MediaKind, MediaLicense
from app.payments.gateway import gateway_for


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def asset_json(asset: MediaAsset) -> dict[str, Any]:
    prices = services.prices(asset)
    return {
        "id": asset.id,
        "kind": asset.kind.value,
        "state": asset.state.value,
        "listed": services.is_listed(asset),
        "title": asset.title,
        "description": asset.description,
        "keywords": list(asset.keywords),
        "category": asset.category,
        "width": asset.width,
        "height": asset.height,
        "duration_ms": asset.duration_ms,
        "content_type": asset.content_type,
        "model_release": asset.model_release,
        "property_release": asset.property_release,
        "generative_ai": asset.generative_ai,
        "editorial": asset.editorial,
        "creator": {"id": asset.creator_id, "display_name": asset.creator.display_name},
        "offer_id": asset.offer_id,
        "currency": asset.offer.currency,
        "standard_license_minor": prices.get("standard"),
        "enhanced_license_minor": prices.get("enhanced"),
        "preview_url": url_for("media.preview", asset_id=asset.id),
        "thumbnail_url": url_for("media.thumbnail", asset_id=asset.id),
        "published_at": _iso(asset.published_at),
    }


def license_json(licence: MediaLicense, user: User) -> dict[str, Any]:
    download = None
    if licence.status == LicenseStatus.ACTIVE and licence.licensee_id == user.id:
        token = licensing.download_token(licence, user)
        download = url_for("media.download", license_id=licence.id, token=token)
    return {
        "id": licence.id,
        "asset_id": licence.asset_id,
        "licensee_id": licence.licensee_id,
        "license_type": licence.license_type.value,
        "status": licence.status.value,
        "price_minor": licence.price_minor,
        "currency": licence.currency,
        "terms": licence.terms,
        "created_at": _iso(licence.created_at),
        "sold_at": _iso(licence.sold_at),
        "download_url": download,
        "download_expires_in": licensing.DOWNLOAD_MAX_AGE if download else None,
    }


@bp.get("/media")
def list_media() -> Response:
    page, per_page = page_params()
    q = request.args.get("q", "")
    kind = request.args.get("kind", "")
    errors: dict[str, list[str]] = {}
    if len(q) > 200 or not storable(q):
        errors["q"] = ["Use at most 200 ordinary characters."]
    if kind and kind not in set(MediaKind):
        errors["kind"] = ["Use image or video."]
    if errors:
        raise ValidationFailed(errors)
    result = services.search(db.session(), q=q, kind=kind, page=page, per_page=per_page)
    return jsonify(
        items=[asset_json(a) for a in result.items],
        page=page,
        per_page=per_page,
        total=result.total,
    )


@bp.get("/media/<int:asset_id>")
def get_media(asset_id: int) -> Response:
    asset = services.visible_asset(db.session(), asset_id, optional_api_user())
    return jsonify(asset_json(asset))


@bp.get("/media/<int:asset_id>/licenses")
def list_media_licenses(asset_id: int) -> Response:
    """The caller's licences for the asset (its creator: every licence sold)."""
    user = api_user()
    session = db.session()
    asset = session.get(MediaAsset, asset_id) if asset_id <= MAX_ID else None
    if asset is None:
        raise NotFound("No such media.")
    if asset.creator_id == user.id:
        licences = licensing.sold_licenses(session, asset)
    else:
        licences = licensing.licenses_of(session, user, asset.id)
        # A licensee keeps access after the asset is withdrawn; others see listed media only.
        if not licences:
            services.visible_asset(session, asset_id, user)
    return jsonify(items=[license_json(item, user) for item in licences])


def _purchase_body() -> dict[str, str]:
    body = json_body()
    errors = {key: ["Unknown field."] for key in body if key != "license_type"}
    if "license_type" not in body:
        errors["license_type"] = ["This field is required."]
    elif not isinstance(body["license_type"], str) or not storable(body["license_type"]):
        errors["license_type"] = ["Must be a string."]
    if errors:
        raise ValidationFailed(errors)
    return {"license_type": body["license_type"]}


@bp.post("/media/<int:asset_id>/licenses")
def buy_media_license(asset_id: int) -> tuple[Response, int, dict[str, str]]:
    """Buy a licence: it is pending until the PaymentIntent (``client_secret``, for Stripe.js
    with ``publishable_key``) succeeds; the payment_intent.succeeded webhook activates it.
    Calling it again resumes the same pending licence and PaymentIntent."""
    user = api_user(Role.BUSINESS)
    values = _purchase_body()
    session, gateway = db.session(), gateway_for(current_app)
    licence, intent = licensing.start_purchase(
        session, gateway, asset_id, business=user, license_type=values["license_type"]
    )
    payload = {
        **license_json(licence, user),
        "client_secret": intent.client_secret,
        "publishable_key": gateway.publishable_key,
    }
    location = url_for("api.list_media_licenses", asset_id=licence.asset_id)
    return jsonify(payload), 201, {"Location": location}
