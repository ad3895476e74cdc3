"""The public catalog: listed offers, filtered, searched, sorted and paginated.

Search has two interchangeable sources of matching offers, so a semantic ranker can be plugged
in without touching the filters: either the built-in keyword match (``CatalogQuery.q``), or a
list of offer ids ranked elsewhere (``ranked_ids``, e.g. the matching glue's embedding search),
which then replaces the keyword match and orders the results when ``sort="relevance"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import CreatorProfile, User
from app.offers.models import Offer, OfferKind, OfferStatus

SORTS = ("newest", "price_asc", "price_desc", "relevance")
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10


@dataclass(frozen=True)
class CatalogQuery:
    q: str = ""
    kind: OfferKind | None = None
    category: str | None = None
    price_min_minor: int | None = None
    price_max_minor: int | None = None
    max_delivery_days: int | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 24


@dataclass(frozen=True)
class CatalogPage:
    items: list[Offer]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def listed_offers() -> Any:
    """SELECT of every publicly listed offer (published, creator not suspended, neither the
    offer nor the creator's profile hidden by a moderator)."""
    return (
        select(Offer)
        .join(User, User.id == Offer.creator_id)
        .outerjoin(CreatorProfile, CreatorProfile.user_id == Offer.creator_id)
        .where(
            Offer.status == OfferStatus.PUBLISHED,
            User.suspended_at.is_(None),
            Offer.hidden_at.is_(None),
            CreatorProfile.hidden_at.is_(None),
        )
    )


def creator_offers(session: Session, creator: User) -> list[Offer]:
    """Everything ``creator`` offers, whatever the status, except removed offers; newest first."""
    return list(
        session.scalars(
            select(Offer)
            .where(Offer.creator_id == creator.id, Offer.status != OfferStatus.REMOVED)
            .order_by(Offer.updated_at.desc(), Offer.id.desc())
        ).all()
    )


def keyword_match(text: str) -> ColumnElement[bool]:
    """Every word (case-insensitive) in the title, description or tags; SQLite and PostgreSQL.

    Tags are JSON (JSONB on PostgreSQL), cast to text so both backends search them as text.
    """
    haystacks = (Offer.title, Offer.description, cast(Offer.tags, String))
    words = text.split()[:MAX_WORDS]
    return and_(
        true(),
        *[
            or_(*[column.icontains(word, autoescape=True) for column in haystacks])
            for word in words
        ],
    )


def search_catalog(
    session: Session, query: CatalogQuery, *, ranked_ids: Sequence[int] | None = None
) -> CatalogPage:
    """One page of listed offers matching ``query``.

    ``ranked_ids`` (best first) restricts results to those offers instead of the keyword
    match; with ``sort="relevance"`` they keep that order. Without it, "relevance" is "newest".
    """
    stmt = listed_offers()
    if ranked_ids is not None:
        stmt = stmt.where(Offer.id.in_(list(ranked_ids)))
    elif words := query.q.replace("\x00", " ").strip():
        stmt = stmt.where(keyword_match(words[:MAX_QUERY_LENGTH]))
    if query.kind is not None:
        stmt = stmt.where(Offer.kind == query.kind)
    if query.category:
        stmt = stmt.where(Offer.category == query.category)
    if query.price_min_minor is not None:
        stmt = stmt.where(Offer.price_from_minor >= query.price_min_minor)
    if query.price_max_minor is not None:
        stmt = stmt.where(Offer.price_from_minor <= query.price_max_minor)
    if query.max_delivery_days is not None:
        # Stock media has no delivery time (instant download), so it always qualifies.
        stmt = stmt.where(
            or_(
                Offer.delivery_days_min.is_(None),
                Offer.delivery_days_min <= query.max_delivery_days,
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    offset = (query.page - 1) * query.per_page
    if offset >= total:  # past the end (also keeps absurd page numbers away from the driver)
        return CatalogPage([], total, query.page, query.per_page)
    items = session.scalars(
        stmt.order_by(*_ordering(query.sort, ranked_ids))
        .limit(query.per_page)
        .offset(offset)
        .options(
            selectinload(Offer.creator),
            selectinload(Offer.packages),
            selectinload(Offer.stock),
            selectinload(Offer.influencer),
            selectinload(Offer.deliverables),
        )
    ).all()
    return CatalogPage(list(items), total, query.page, query.per_page)


def _ordering(sort: str, ranked_ids: Sequence[int] | None) -> list[Any]:
    if sort == "price_asc":
        return [Offer.price_from_minor.asc(), Offer.id.asc()]
    if sort == "price_desc":
        return [Offer.price_from_minor.desc(), Offer.id.desc()]
    if sort == "relevance" and ranked_ids:
        rank = case({offer_id: i for i, offer_id in enumerate(ranked_ids)}, value=Offer.id)
        return [rank.asc(), Offer.id.desc()]
    return [Offer.published_at.desc(), Offer.id.desc()]
