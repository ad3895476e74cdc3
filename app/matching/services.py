"""Matchmaking services: recommended creators for a brief, briefs for a creator, and
semantic catalog search. All ranking lives in ml/; this module loads and explains."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import fx
from app.accounts.models import User
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Visibility
from app.errors import DomainError
from app.matching import outcomes, vectors
from app.matching.documents import brief_constraints, brief_query, candidate_meta
from app.matching.index import current_matcher
from app.matching.slots import ranking
from app.media import gallery
from app.media.gallery import Cover
from app.media.models import GalleryImage
from app.observability.metrics import timed_match
from app.offers.models import Offer, OfferStatus
from app.reviews.track_record import TrackRecord, track_records
from ml.encoder import get_encoder
from ml.explain import matched_terms
from ml.text import Query, query_lexical_text
from ml.tokens import tokenize

MAX_LIMIT = 50


class MatchingUnavailable(DomainError):
    status = 503
    code = "matching_unavailable"


@dataclass
class Recommendation:
    creator: User
    offer: Offer
    score: float
    relevance: float
    matched_terms: list[str]
    matched_skills: list[str]
    best_text: str
    reasons: list[str]
    components: dict[str, float]
    explored: bool
    invited: bool = False
    other_offers: list[int] = field(default_factory=list)
    # What the card shows besides the match (filled by ``recommend_creators``).
    track: TrackRecord = field(default_factory=TrackRecord)
    asked_skills: list[str] = field(default_factory=list)
    thumbnails: list[Cover] = field(default_factory=list)
    avatar: GalleryImage | None = None
    price_in_brief_currency: int | None = None
    propensity: float = 1.0  # < 1 only in an exploration slot (see ml.ranking)
    explore_pool: list[dict[str, Any]] = field(default_factory=list)


def asked_skills(brief: Brief, offer: Offer, matched: list[str]) -> list[str]:
    """The brief's own skills (in its spelling) that the offer or its creator covers: only
    what the buyer asked for, never a skill the offer merely mentions."""
    covered = {s.strip().lower() for s in matched}
    covered |= {t.strip().lower() for t in offer.tags}
    profile = offer.creator.profile
    if profile is not None:
        covered |= {s.strip().lower() for s in profile.skills}
    return [skill for skill in brief.skills if skill.strip().lower() in covered]


def _card_pictures(session: Session, offers: list[Offer], limit: int = 3) -> dict[int, list[Cover]]:
    """Up to ``limit`` thumbnails per creator: portfolio items first, then the pictures of the
    recommended offer (gallery or approved stock media)."""
    creator_ids = [offer.creator_id for offer in offers]
    portfolio = gallery.portfolios(session, creator_ids, limit=limit)
    offer_ids = [offer.id for offer in offers]
    own = gallery.offer_images(session, offer_ids)
    stock = gallery.stock_assets(session, offer_ids, limit=limit)
    out: dict[int, list[Cover]] = {}
    for offer in offers:
        pictures: list[Cover] = list(portfolio.get(offer.creator_id, []))
        pictures += own.get(offer.id, [])
        pictures += stock.get(offer.id, [])
        out[offer.creator_id] = pictures[:limit]
    return out


@timed_match("recommend")
@ranking
def recommend_creators(session: Session, brief: Brief, *, limit: int = 10) -> list[Recommendation]:
    """Creators ranked for ``brief``, best first, each with the reasons why.

    Raises DomainError when ``limit`` is out of range. Reads only.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    matcher = current_matcher(session)
    matches = matcher.match(
        brief_query(brief),
        k=limit + 1,  # the brief's owner may sell too; they are dropped below
        constraints=brief_constraints(brief),
        meta_lookup=lambda ids: candidate_meta(session, ids, brief.currency),
        seed=brief.id,
        qvec=vectors.brief_vector(session, brief),  # stored when the brief was saved
    )
    offers = {
        offer.id: offer
        for offer in session.scalars(
            select(Offer)
            .where(Offer.id.in_([m.doc_id for m in matches]))
            .options(selectinload(Offer.creator).selectinload(User.profile))
        )
    }
    kept = [
        offers[m.doc_id]
        for m in matches
        if m.doc_id in offers and offers[m.doc_id].creator_id != brief.business_id
    ]
    records = track_records(session, [offer.creator_id for offer in kept])
    thumbnails = _card_pictures(session, kept)
    avatars = gallery.avatars_of(session, [offer.creator_id for offer in kept])
    invited = set(
        session.scalars(
            select(BriefInvitation.creator_id).where(BriefInvitation.brief_id == brief.id)
        )
    )
    results = []
    for match in matches:
        offer = offers.get(match.doc_id)
        if offer is None or offer.creator_id == brief.business_id:
            continue
        results.append(
            Recommendation(
                creator=offer.creator,
                offer=offer,
                score=match.score,
                relevance=match.relevance,
                matched_terms=match.matched_terms,
                matched_skills=match.matched_skills,
                best_text=match.best_text,
                reasons=match.reasons,
                components=match.components,
                explored=match.explored,
                invited=offer.creator_id in invited,
                other_offers=match.other_doc_ids,
                track=records.get(offer.creator_id, TrackRecord()),
                asked_skills=asked_skills(brief, offer, match.matched_skills),
                thumbnails=thumbnails.get(offer.creator_id, []),
                avatar=avatars.get(offer.creator_id),
                price_in_brief_currency=_converted(offer, brief.currency),
                propensity=match.propensity,
                explore_pool=[
                    alt for alt in match.explore_pool if alt["owner_id"] != brief.business_id
                ],
            )
        )
    return results[:limit]


def _converted(offer: Offer, currency: str) -> int | None:
    if offer.price_from_minor is None or offer.currency == currency:
        return None
    try:
        return fx.convert(offer.price_from_minor, offer.currency, currency)
    except fx.UnknownCurrency:
        return None


def log_shown(session: Session, brief: Brief, results: list[Recommendation], surface: str) -> None:
    """Outcome log: remember what this ranking showed for ``brief`` (first showing only)."""
    policy = outcomes.policy_name(current_matcher(session).weights)
    outcomes.record_shown(session, brief, results, surface=surface, policy=policy)


# A catalog search keeps results whose relevance is at least this share of the best one (and
# above the floor), so a search for "logo" does not trail off into unrelated offers.
SEARCH_RELATIVE_CUTOFF = 0.6
SEARCH_ABSOLUTE_FLOOR = 0.2


def _offer_ids_near(
    session: Session, text: str, limit: int, cutoff: Callable[[float], float]
) -> list[int]:
    """Offer ids matching ``text`` by meaning, best first, keeping those whose relevance is at
    least ``cutoff(best relevance)``."""
    matcher = current_matcher(session)
    matches = matcher.match(Query(title=text), k=limit, group_by_owner=False, explain=False)
    if not matches:
        return []
    floor = cutoff(matches[0].relevance)
    return [m.doc_id for m in matches if m.relevance >= floor]


@timed_match("search")
@ranking
def semantic_offer_ids(session: Session, text: str, *, limit: int = 200) -> list[int]:
    """Published offer ids ranked by meaning (dense + BM25) for a catalog search, best first."""
    return _offer_ids_near(
        session,
        text,
        limit,
        lambda best: max(SEARCH_ABSOLUTE_FLOOR, SEARCH_RELATIVE_CUTOFF * best),
    )


# When nothing passes the cutoffs, the catalog shows the nearest offers anyway (with a note),
# keeping those close to the best of them so a vague query does not list the whole catalog.
NEAREST_RELATIVE_CUTOFF = 0.75


@timed_match("search")
@ranking
def nearest_offer_ids(session: Session, text: str, *, limit: int = 12) -> list[int]:
    """The offers closest in meaning to ``text`` however far they are, best first."""
    return _offer_ids_near(session, text, limit, lambda best: NEAREST_RELATIVE_CUTOFF * best)


# --- briefs for a creator ---------------------------------------------------------------


@dataclass
class BriefSuggestion:
    brief: Brief
    score: float
    matched_terms: list[str]
    invited: bool


@timed_match("briefs_for_creator")
@ranking
def briefs_for_creator(
    session: Session, creator: User, *, limit: int = 10
) -> list[BriefSuggestion]:
    """Open briefs a creator fits, by meaning (their offers and profile vs the brief) and by
    shared terms; briefs they were invited to come first."""
    offers = session.scalars(
        select(Offer).where(Offer.creator_id == creator.id, Offer.status == OfferStatus.PUBLISHED)
    ).all()
    profile = creator.profile
    texts = [f"{o.title}. {o.description}" for o in offers]
    if profile is not None and (profile.headline or profile.skills):
        texts.append(f"{profile.headline}. {', '.join(profile.skills)}")
    if not texts:
        return []
    invited_ids = set(
        session.scalars(
            select(BriefInvitation.brief_id).where(BriefInvitation.creator_id == creator.id)
        )
    )
    briefs = session.scalars(
        select(Brief)
        .where(Brief.status == BriefStatus.OPEN, Brief.business_id != creator.id)
        .where(Brief.hidden_at.is_(None))
        .where((Brief.visibility == Visibility.PUBLIC) | Brief.id.in_(invited_ids or {-1}))
        .order_by(Brief.id.desc())
        .limit(500)
    ).all()
    if not briefs:
        return []
    creator_vectors = get_encoder().encode(texts)
    creator_terms = set(tokenize(" ".join(texts)))
    stored = vectors.brief_vectors(session, briefs)
    suggestions = []
    for brief in briefs:
        similarity = float(np.max(creator_vectors @ stored[brief.id]))
        terms = matched_terms(query_lexical_text(brief_query(brief)), creator_terms)
        score = similarity + 0.02 * min(len(terms), 5) + (1.0 if brief.id in invited_ids else 0.0)
        suggestions.append(BriefSuggestion(brief, score, terms, brief.id in invited_ids))
    suggestions.sort(key=lambda s: -s.score)
    return suggestions[:limit]
