"""Bookkeeping that keeps every process's FAISS index in step with the offers table.

An offer change appends an ``IndexOutbox`` row in the same transaction, so no change is ever
lost; whoever applies the outbox (after commit, under a file lock) records the last applied
row and bumps ``IndexState.version``; other processes reload their index when it moves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.db import Base, BigId, IdMixin, JsonType


class IndexState(Base):
    __tablename__ = "index_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigId, default=0)
    applied_outbox_id: Mapped[int] = mapped_column(BigId, default=0)
    documents: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class IndexOutbox(IdMixin, Base):
    __tablename__ = "index_outbox"

    offer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class RecommendationImpression(IdMixin, Base):
    """A creator shown to a business as a recommendation for one brief, and what followed.

    One row per (brief, creator): the *first* showing is what a ranking policy decided, so
    later reloads of the page do not add rows. ``features`` are the ranking components the
    score was made of; ``propensity`` is the probability that the shown creator landed in this
    slot (1 for ranked slots, ``1/len(pool)`` for an exploration slot, whose ``pool`` lists
    every alternative with its features). The outcome columns are filled in by small hooks in
    the views/services where each step happens (``app.matching.outcomes``).
    """

    __tablename__ = "recommendation_impressions"
    __table_args__ = (
        UniqueConstraint("brief_id", "creator_id"),
        CheckConstraint("rank >= 1", name="rank_positive"),
        CheckConstraint("propensity > 0 AND propensity <= 1", name="propensity_range"),
        CheckConstraint("review_score BETWEEN 1 AND 5", name="review_score_range"),
    )

    brief_id: Mapped[int] = mapped_column(BigId, ForeignKey("briefs.id", ondelete="CASCADE"))
    creator_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("offers.id", ondelete="SET NULL")
    )
    rank: Mapped[int]
    score: Mapped[float]
    features: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explored: Mapped[bool] = mapped_column(default=False)
    propensity: Mapped[float] = mapped_column(default=1.0)
    pool: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list)
    policy: Mapped[str] = mapped_column(String(64))
    surface: Mapped[str] = mapped_column(String(16))
    shown_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    viewed_at: Mapped[datetime | None]
    invited_at: Mapped[datetime | None]
    proposed_at: Mapped[datetime | None]
    hired_at: Mapped[datetime | None]
    review_score: Mapped[int | None]


class BriefVector(Base):
    """A brief's embedding, computed off the request path when the brief is created, edited
    or published (job ``matching.encode_brief``), so a matches view never encodes it again.

    ``text_hash`` is the hash of the text that was encoded: a vector whose hash differs from
    the brief's current text is stale and not used (the request encodes once, through the
    process's query-vector LRU, until the job has stored the new one).
    """

    __tablename__ = "brief_vectors"

    brief_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("briefs.id", ondelete="CASCADE"), primary_key=True
    )
    text_hash: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, DIM values
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
