"""The public catalog: listed offers, filtered, searched, sorted and paginated.

Search is hybrid, like matching: offers ranked by meaning elsewhere (``ranked_ids``, the
matching glue's dense + BM25 search) come first in their order when ``sort="relevance"``,
followed by any other offer that contains every word of the query (the keyword match), so a
literal hit is never lost to the semantic cutoff. Without ``ranked_ids`` only the keyword match
applies and "relevance" means "newest".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, func, or_, select, true
from sqlalchemy.orm import Session, load_only, selectinload

from app.accounts.models import CreatorProfile, User
from app.db import ResultPage
from app.offers.models import Offer, OfferKind, OfferStatus
from app.reviews.models import Reputation, Side

SORTS = ("relevance", "newest", "price_asc", "price_desc")
# Creator levels (app.reviews.formula.LEVELS), lowest first: a filter keeps this level and up.
LEVELS = ("New", "Rising", "Established", "Top")
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
    min_rating: float | None = None  # average stars of the creator's revealed reviews
    min_level: str | None = None  # one of LEVELS
    sort: str = "newest"
    page: int = 1
    per_page: int = 24


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


# What an offer card (templates/offers/_card.html) shows: the catalog page loads only these
# columns of the offer and the creator's id and name (never a full user row).
CARD_COLUMNS = (
    Offer.id,
    Offer.kind,
    Offer.category,
    Offer.title,
    Offer.creator_id,
    Offer.price_from_minor,
    Offer.currency,
    Offer.delivery_days_min,
    Offer.tags,
    Offer.created_at,
    Offer.published_at,
)


def search_catalog(
    session: Session,
    query: CatalogQuery,
    *,
    ranked_ids: Sequence[int] | None = None,
    cards: bool = False,
) -> ResultPage:
    """One page of listed offers matching ``query``.

    ``ranked_ids`` (best first) restricts results to those offers instead of the keyword
    match; with ``sort="relevance"`` they keep that order. Without it, "relevance" is "newest".
    ``cards``: load only what a card shows (the catalog page), not every relationship.
    """
    stmt = listed_offers()
    words = query.q.replace("\x00", " ").strip()[:MAX_QUERY_LENGTH]
    if ranked_ids is not None and words:
        stmt = stmt.where(or_(Offer.id.in_(list(ranked_ids)), keyword_match(words)))
    elif ranked_ids is not None:
        stmt = stmt.where(Offer.id.in_(list(ranked_ids)))
    elif words:
        stmt = stmt.where(keyword_match(words))
    stmt = _reputation_filters(stmt, query)
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
    # Count over ids only: the planner need not carry every offer column through the join.
    counted = stmt.with_only_columns(Offer.id).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    offset = (query.page - 1) * query.per_page
    if offset >= total:  # past the end (also keeps absurd page numbers away from the driver)
        return ResultPage([], total, query.page, query.per_page)
    items = session.scalars(
        stmt.order_by(*_ordering(query.sort, ranked_ids))
        .limit(query.per_page)
        .offset(offset)
        .options(*(card_loading() if cards else _full_loading()))
    ).all()
    return ResultPage(list(items), total, query.page, query.per_page)


def card_loading() -> list[Any]:
    """Loader options for offer cards: the card's columns and the creator's name only.

    No ``raiseload``: loader options stay with the objects in the session's identity map, so
    a later page in the same unit of work (or a test's shared session) that needs the offer's
    other relationships would fail; tests/offers/test_page_statements.py bounds the statements
    instead."""
    return [
        load_only(*CARD_COLUMNS),
        selectinload(Offer.creator).load_only(User.id, User.display_name),
    ]


def _full_loading() -> list[Any]:
    return [
        selectinload(Offer.creator),
        selectinload(Offer.packages),
        selectinload(Offer.stock),
        selectinload(Offer.influencer),
        selectinload(Offer.deliverables),
    ]


def _reputation_filters(stmt: Any, query: CatalogQuery) -> Any:
    if query.min_rating is None and query.min_level in (None, "", LEVELS[0]):
        return stmt
    stmt = stmt.outerjoin(
        Reputation, and_(Reputation.user_id == Offer.creator_id, Reputation.side == Side.CREATOR)
    )
    if query.min_rating is not None:
        stmt = stmt.where(
            Reputation.review_count > 0, Reputation.rating_average >= query.min_rating
        )
    if query.min_level in LEVELS[1:]:
        stmt = stmt.where(Reputation.level.in_(LEVELS[LEVELS.index(query.min_level) :]))
    return stmt


def _ordering(sort: str, ranked_ids: Sequence[int] | None) -> list[Any]:
    if sort == "price_asc":
        return [Offer.price_from_minor.asc(), Offer.id.asc()]
    if sort == "price_desc":
        return [Offer.price_from_minor.desc(), Offer.id.desc()]
    if sort == "relevance" and ranked_ids:
        # Keyword-only hits (not ranked by meaning) follow the ranked ones, newest first.
        rank = case(
            {offer_id: i for i, offer_id in enumerate(ranked_ids)},
            value=Offer.id,
            else_=len(ranked_ids),
        )
        return [rank.asc(), Offer.published_at.desc(), Offer.id.desc()]
    return [Offer.published_at.desc(), Offer.id.desc()]
