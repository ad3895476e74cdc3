"""Matchmaking services: recommended creators for a brief, briefs for a creator, and
semantic catalog search. All ranking lives in ml/; this module loads and explains."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Visibility
from app.errors import DomainError
from app.matching.documents import brief_constraints, brief_query, candidate_meta
from app.matching.index import current_matcher
from app.observability.metrics import timed_match
from app.offers.models import Offer, OfferStatus
from ml.encoder import get_encoder
from ml.explain import matched_terms
from ml.text import Query, query_lexical_text, query_text
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


@timed_match("recommend")
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
        meta_lookup=lambda ids: candidate_meta(session, ids),
        seed=brief.id,
    )
    offers = {
        offer.id: offer
        for offer in session.scalars(
            select(Offer)
            .where(Offer.id.in_([m.doc_id for m in matches]))
            .options(selectinload(Offer.creator).selectinload(User.profile))
        )
    }
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
            )
        )
    return results[:limit]


# A catalog search keeps results whose relevance is at least this share of the best one (and
# above the floor), so a search for "logo" does not trail off into unrelated offers.
SEARCH_RELATIVE_CUTOFF = 0.6
SEARCH_ABSOLUTE_FLOOR = 0.2


@timed_match("search")
def semantic_offer_ids(session: Session, text: str, *, limit: int = 200) -> list[int]:
    """Published offer ids ranked by meaning (dense + BM25) for a catalog search, best first."""
    matcher = current_matcher(session)
    matches = matcher.match(Query(title=text), k=limit, group_by_owner=False)
    if not matches:
        return []
    cutoff = max(SEARCH_ABSOLUTE_FLOOR, SEARCH_RELATIVE_CUTOFF * matches[0].relevance)
    return [m.doc_id for m in matches if m.relevance >= cutoff]


# --- briefs for a creator ---------------------------------------------------------------

_brief_vectors: dict[tuple[int, str], np.ndarray] = {}
_brief_vectors_lock = threading.Lock()


def _brief_vector(brief: Brief) -> np.ndarray:
    """Embedding of a brief, cached per process until the brief is edited."""
    key = (brief.id, brief.updated_at.isoformat())
    with _brief_vectors_lock:
        cached = _brief_vectors.get(key)
    if cached is None:
        cached = get_encoder().encode_one(query_text(brief_query(brief)))
        with _brief_vectors_lock:
            _brief_vectors[key] = cached
    return cached


@dataclass
class BriefSuggestion:
    brief: Brief
    score: float
    matched_terms: list[str]
    invited: bool


@timed_match("briefs_for_creator")
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
    suggestions = []
    for brief in briefs:
        similarity = float(np.max(creator_vectors @ _brief_vector(brief)))
        terms = matched_terms(query_lexical_text(brief_query(brief)), creator_terms)
        score = similarity + 0.02 * min(len(terms), 5) + (1.0 if brief.id in invited_ids else 0.0)
        suggestions.append(BriefSuggestion(brief, score, terms, brief.id in invited_ids))
    suggestions.sort(key=lambda s: -s.score)
    return suggestions[:limit]
