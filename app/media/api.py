"""JSON API for stock media and licences (registered on app.api.bp), each operation declared once.

Listed media is public; unlisted media answers 404 except to its creator and moderators.
Licences are visible to their licensee (and, for an asset, to its creator); anyone else 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app, url_for
from pydantic import Field

from app.accounts.models import Role, User
from app.api import api_user, bp, optional_api_user
from app.api.schema import AUTH_PUBLIC, GATEWAY_PROBLEM, In, Out, Paged, PageInfo, Text, operation
from app.db import MAX_ID
from app.errors import NotFound
from app.extensions import db
from app.media import licensing, services
from app.media.models import (
    LicenseStatus,
    LicenseType,
    MediaAsset,
    MediaKind,
    MediaLicense,
    MediaState,
)
from app.payments.gateway import gateway_for

LicenseTypeName = Literal[tuple(t.value for t in LicenseType)]


class MediaQuery(Paged):
    q: Annotated[Text, Field(max_length=200, description="Words to search for.")] = ""
    kind: Literal[tuple(k.value for k in MediaKind)] | None = None


class CreatorRef(Out):
    id: int
    display_name: str


class MediaAssetOut(Out):
    id: int
    kind: Literal[tuple(k.value for k in MediaKind)]
    state: Literal[tuple(s.value for s in MediaState)]
    listed: bool
    title: str
    description: str
    keywords: list[str]
    category: str
    width: int | None
    height: int | None
    duration_ms: int | None
    content_type: str
    model_release: bool
    property_release: bool
    generative_ai: bool
    editorial: bool
    creator: CreatorRef
    offer_id: int
    currency: str
    standard_license_minor: int | None
    enhanced_license_minor: int | None
    preview_url: str = Field(description="Watermarked preview (JPEG).")
    thumbnail_url: str
    published_at: datetime | None


class MediaPage(PageInfo):
    items: list[MediaAssetOut]


class MediaLicenseOut(Out):
    id: int
    asset_id: int
    licensee_id: int
    license_type: LicenseTypeName
    status: Literal[tuple(s.value for s in LicenseStatus)]
    price_minor: int
    currency: str
    terms: str
    created_at: datetime
    sold_at: datetime | None
    download_url: str | None = Field(description="Signed link to the original; expires.")
    download_expires_in: int | None = Field(description="Seconds the link stays valid.")


class MediaLicenseList(Out):
    items: list[MediaLicenseOut]


class MediaLicensePurchase(MediaLicenseOut):
    client_secret: str | None = Field(
        description="PaymentIntent client secret for Stripe.js (pending licences)."
    )
    publishable_key: str = Field(description="The key Stripe.js is initialised with.")


class MediaLicenseIn(In):
    license_type: LicenseTypeName


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


MEDIA_404 = {404: "No such media, or it is not listed"}


@bp.get("/media")
@operation(tag="media", query=MediaQuery, ok=MediaPage, role=AUTH_PUBLIC)
def list_media(query: MediaQuery) -> dict[str, Any]:
    """Search listed stock media"""
    result = services.search(
        db.session(), q=query.q, kind=query.kind or "", page=query.page, per_page=query.size
    )
    return {
        "items": [asset_json(a) for a in result.items],
        "page": query.page,
        "per_page": query.size,
        "total": result.total,
    }


@bp.get("/media/<int:asset_id>")
@operation(tag="media", ok=MediaAssetOut, role=AUTH_PUBLIC, problems=MEDIA_404)
def get_media(asset_id: int) -> dict[str, Any]:
    """One media asset (listed ones for anyone)"""
    return asset_json(services.visible_asset(db.session(), asset_id, optional_api_user()))


@bp.get("/media/<int:asset_id>/licenses")
@operation(tag="media", ok=MediaLicenseList, problems=MEDIA_404)
def list_media_licenses(asset_id: int) -> dict[str, Any]:
    """The caller's licences for the asset (its creator: every licence sold)"""
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
    return {"items": [license_json(item, user) for item in licences]}


@bp.post("/media/<int:asset_id>/licenses")
@operation(
    tag="media",
    body=MediaLicenseIn,
    created=MediaLicensePurchase,
    role=Role.BUSINESS,
    problems={
        **MEDIA_404,
        409: "Already licensed, or not for sale",
        **GATEWAY_PROBLEM,
    },
)
def buy_media_license(asset_id: int, body: MediaLicenseIn) -> tuple[Any, int, dict[str, str]]:
    """Buy a licence: it is pending until the PaymentIntent (`client_secret`, for Stripe.js
    with `publishable_key`) succeeds; then POST /payments/{payment_intent_id}/sync, or the
    payment_intent.succeeded webhook, activates it. Calling it again resumes the same pending
    licence and PaymentIntent."""
    user = api_user(Role.BUSINESS)
    session, gateway = db.session(), gateway_for(current_app)
    licence, intent = licensing.start_purchase(
        session, gateway, asset_id, business=user, license_type=body.license_type
    )
    payload = {
        **license_json(licence, user),
        "client_secret": intent.client_secret,
        "publishable_key": gateway.publishable_key,
    }
    location = url_for("api.list_media_licenses", asset_id=licence.asset_id)
    return payload, 201, {"Location": location}
