"""JSON API routes for offers (registered on app.api.bp), each declared once with its models.

The models check JSON types and shapes (strict integers: 5000.0, "5000" and true are refused);
the offer rules themselves (app.offers.validation, shared with the web forms) run in the
services, with the same bounds the models document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app, url_for
from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp, optional_api_user
from app.api.schema import AUTH_PUBLIC, In, Int, Out, Paged, Text, one_of, operation
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers import services
from app.offers.catalog import CatalogQuery, search_catalog
from app.offers.models import CATEGORIES, DeliverableKind, Offer, OfferKind, PackageTier, Platform
from app.offers.validation import (
    DELIVERY_DAYS,
    DESCRIPTION_LENGTH,
    INPUT_TYPES,
    MAX_AUDIENCE,
    MAX_DELIVERABLES,
    MAX_ENGAGEMENT_BP,
    MAX_PACKAGES,
    MAX_TAGS,
    REVISIONS,
    ROW_TEXT_MAX,
    TAG_LENGTH,
    TITLE_LENGTH,
    DeliverableInput,
    OfferInput,
    PackageInput,
)


def _values(enum: Any) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


# --- what clients send ----------------------------------------------------------------------

Money = Annotated[Int, Field(ge=1, le=MAX_AMOUNT_MINOR, description="Minor units (cents).")]
Days = Annotated[Int, Field(ge=DELIVERY_DAYS[0], le=DELIVERY_DAYS[1])]
Title = Annotated[Text, Field(min_length=TITLE_LENGTH[0], max_length=TITLE_LENGTH[1])]
Description = Annotated[
    Text, Field(min_length=DESCRIPTION_LENGTH[0], max_length=DESCRIPTION_LENGTH[1])
]
Category = Literal[tuple(CATEGORIES)]
Currency = Literal[SUPPORTED_CURRENCIES]
Tags = Annotated[list[Annotated[Text, Field(max_length=TAG_LENGTH)]], Field(max_length=MAX_TAGS)]
Tier = Literal[_values(PackageTier)]
DeliverableKindName = Literal[_values(DeliverableKind)]
RowText = Annotated[Text, Field(max_length=ROW_TEXT_MAX)]


class PackageIn(In):
    tier: Tier
    price_minor: Money
    delivery_days: Days
    revisions: Annotated[Int, Field(ge=REVISIONS[0], le=REVISIONS[1])] = 1
    includes: RowText = ""


class DeliverableIn(In):
    kind: DeliverableKindName
    price_minor: Money
    delivery_days: Days = 7
    description: RowText = ""


class _CommonIn(In):
    title: Title
    description: Description
    tags: Tags = []
    currency: Currency = "USD"


class ServiceOfferCreate(_CommonIn):
    kind: Literal["service"]
    category: Category
    packages: Annotated[
        list[PackageIn],
        Field(
            min_length=1,
            max_length=MAX_PACKAGES,
            description="Prices must not decrease from basic to standard to premium.",
        ),
    ]


class StockMediaOfferCreate(_CommonIn):
    kind: Literal["stock_media"]
    category: Category = "Photography"
    standard_license_minor: Money
    enhanced_license_minor: Annotated[Money, Field(description="At least the standard price.")]


class InfluencerOfferCreate(_CommonIn):
    kind: Literal["influencer"]
    category: Category = "Marketing & Social Media"
    platform: Literal[_values(Platform)]
    handle: Annotated[Text, Field(max_length=64, description="With or without a leading @.")]
    audience_size: Annotated[Int, Field(ge=0, le=MAX_AUDIENCE)]
    engagement_rate_bp: Annotated[
        Int, Field(ge=0, le=MAX_ENGAGEMENT_BP, description="Basis points: 345 = 3.45%.")
    ]
    audience_topics: list[Text] = []
    audience_regions: list[Text] = []
    deliverables: Annotated[list[DeliverableIn], Field(min_length=1, max_length=MAX_DELIVERABLES)]


CREATE_MODELS = (ServiceOfferCreate, StockMediaOfferCreate, InfluencerOfferCreate)
OfferCreate = one_of("OfferCreate", "kind", *CREATE_MODELS)


class OfferPatch(In):
    """Any fields of the offer's own kind; lists (packages, deliverables, tags) are replaced
    whole. Fields of another kind, or a different kind, are refused with 422."""

    kind: Literal[_values(OfferKind)] | None = None
    title: Title | None = None
    description: Description | None = None
    category: Category | None = None
    tags: Tags | None = None
    currency: Currency | None = None
    packages: list[PackageIn] | None = None
    standard_license_minor: Money | None = None
    enhanced_license_minor: Money | None = None
    platform: Literal[_values(Platform)] | None = None
    handle: Annotated[Text, Field(max_length=64)] | None = None
    audience_size: Annotated[Int, Field(ge=0, le=MAX_AUDIENCE)] | None = None
    engagement_rate_bp: Annotated[Int, Field(ge=0, le=MAX_ENGAGEMENT_BP)] | None = None
    audience_topics: list[Text] | None = None
    audience_regions: list[Text] | None = None
    deliverables: list[DeliverableIn] | None = None


KIND_MODEL: dict[OfferKind, type[In]] = dict(zip(OfferKind, CREATE_MODELS, strict=True))


def _input(kind: OfferKind, values: dict[str, Any]) -> dict[str, Any]:
    rows = {"packages": PackageInput, "deliverables": DeliverableInput}
    return {
        key: [rows[key](**row) for row in value] if key in rows else value
        for key, value in values.items()
        if key != "kind"
    }


def read_new_offer(body: Any) -> OfferInput:
    kind = OfferKind(body.kind)
    return INPUT_TYPES[kind](**_input(kind, body.model_dump()))


def read_offer_patch(body: OfferPatch, current: OfferInput) -> OfferInput:
    """``current`` with the fields sent replaced; fields of another kind -> 422."""
    from app.errors import ValidationFailed

    if body.kind is not None and body.kind != current.kind.value:
        raise ValidationFailed({"kind": ["The kind of an offer cannot change."]})
    allowed = KIND_MODEL[current.kind].model_fields
    sent = body.model_dump(include=body.model_fields_set - {"kind"})
    errors = {k: ["Unknown field."] for k in sent if k not in allowed}
    errors.update({k: ["This field cannot be null."] for k, v in sent.items() if v is None})
    if errors:
        raise ValidationFailed(errors)
    return replace(current, **_input(current.kind, sent))


# --- what the API returns -------------------------------------------------------------------


class CreatorRef(Out):
    id: int
    display_name: str


class _OfferBase(Out):
    id: int
    status: Literal["draft", "published", "paused", "removed"]
    title: str
    description: str
    category: str
    tags: list[str]
    currency: str
    price_from_minor: int | None
    delivery_days_min: int | None
    creator: CreatorRef
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class Package(Out):
    tier: Tier
    price_minor: int
    delivery_days: int
    revisions: int
    includes: str


class Deliverable(Out):
    kind: DeliverableKindName
    price_minor: int
    delivery_days: int
    description: str


class InfluencerChannel(Out):
    platform: str
    handle: str
    audience_size: int
    engagement_rate_bp: int
    audience_topics: list[str]
    audience_regions: list[str]


class ServiceOffer(_OfferBase):
    kind: Literal["service"]
    packages: list[Package]


class StockMediaOffer(_OfferBase):
    kind: Literal["stock_media"]
    standard_license_minor: int
    enhanced_license_minor: int


class InfluencerOffer(_OfferBase):
    kind: Literal["influencer"]
    channel: InfluencerChannel
    deliverables: list[Deliverable]


OfferOut = one_of("OfferOut", "kind", ServiceOffer, StockMediaOffer, InfluencerOffer)


class OfferPage(Out):
    items: list[OfferOut]
    total: int
    page: int
    per_page: int
    pages: int


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

API_SORTS = ("newest", "price_asc", "price_desc")
Minor0 = Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR)]


class OfferQuery(Paged):
    q: str = Field("", description="Words to find in the title, description or tags.")
    kind: Literal[_values(OfferKind)] | None = None
    category: Category | None = None
    price_min_minor: Minor0 | None = None
    price_max_minor: Minor0 | None = None
    max_delivery_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        None, description="Deliverable within this many days (stock media always)."
    )
    sort: Literal[API_SORTS] = "newest"


# --- routes ---------------------------------------------------------------------------------

NOT_FOUND = {404: "No such offer, or it is not visible to you"}
OWNER = {**NOT_FOUND, 403: "Not the offer's creator", 409: "Not possible in the offer's state"}


@bp.get("/offers")
@operation(tag="offers", query=OfferQuery, ok=OfferPage, role=AUTH_PUBLIC)
def list_offers(query: OfferQuery) -> dict[str, Any]:
    """Search the catalog of published offers"""
    per_page = query.per_page or current_app.config["CATALOG_PAGE_SIZE"]
    result = search_catalog(
        db.session(),
        CatalogQuery(
            q=query.q,
            kind=OfferKind(query.kind) if query.kind else None,
            category=query.category,
            price_min_minor=query.price_min_minor,
            price_max_minor=query.price_max_minor,
            max_delivery_days=query.max_delivery_days,
            sort=query.sort,
            page=query.page,
            per_page=per_page,
        ),
    )
    return {
        "items": [offer_json(offer) for offer in result.items],
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "pages": result.pages,
    }


@bp.get("/offers/<int:offer_id>")
@operation(tag="offers", ok=OfferOut, role=AUTH_PUBLIC, problems=NOT_FOUND)
def get_offer(offer_id: int) -> dict[str, Any]:
    """One offer: published ones for anyone, drafts and paused ones for their creator"""
    return offer_json(services.visible_offer(db.session(), offer_id, optional_api_user()))


@bp.post("/offers")
@operation(
    tag="offers",
    body=OfferCreate,
    created=OfferOut,
    role=Role.CREATOR,
    links={"get_offer": "offer_id", "update_offer": "offer_id", "publish_offer": "offer_id"},
)
def create_offer(body: Any) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Create a draft offer of any kind (creators)"""
    user = api_user(Role.CREATOR)
    offer = services.create_offer(db.session(), user, read_new_offer(body.root))
    return offer_json(offer), 201, {"Location": url_for("api.get_offer", offer_id=offer.id)}


@bp.patch("/offers/<int:offer_id>")
@operation(tag="offers", body=OfferPatch, ok=OfferOut, problems=OWNER)
def update_offer(offer_id: int, body: OfferPatch) -> dict[str, Any]:
    """Change some fields of your offer"""
    user = api_user()
    session = db.session()
    offer = services.editable_offer(session, offer_id, user)
    services.update_offer(
        session, offer, user, read_offer_patch(body, services.current_input(offer))
    )
    return offer_json(offer)


def _transition(offer_id: int, move: Callable[..., Any]) -> dict[str, Any]:
    user = api_user()
    session = db.session()
    offer = services.owned_offer(session, offer_id, user)
    move(session, offer, user)
    return offer_json(offer)


@bp.post("/offers/<int:offer_id>/publish")
@operation(tag="offers", ok=OfferOut, problems=OWNER)
def publish_offer(offer_id: int) -> dict[str, Any]:
    """Publish your offer in the catalog"""
    return _transition(offer_id, services.publish)


@bp.post("/offers/<int:offer_id>/pause")
@operation(tag="offers", ok=OfferOut, problems=OWNER)
def pause_offer(offer_id: int) -> dict[str, Any]:
    """Take your offer out of the catalog for a while"""
    return _transition(offer_id, services.pause)


@bp.post("/offers/<int:offer_id>/remove")
@operation(tag="offers", ok=OfferOut, problems=OWNER)
def remove_offer(offer_id: int) -> dict[str, Any]:
    """Remove your offer for good"""
    return _transition(offer_id, services.remove)
