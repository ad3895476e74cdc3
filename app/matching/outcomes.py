"""Outcome log of recommendations: what a business was shown for a brief, and what followed.

``record_shown`` is called by the recommendations page and API (first showing of each
creator); the later steps arrive as domain events (``app.matching.wiring``):

* ``creator_viewed``     — "offer.viewed" / "profile.viewed" by a business;
* ``creator_invited``    — "brief.creator_invited" (``briefs.services.invite_creator``);
* ``creator_proposed``   — "proposal.submitted" (``briefs.services.submit_proposal``);
* ``creator_hired``      — "proposal.accept" (the proposal state machine);
* ``creator_reviewed``   — "review.submitted" by the contract's business.

Outcome calls only update existing impressions (a creator who found the brief on the board
has none), set each timestamp once (the first time it happened), and flush nothing of their
own: they ride in the caller's transaction, so a rolled-back action leaves no outcome.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.briefs.models import Brief
from app.matching.models import RecommendationImpression as Impression
from app.offers.models import Offer
from ml.ranking import RankingWeights


class Shown(Protocol):
    """What is logged of one shown recommendation (``services.Recommendation`` has it)."""

    creator: User
    offer: Offer
    score: float
    components: dict[str, float]
    explored: bool
    propensity: float
    explore_pool: list[dict[str, Any]]


SURFACES = ("page", "api", "seed")


def policy_name(weights: RankingWeights) -> str:
    """A stable name for the ranking that produced a list: the hash of all its weights."""
    digest = hashlib.sha256(json.dumps(asdict(weights), sort_keys=True).encode()).hexdigest()
    return f"weights-{digest[:10]}"


def _rounded(values: dict[str, Any]) -> dict[str, float]:
    return {k: round(float(v), 5) for k, v in values.items()}


def record_shown(
    session: Session,
    brief: Brief,
    results: Sequence[Shown],
    *,
    surface: str,
    policy: str,
) -> int:
    """Log the first showing of each recommended creator; returns how many rows were added."""
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}")
    if not results:
        return 0
    logged = set(
        session.scalars(select(Impression.creator_id).where(Impression.brief_id == brief.id))
    )
    rows = [
        Impression(
            brief_id=brief.id,
            creator_id=rec.creator.id,
            offer_id=rec.offer.id,
            rank=rank,
            score=round(rec.score, 6),
            features=_rounded(rec.components),
            explored=rec.explored,
            propensity=rec.propensity,
            pool=[
                {
                    "creator_id": int(alt["owner_id"]),
                    "offer_id": int(alt["doc_id"]),
                    "score": round(float(alt["score"]), 6),
                    "features": _rounded(alt["components"]),
                }
                for alt in rec.explore_pool
            ],
            policy=policy,
            surface=surface,
            shown_at=clock.now(),
        )
        for rank, rec in enumerate(results, start=1)
        if rec.creator.id not in logged
    ]
    if not rows:
        return 0
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        return 0  # a concurrent request logged this page first: its log stands
    return len(rows)


def _mark(session: Session, brief_id: int, creator_id: int, column: str) -> None:
    attr = getattr(Impression, column)
    session.execute(
        update(Impression)
        .where(Impression.brief_id == brief_id, Impression.creator_id == creator_id, attr.is_(None))
        .values({column: clock.now()})
        .execution_options(synchronize_session=False)
    )


def creator_viewed(session: Session, business_id: int, creator_id: int) -> None:
    """The business opened the creator's offer or profile: counts for its briefs' logs."""
    briefs = select(Brief.id).where(Brief.business_id == business_id).scalar_subquery()
    session.execute(
        update(Impression)
        .where(
            Impression.brief_id.in_(briefs),
            Impression.creator_id == creator_id,
            Impression.viewed_at.is_(None),
        )
        .values(viewed_at=clock.now())
        .execution_options(synchronize_session=False)
    )


def creator_invited(session: Session, brief_id: int, creator_id: int) -> None:
    _mark(session, brief_id, creator_id, "invited_at")


def creator_proposed(session: Session, brief_id: int, creator_id: int) -> None:
    _mark(session, brief_id, creator_id, "proposed_at")


def creator_hired(session: Session, brief_id: int, creator_id: int) -> None:
    _mark(session, brief_id, creator_id, "hired_at")


def creator_reviewed(session: Session, brief_id: int, creator_id: int, rating: int) -> None:
    session.execute(
        update(Impression)
        .where(Impression.brief_id == brief_id, Impression.creator_id == creator_id)
        .values(review_score=rating)
        .execution_options(synchronize_session=False)
    )
