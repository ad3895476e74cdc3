"""Turn offers, creators and briefs into what ml/ indexes and ranks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from app import clock, countries, fx
from app.accounts.models import Availability, CreatorProfile, User
from app.briefs.models import Brief
from app.contracts.models import Contract
from app.offers.catalog import listed_offers
from app.offers.models import InfluencerChannel, Offer
from app.reviews.reputation import ranking_scores
from ml.ranking import BriefConstraints, CandidateMeta
from ml.text import Document, Query


def listed_offers_query() -> Select[Offer]:
    """Exactly the offers the public catalog lists (``offers.catalog.listed_offers``), with
    what their documents need loaded in the same round trip."""
    query: Select[Offer] = listed_offers()
    return query.options(
        selectinload(Offer.packages),
        selectinload(Offer.deliverables),
        selectinload(Offer.influencer),
        selectinload(Offer.creator).selectinload(User.profile),
    )


def offer_document(offer: Offer) -> Document:
    """Main text: title + description. Extra texts (embedded one by one): what each package or
    deliverable includes, the influencer's audience topics, and the creator's headline."""
    extra: list[str] = [p.includes for p in offer.packages if p.includes.strip()]
    extra += [d.description for d in offer.deliverables if d.description.strip()]
    if offer.influencer is not None and offer.influencer.audience_topics:
        extra.append(
            f"{offer.influencer.platform} creator about "
            + ", ".join(offer.influencer.audience_topics)
        )
    profile = offer.creator.profile
    if profile is not None and profile.headline.strip():
        extra.append(profile.headline)
    return Document(
        id=offer.id,
        title=offer.title,
        description=offer.description,
        skills=tuple(offer.tags),
        kind=offer.kind.value,
        owner_id=offer.creator_id,
        extra=tuple(extra),
        owner_skills=tuple(profile.skills) if profile is not None else (),
    )


def brief_query(brief: Brief) -> Query:
    return Query(title=brief.title, description=brief.description, skills=tuple(brief.skills))


def brief_constraints(brief: Brief, today: date | None = None) -> BriefConstraints:
    today = today or clock.now().date()
    days = (brief.deadline - today).days if brief.deadline else None
    regions = frozenset(brief.audience_regions or ())
    return BriefConstraints(
        budget_min_minor=brief.budget_min_minor,
        budget_max_minor=brief.budget_max_minor,
        currency=brief.currency,
        kinds_wanted=frozenset(brief.offer_kinds),
        days_until_deadline=max(days, 0) if days is not None else None,
        audience_regions=regions,
        followers_min=brief.audience_min_followers,
        followers_max=brief.audience_max_followers,
        min_engagement_bp=brief.audience_min_engagement_bp,
        region_names=tuple((code, countries.name(code)) for code in sorted(regions)),
    )


def _price_in(
    price: int | None, own: str, currency: str | None
) -> tuple[int | None, str, int | None, str | None]:
    """(price, currency, listed price, listed currency): converted into ``currency`` with the
    dated rates table when the offer is priced in another one."""
    if price is None or not currency or currency.upper() == own.upper():
        return price, own, None, None
    try:
        return fx.convert(price, own, currency), currency.upper(), price, own
    except fx.UnknownCurrency:
        return price, own, None, None


def candidate_meta(
    session: Session, offer_ids: Sequence[int], currency: str | None = None
) -> dict[int, CandidateMeta]:
    """Business metadata for candidate offers, in three column-only queries whatever their
    number (no ORM rows: ranking ~200 candidates must not build and decode full offers). With
    ``currency`` (the brief's), prices are converted into it for the budget fit."""
    if not offer_ids:
        return {}
    rows = session.execute(
        select(
            Offer.id,
            Offer.creator_id,
            Offer.price_from_minor,
            Offer.currency,
            Offer.delivery_days_min,
            Offer.kind,
            CreatorProfile.availability,
            InfluencerChannel.audience_regions,
            InfluencerChannel.audience_size,
            InfluencerChannel.engagement_rate_bp,
            InfluencerChannel.offer_id,
        )
        .outerjoin(CreatorProfile, CreatorProfile.user_id == Offer.creator_id)
        .outerjoin(InfluencerChannel, InfluencerChannel.offer_id == Offer.id)
        .where(Offer.id.in_(offer_ids))
    ).all()
    creator_ids = {row.creator_id for row in rows}
    hired = dict(
        session.execute(
            select(Contract.creator_id, func.count())
            .where(Contract.creator_id.in_(creator_ids))
            .group_by(Contract.creator_id)
        ).all()
    )
    # Only creators with reviews get a score; the others keep the ranking's neutral prior.
    reputations = ranking_scores(session, creator_ids)
    metas = {}
    for row in rows:
        price, price_currency, listed, listed_currency = _price_in(
            row.price_from_minor, row.currency, currency
        )
        channel = row[10] is not None  # InfluencerChannel.offer_id: the offer has a channel
        metas[row.id] = CandidateMeta(
            price_from_minor=price,
            currency=price_currency,
            listed_price_minor=listed,
            listed_currency=listed_currency,
            audience_regions=frozenset(row.audience_regions or ()) if channel else frozenset(),
            audience_size=row.audience_size if channel else None,
            engagement_bp=row.engagement_rate_bp if channel else None,
            delivery_days=row.delivery_days_min,
            kind=row.kind.value,
            available=row.availability is not Availability.UNAVAILABLE,
            reputation=reputations.get(row.creator_id),
            is_new=hired.get(row.creator_id, 0) == 0,
        )
    return metas
