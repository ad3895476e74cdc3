"""Clusters of similar demand: open public briefs and live interests, grouped by the cosine
similarity of their stored matching-encoder vectors (read-only; nothing is encoded here).

Grouping is average-linkage agglomerative clustering with a similarity threshold: start with
one group per item and merge the most similar pair of groups while their mean pairwise cosine
is at least ``THRESHOLD``. Average linkage does not chain unrelated items through a bridge the
way single linkage (connected components) does. Items are ordered by (kind, id) and ties go to
the lowest pair, so the same data always gives the same clusters.

A cluster's key names its medoid (the member most similar to the others): ``brief-12`` or
``interest-7``. The key survives small changes (a new member rarely moves the medoid), and
``members_of`` resolves a key to the current cluster that holds that item.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.briefs.models import Brief, BriefStatus, Visibility
from app.demand import cache
from app.demand.models import Interest
from app.demand.services import current_vector
from app.matching.vectors import stored_vectors

THRESHOLD = 0.45  # mean cosine within a cluster (all-MiniLM-L6-v2; see tests/demand)
MIN_MEMBERS = 2  # a single brief is not a cluster
MAX_ITEMS = 400  # the newest briefs and interests considered (O(n^3) worst case)
MAX_CLUSTERS = 12


@dataclass(frozen=True)
class Item:
    kind: str  # "brief" | "interest"
    id: int
    business_id: int
    title: str
    category: str | None
    budget: tuple[int, int, str] | None  # (min, max, currency) in minor units

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass
class Cluster:
    key: str
    title: str
    category: str | None
    members: list[Item]
    briefs: int = 0
    interests: int = 0
    businesses: int = 0
    budgets: dict[str, tuple[int, int]] = field(default_factory=dict)  # currency -> min, max

    @property
    def business_ids(self) -> set[int]:
        return {item.business_id for item in self.members}

    def description(self) -> str:
        titles = list(dict.fromkeys(item.title for item in self.members))[:3]
        return (
            f"Asked for by {self.businesses} business{'es' if self.businesses != 1 else ''}"
            f" ({self.briefs} open brief{'s' if self.briefs != 1 else ''},"
            f" {self.interests} interest{'s' if self.interests != 1 else ''}): "
            + "; ".join(titles)
            + "."
        )


def _items(session: Session) -> tuple[list[Item], np.ndarray]:
    briefs = session.scalars(
        select(Brief)
        .where(Brief.status == BriefStatus.OPEN, Brief.visibility == Visibility.PUBLIC)
        .where(Brief.hidden_at.is_(None))
        .order_by(Brief.id.desc())
        .limit(MAX_ITEMS)
    ).all()
    vectors = stored_vectors(session, briefs)
    items: list[Item] = []
    rows: list[np.ndarray] = []
    for brief in sorted(briefs, key=lambda b: b.id):
        if (vec := vectors.get(brief.id)) is not None:
            span = (brief.budget_min_minor, brief.budget_max_minor, brief.currency)
            items.append(
                Item("brief", brief.id, brief.business_id, brief.title, brief.category, span)
            )
            rows.append(vec)
    interests = session.scalars(
        select(Interest)
        .where(Interest.withdrawn_at.is_(None), Interest.vector.is_not(None))
        .order_by(Interest.id.desc())
        .limit(MAX_ITEMS)
    ).all()
    for interest in sorted(interests, key=lambda i: i.id):
        if (vec := current_vector(interest)) is None:
            continue
        budget: tuple[int, int, str] | None = None
        if interest.budget_min_minor and interest.budget_max_minor and interest.currency:
            budget = (interest.budget_min_minor, interest.budget_max_minor, interest.currency)
        title = (interest.skill or interest.category or "").capitalize()
        items.append(
            Item("interest", interest.id, interest.business_id, title, interest.category, budget)
        )
        rows.append(vec)
    matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
    return items, matrix


def group(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Average-linkage groups of the rows of ``vectors`` (unit length), as sorted row lists."""
    n = len(vectors)
    if n == 0:
        return []
    sim = (vectors @ vectors.T).astype(np.float64)
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    alive = np.ones(n, dtype=bool)
    members = [[i] for i in range(n)]
    while True:  # merged-away rows and columns are -inf, so argmax only sees live groups
        best = int(np.argmax(sim))  # first maximum: deterministic tie-break
        a, b = divmod(best, n)
        if sim[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        merged = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sizes[a] += sizes[b]
        alive[b] = False
        sim[b], sim[:, b] = -np.inf, -np.inf
        members[a] = sorted(members[a] + members[b])
    return [members[i] for i in range(n) if alive[i]]


def _cluster(items: list[Item], rows: list[int], vectors: np.ndarray) -> Cluster:
    part = vectors[rows]
    centrality = (part @ part.T).sum(axis=1)
    medoid = rows[int(np.argmax(centrality))]
    members = [items[r] for r in rows]
    # The title a creator sees (and the pool form gets) is the most central brief's, in a
    # business's own words; a cluster of interests only is named by its central interest.
    briefs = [i for i, item in enumerate(members) if item.kind == "brief"]
    named = members[max(briefs, key=lambda i: centrality[i])] if briefs else items[medoid]
    categories = Counter(item.category for item in members if item.category)
    category = min(categories, key=lambda c: (-categories[c], c)) if categories else None
    cluster = Cluster(key=items[medoid].key, title=named.title, category=category, members=members)
    cluster.briefs = sum(item.kind == "brief" for item in members)
    cluster.interests = len(members) - cluster.briefs
    cluster.businesses = len(cluster.business_ids)
    for item in members:
        if item.budget is None:
            continue
        low, high, currency = item.budget
        was = cluster.budgets.get(currency)
        cluster.budgets[currency] = (
            (low, high) if was is None else (min(was[0], low), max(was[1], high))
        )
    cluster.budgets = dict(sorted(cluster.budgets.items()))
    return cluster


def _compute(session: Session, minimum: int) -> list[Cluster]:
    items, vectors = _items(session)
    clusters = [_cluster(items, rows, vectors) for rows in group(vectors) if len(rows) >= minimum]
    return sorted(clusters, key=lambda c: (-len(c.members), -c.businesses, c.key))


def all_clusters(session: Session, *, minimum: int = MIN_MEMBERS) -> list[Cluster]:
    """Every cluster of at least ``minimum`` members, largest first (then by key); computed
    once per change of the demand (app.demand.cache), not per view."""
    found = cache.cached(session, f"clusters-{minimum}", lambda: _compute(session, minimum))
    return list(found)


def clusters(session: Session, limit: int = MAX_CLUSTERS) -> list[Cluster]:
    """The largest clusters of demand, for a creator's insights."""
    return all_clusters(session)[:limit]


def members_of(session: Session, key: str) -> Cluster | None:
    """The current cluster holding the item named by ``key`` (its medoid when the cluster
    was shown), or None when that item is gone or no longer in a cluster."""
    return next((c for c in all_clusters(session) if key in {m.key for m in c.members}), None)


def start_pool_url(cluster: Cluster) -> str:
    """The one-click link to a demand pool form pre-filled from ``cluster`` (app.pools)."""
    return url_for(
        "pools.new",
        title=cluster.title[:120],
        description=cluster.description(),
        category=cluster.category,
        cluster=cluster.key,
    )
