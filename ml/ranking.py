"""The one place where match scores are combined.

``relevance`` = ``dense_main * w_main + dense_extra * w_extra + lexical * w_lexical`` where
``lexical`` is BM25 divided by the best BM25 score of the query (0..1), and ``dense_extra`` is
the best cosine over the document's extra vectors (the main cosine when it has none).
Relevance weights were chosen on the dev set from a flat region (ml/README.md), not per query.

Business fits are each in ``[0, 1]`` (1 = perfect) and enter as *penalties* ``w * (fit - 1)``,
so a candidate that fits everything keeps its relevance and the order among perfect fits is
pure relevance. Reputation enters as ``w_reputation * (reputation - 0.5)`` with the neutral
prior 0.5 for creators without reviews, so "no reviews" is neither rewarded nor punished.
When no metadata (or no constraints) is given, the corresponding terms are 0: evaluation
ranks by relevance only.

Exploration: one slot in every ``explore_every`` (default: the 10th, 20th, ...) is reserved
for a *new* creator whose relevance is at least ``explore_min_relevance`` times the relevance
of the result it displaces from that slot. (It used to be "times the best result's": on real
pages relevance falls well below 0.85 × the best by rank 10, so the slot almost never fired and
the outcome log had no randomised slots to learn from; see ml/README.md.)
Among the eligible, one is drawn with a seeded RNG keyed by the query, so
the same brief gets the same page (stable pagination, reproducible tests) while different
briefs rotate different newcomers. See :func:`apply_exploration`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RankingWeights:
    """All weights of the final score (see module docstring for the formula)."""

    w_main: float = 0.6  # cosine(brief, title+description)
    w_extra: float = 0.4  # best cosine(brief, extra text: package / headline / alt title)
    w_lexical: float = 0.15  # BM25 / max BM25 of the query
    w_price: float = 0.15  # penalty at price_fit = 0 (>= 2x over budget)
    w_kind: float = 0.25  # penalty when the offer kind is not one the buyer wants
    w_delivery: float = 0.10  # penalty at delivery_fit = 0 (>= 2x the time to deadline)
    w_available: float = 0.20  # penalty when the creator is not taking work
    w_reputation: float = 0.10  # +-0.05 around the neutral prior 0.5
    w_audience: float = 0.20  # penalty at audience_fit = 0 (influencer briefs with audience wishes)
    w_far_over_budget: float = 0.30  # extra penalty from 2x the budget maximum on
    reputation_prior: float = 0.5
    explore_every: int = 10  # 1 slot in N for a new creator; 0 disables exploration
    explore_min_relevance: float = 0.85  # eligible if relevance >= this x the displaced one
    candidates: int = 100  # per-retriever candidate depth before re-ranking


DEFAULT_WEIGHTS = RankingWeights()


@dataclass(frozen=True)
class CandidateMeta:
    """Per-offer business metadata supplied by the app (money in minor units, e.g. cents)."""

    price_from_minor: int | None = None
    currency: str | None = None
    delivery_days: int | None = None
    kind: str = "service"
    available: bool = True
    reputation: float | None = None  # 0..1, None = no reviews yet
    is_new: bool = False
    # When the app converted the price into the brief's currency: what the offer lists.
    listed_price_minor: int | None = None
    listed_currency: str | None = None
    # Influencer offers: what their channel reaches (ISO country codes, followers, engagement).
    audience_regions: frozenset[str] = frozenset()
    audience_size: int | None = None
    engagement_bp: int | None = None


@dataclass(frozen=True)
class BriefConstraints:
    """What the buyer asked for beyond the text."""

    budget_min_minor: int | None = None
    budget_max_minor: int | None = None
    currency: str | None = None
    kinds_wanted: frozenset[str] = frozenset()
    days_until_deadline: int | None = None
    # Influencer briefs: the audience wanted (empty / None = no preference).
    audience_regions: frozenset[str] = frozenset()
    followers_min: int | None = None
    followers_max: int | None = None
    min_engagement_bp: int | None = None
    # (code, name) pairs so reasons name countries as people do ("Germany", not "DE").
    region_names: tuple[tuple[str, str], ...] = ()

    @property
    def wants_audience(self) -> bool:
        return bool(self.audience_regions) or any(
            v is not None for v in (self.followers_min, self.followers_max, self.min_engagement_bp)
        )


def format_money(minor: int, currency: str | None) -> str:
    return f"{minor / 100:,.2f} {currency or ''}".strip()


def price_fit(meta: CandidateMeta, c: BriefConstraints) -> tuple[float, str | None]:
    """1 within budget (or unknown), decaying linearly to 0 at twice the budget maximum."""
    price = meta.price_from_minor
    if price is None or c.budget_max_minor is None:
        return 1.0, None
    if c.currency and meta.currency and c.currency.upper() != meta.currency.upper():
        # No FX rates here: a different currency is a half-fit, and we say so.
        return 0.5, f"priced in {meta.currency.upper()}, budget in {c.currency.upper()}"
    shown = format_money(price, meta.currency or c.currency)
    if meta.listed_price_minor is not None and meta.listed_currency:
        shown = f"≈ {shown} ({format_money(meta.listed_price_minor, meta.listed_currency)})"
    if price <= c.budget_max_minor:
        return 1.0, f"from {shown}, within budget"
    over = (price - c.budget_max_minor) / max(c.budget_max_minor, 1)
    return max(0.0, 1.0 - over), f"from {shown}, {over:.0%} over budget"


def delivery_fit(meta: CandidateMeta, c: BriefConstraints) -> tuple[float, str | None]:
    """1 when delivery fits the deadline (or unknown), 0 at twice the available time."""
    days, deadline = meta.delivery_days, c.days_until_deadline
    if days is None or deadline is None:
        return 1.0, None
    if days <= deadline:
        return 1.0, f"delivers in {days} days, deadline in {deadline} days"
    late = (days - deadline) / max(deadline, 1)
    return max(
        0.0, 1.0 - late
    ), f"delivers in {days} days, {days - deadline} days after the deadline"


def far_over_budget(meta: CandidateMeta, c: BriefConstraints) -> float:
    """1 when the price is at least twice the budget maximum (same currency), else 0: past
    that point ``price_fit`` is already 0, and such creators must not crowd the first page."""
    price, budget = meta.price_from_minor, c.budget_max_minor
    if price is None or budget is None:
        return 0.0
    if c.currency and meta.currency and c.currency.upper() != meta.currency.upper():
        return 0.0
    return 1.0 if price >= 2 * budget else 0.0


def _compact(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M".replace(".0M", "M")
    if n >= 1_000:
        return f"{n / 1_000:.0f}k"
    return str(n)


def audience_fit(meta: CandidateMeta, c: BriefConstraints) -> tuple[float, list[str]]:
    """Mean of the asked-for audience criteria the offer meets (regions: share of wanted
    regions reached; followers: 1 inside the range, decaying to 0 at 4x outside it;
    engagement: 1 at or above the minimum, else the ratio). 1 when nothing is asked or the
    offer declares no audience (not an influencer offer)."""
    if not c.wants_audience or meta.audience_size is None:
        return 1.0, []
    parts: list[float] = []
    reasons: list[str] = []
    if c.audience_regions:
        names = dict(c.region_names)
        reached = sorted(names.get(r, r) for r in c.audience_regions & meta.audience_regions)
        parts.append(len(reached) / len(c.audience_regions))
        reasons.append(
            f"audience in {', '.join(reached)}"
            if reached
            else "audience outside the regions asked for"
        )
    if c.followers_min is not None or c.followers_max is not None:
        size, low, high = meta.audience_size, c.followers_min or 0, c.followers_max
        if size < low:
            fit = max(0.0, 1.0 - (low - size) / max(low * 3, 1))
        elif high is not None and size > high:
            fit = max(0.0, 1.0 - (size - high) / max(high * 3, 1))
        else:
            fit = 1.0
        parts.append(fit)
        inside = "within" if fit == 1.0 else "outside"
        reasons.append(f"{_compact(size)} followers, {inside} the range asked for")
    if c.min_engagement_bp is not None and meta.engagement_bp is not None:
        ok = meta.engagement_bp >= c.min_engagement_bp
        parts.append(1.0 if ok else meta.engagement_bp / max(c.min_engagement_bp, 1))
        reasons.append(
            f"engagement {meta.engagement_bp / 100:.1f}% "
            f"({'at least' if ok else 'below'} the {c.min_engagement_bp / 100:.1f}% asked for)"
        )
    return (sum(parts) / len(parts) if parts else 1.0), reasons


def business_adjustment(
    meta: CandidateMeta | None,
    constraints: BriefConstraints | None,
    w: RankingWeights = DEFAULT_WEIGHTS,
) -> tuple[float, dict[str, float], list[str]]:
    """Return ``(adjustment, component fits, human-readable reasons)`` for one candidate."""
    if meta is None:
        return 0.0, {}, []
    comps: dict[str, float] = {}
    reasons: list[str] = []
    rep = w.reputation_prior if meta.reputation is None else min(max(meta.reputation, 0.0), 1.0)
    comps["available"] = 1.0 if meta.available else 0.0
    comps["reputation"] = rep
    if not meta.available:
        reasons.append("not taking new work right now")
    adj = w.w_available * (comps["available"] - 1.0) + w.w_reputation * (rep - w.reputation_prior)
    if constraints is not None:
        pf, why = price_fit(meta, constraints)
        comps["price_fit"] = pf
        reasons += [why] if why else []
        kf = 1.0 if not constraints.kinds_wanted or meta.kind in constraints.kinds_wanted else 0.0
        comps["kind_fit"] = kf
        if kf == 0.0:
            # "stock media", not the internal "stock_media".
            wanted = " or ".join(sorted(k.replace("_", " ") for k in constraints.kinds_wanted))
            reasons.append(f"offers {meta.kind.replace('_', ' ')}, brief wants {wanted}")
        df, why = delivery_fit(meta, constraints)
        comps["delivery_fit"] = df
        reasons += [why] if why else []
        adj += w.w_price * (pf - 1.0) + w.w_kind * (kf - 1.0) + w.w_delivery * (df - 1.0)
        far = far_over_budget(meta, constraints)
        if far:
            comps["far_over_budget"] = far
            adj -= w.w_far_over_budget * far
        if constraints.wants_audience and meta.audience_size is not None:
            af, why_audience = audience_fit(meta, constraints)
            comps["audience_fit"] = af
            reasons += why_audience
            adj += w.w_audience * (af - 1.0)
    return adj, comps, reasons


# The draw is among the best-ranked eligible newcomers only: keeps the slot relevant and the
# logged pool (for off-policy evaluation) small.
EXPLORE_POOL_MAX = 20


def apply_exploration(
    order: list[int],
    relevance: dict[int, float],
    is_new: dict[int, bool],
    k: int,
    seed: int,
    query_key: str,
    w: RankingWeights = DEFAULT_WEIGHTS,
    pools: dict[int, list[int]] | None = None,
) -> tuple[list[int], set[int]]:
    """Reserve slot ``explore_every``, ``2*explore_every``, ... of ``order`` for new creators.

    ``order`` is the ranked list of candidate keys (longer than ``k`` if possible). For each
    reserved slot within ``k``, if no new creator already sits in that block, one eligible new
    creator from below the page is moved into the slot. Returns ``(new order, explored keys)``.
    Deterministic for a given ``seed`` and ``query_key``. If ``pools`` is given, it receives
    for each explored key the eligible pool it was drawn from (uniformly, so the logging
    propensity of the pick is ``1 / len(pool)``): what off-policy evaluation needs.
    """
    n = w.explore_every
    if n <= 0 or not order or len(order) <= 1:
        return order, set()
    digest = hashlib.sha256(f"{seed}:{query_key}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    out = list(order)
    explored: set[int] = set()
    for slot in range(n - 1, min(k, len(out)), n):
        block = out[slot - n + 1 : slot + 1]
        if any(is_new.get(key, False) for key in block):
            continue
        floor = w.explore_min_relevance * relevance.get(out[slot], 0.0)
        pool = [
            key
            for key in out[slot + 1 :]
            if is_new.get(key, False) and relevance.get(key, 0.0) >= floor
        ][:EXPLORE_POOL_MAX]
        if not pool:
            continue
        pick = rng.choice(pool)
        if pools is not None:
            pools[pick] = pool
        out.remove(pick)
        out.insert(slot, pick)
        explored.add(pick)
    return out, explored
