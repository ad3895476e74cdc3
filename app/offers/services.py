"""Offer services: create and update each kind, the status machine, who may see and change what.

Services take a Session, flush but never commit, and raise typed errors from ``app.errors``.
Every change writes an audit row and tells matchmaking (``offer_changed``) in the same
transaction. The public catalog query lives in ``app.offers.catalog``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import Role, User
from app.db import MAX_ID
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.matching.hooks import offer_changed
from app.offers.models import (
    InfluencerChannel,
    InfluencerDeliverable,
    Offer,
    OfferKind,
    OfferStatus,
    ServicePackage,
    StockMediaTerms,
)
from app.offers.validation import (
    DeliverableInput,
    InfluencerInput,
    OfferInput,
    PackageInput,
    ServiceOfferInput,
    StockMediaInput,
    validate,
)
from app.workflow import StateMachine, lock

S = OfferStatus
OFFER = StateMachine(
    "offer",
    S,
    {
        "publish": ({S.DRAFT, S.PAUSED}, S.PUBLISHED),
        "pause": ({S.PUBLISHED}, S.PAUSED),
        "remove": ({S.DRAFT, S.PUBLISHED, S.PAUSED}, S.REMOVED),
    },
    field="status",
    refusal="A {state} offer cannot be {target}.",
)


# --- who may see and change an offer --------------------------------------------------------


def _get(session: Session, offer_id: int) -> Offer | None:
    return session.get(Offer, offer_id) if 0 < offer_id <= MAX_ID else None


def is_listed(offer: Offer) -> bool:
    """Public: published, by a creator who is not suspended, not hidden by a moderator."""
    profile = offer.creator.profile
    return (
        offer.status == OfferStatus.PUBLISHED
        and offer.creator.is_active
        and offer.hidden_at is None
        and (profile is None or profile.hidden_at is None)
    )


def visible_offer(session: Session, offer_id: int, viewer: User | None) -> Offer:
    """The offer if ``viewer`` may see it (listed, or their own). Raises NotFound otherwise."""
    offer = _get(session, offer_id)
    if offer is None or not (is_listed(offer) or (viewer and viewer.id == offer.creator_id)):
        raise NotFound("No such offer.")
    return offer


def owned_offer(session: Session, offer_id: int, actor: User) -> Offer:
    """The offer if ``actor`` created it. Raises NotFound, or PermissionDenied for a listed one."""
    offer = _get(session, offer_id)
    if offer is None:
        raise NotFound("No such offer.")
    _check_owner(offer, actor)
    return offer


def editable_offer(session: Session, offer_id: int, actor: User) -> Offer:
    """Like ``owned_offer``, and raises Conflict for a removed offer (removed is final)."""
    offer = owned_offer(session, offer_id, actor)
    if offer.status == OfferStatus.REMOVED:
        raise Conflict("A removed offer can no longer be edited.")
    return offer


def next_statuses(offer: Offer) -> list[OfferStatus]:
    """Where the offer may go from here (for the owner's buttons)."""
    return [OFFER.target(action) for action in OFFER.actions_from(offer.status)]


def _check_owner(offer: Offer, actor: User) -> None:
    if offer.creator_id == actor.id:
        return
    # Others may know a listed offer exists; anything unlisted stays unprobeable.
    if is_listed(offer):
        raise PermissionDenied("Only the creator of this offer can change it.")
    raise NotFound("No such offer.")


# --- create and update ----------------------------------------------------------------------


def create_offer(session: Session, creator: User, data: OfferInput) -> Offer:
    """Add a draft offer of ``data.kind``.

    Raises PermissionDenied (not a creator) or ValidationFailed (nothing is added then).
    Writes an ``offer.created`` audit row and an index-outbox row.
    """
    if not creator.has_role(Role.CREATOR):
        raise PermissionDenied("Only creator accounts can create offers.")
    clean = validate(data)
    offer = Offer(creator_id=creator.id, creator=creator, kind=clean.kind, status=OfferStatus.DRAFT)
    _apply(offer, clean)
    session.add(offer)
    session.flush()
    _changed(session, offer, actor=creator, verb="created")
    return offer


def update_offer(session: Session, offer: Offer, actor: User, data: OfferInput) -> Offer:
    """Replace the offer's fields with ``data`` (same kind); the status is kept.

    Raises NotFound/PermissionDenied (not the owner), Conflict (removed offer),
    ValidationFailed (nothing changes then). Writes ``offer.updated`` and an index-outbox row.
    """
    _check_owner(offer, actor)
    if offer.status == OfferStatus.REMOVED:
        raise Conflict("A removed offer can no longer be edited.")
    if data.kind != offer.kind:
        raise ValidationFailed({"kind": ["The kind of an offer cannot change."]})
    clean = validate(data)
    _apply(offer, clean)
    session.flush()
    _changed(session, offer, actor=actor, verb="updated")
    return offer


def current_input(offer: Offer) -> OfferInput:
    """The offer's fields as input, for edit forms and partial (PATCH) updates."""
    common: dict[str, Any] = {
        "title": offer.title,
        "description": offer.description,
        "tags": list(offer.tags),
        "currency": offer.currency,
        "category": offer.category,
    }
    if offer.kind == OfferKind.SERVICE:
        packages = [
            PackageInput(p.tier, p.price_minor, p.delivery_days, p.revisions, p.includes)
            for p in offer.packages
        ]
        return ServiceOfferInput(packages=packages, **common)
    if offer.kind == OfferKind.STOCK_MEDIA:
        assert offer.stock is not None
        return StockMediaInput(
            standard_license_minor=offer.stock.standard_license_minor,
            enhanced_license_minor=offer.stock.enhanced_license_minor,
            **common,
        )
    channel = offer.influencer
    assert channel is not None
    return InfluencerInput(
        platform=channel.platform,
        handle=channel.handle,
        audience_size=channel.audience_size,
        engagement_rate_bp=channel.engagement_rate_bp,
        audience_topics=list(channel.audience_topics),
        audience_regions=list(channel.audience_regions),
        deliverables=[
            DeliverableInput(d.kind, d.price_minor, d.delivery_days, d.description)
            for d in offer.deliverables
        ],
        **common,
    )


def _apply(offer: Offer, data: OfferInput) -> None:
    offer.title = data.title
    offer.description = data.description
    offer.category = data.category
    offer.tags = list(data.tags)
    offer.currency = data.currency
    if isinstance(data, ServiceOfferInput):
        _sync_packages(offer, data.packages)
    elif isinstance(data, StockMediaInput):
        terms = offer.stock or StockMediaTerms()
        terms.standard_license_minor = data.standard_license_minor
        terms.enhanced_license_minor = data.enhanced_license_minor
        offer.stock = terms
    else:
        channel = offer.influencer or InfluencerChannel()
        channel.platform = data.platform  # type: ignore[assignment]
        channel.handle = data.handle
        channel.audience_size = data.audience_size
        channel.engagement_rate_bp = data.engagement_rate_bp
        channel.audience_topics = list(data.audience_topics)
        channel.audience_regions = list(data.audience_regions)
        offer.influencer = channel
        _sync_deliverables(offer, data.deliverables)
    _refresh_summary(offer)


def _sync_packages(offer: Offer, packages: list[PackageInput]) -> None:
    # Rows are matched by tier and updated in place: deleting and re-inserting the same tier
    # in one flush would trip the (offer_id, tier) unique constraint.
    existing = {str(p.tier): p for p in offer.packages}
    rows = []
    for position, data in enumerate(packages):
        row = existing.pop(data.tier, None) or ServicePackage(tier=data.tier)
        row.position = position
        row.price_minor = data.price_minor
        row.delivery_days = data.delivery_days
        row.revisions = data.revisions
        row.includes = data.includes
        rows.append(row)
    offer.packages = rows


def _sync_deliverables(offer: Offer, deliverables: list[DeliverableInput]) -> None:
    existing = {str(d.kind): d for d in offer.deliverables}
    rows = []
    for data in deliverables:
        row = existing.pop(data.kind, None) or InfluencerDeliverable(kind=data.kind)
        row.price_minor = data.price_minor
        row.delivery_days = data.delivery_days
        row.description = data.description
        rows.append(row)
    offer.deliverables = rows


def _refresh_summary(offer: Offer) -> None:
    """Keep the catalog's denormalised "from" price and quickest delivery in step."""
    prices: list[int]
    days: list[int]
    if offer.kind == OfferKind.SERVICE:
        prices = [p.price_minor for p in offer.packages]
        days = [p.delivery_days for p in offer.packages]
    elif offer.kind == OfferKind.STOCK_MEDIA:
        prices = [offer.stock.standard_license_minor] if offer.stock else []
        days = []  # a license is delivered on download
    else:
        prices = [d.price_minor for d in offer.deliverables]
        days = [d.delivery_days for d in offer.deliverables]
    offer.price_from_minor = min(prices, default=None)
    offer.delivery_days_min = min(days, default=None)


def _changed(session: Session, offer: Offer, *, actor: User, verb: str) -> None:
    """An audited change of the offer's content; matchmaking hears of it in the same commit."""
    OFFER.record(session, offer, verb, actor_id=actor.id)
    offer_changed(session, offer)
    session.flush()


# --- status machine -------------------------------------------------------------------------


def change_status(session: Session, offer: Offer, actor: User, target: OfferStatus) -> Offer:
    """Move the offer to ``target`` by the action of ``OFFER`` that leads there.

    Raises NotFound/PermissionDenied (not the owner), InvalidTransition (not in the table).
    Sets ``published_at`` on the first publish; writes an audit row and an index-outbox row.
    """
    _check_owner(offer, actor)
    offer = lock(session, Offer, offer.id)
    OFFER.move_to(session, offer, target, actor_id=actor.id)
    if target == OfferStatus.PUBLISHED and offer.published_at is None:
        offer.published_at = clock.now()
    session.flush()
    offer_changed(session, offer)
    session.flush()
    return offer


def publish(session: Session, offer: Offer, actor: User) -> Offer:
    return change_status(session, offer, actor, OfferStatus.PUBLISHED)


def pause(session: Session, offer: Offer, actor: User) -> Offer:
    return change_status(session, offer, actor, OfferStatus.PAUSED)


def remove(session: Session, offer: Offer, actor: User) -> Offer:
    return change_status(session, offer, actor, OfferStatus.REMOVED)
