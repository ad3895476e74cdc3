"""A small learned re-ranker over the ranking features, and its off-policy evaluation.

Training: L2-regularised logistic regression (Newton steps, numpy only) predicting whether a
shown creator was *engaged* (invited, sent a proposal or hired) from the same components the
hand-set score is made of (:data:`FEATURES`). Position bias: a creator shown first is looked
at more whatever their merit, so ``log2(rank)`` is a training-only covariate that absorbs it
and is dropped at inference (the usual position-aware trick).

Evaluation (inverse-propensity weighting): only exploration slots were filled at random —
uniformly among a logged pool of eligible newcomers, so the shown creator had propensity
``1/|pool|``. A deterministic policy that would have picked ``a*`` from the same pool earns
the estimate ``|pool| · reward · 1[a* == shown]`` for that slot; averaging over slots is an
unbiased estimate of its value, and the *paired* per-slot difference of two policies (the
candidate vs the current weights) has an honest standard error. Ranked slots are not random,
so they are used to train but never to evaluate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FEATURES: tuple[str, ...] = (
    "dense_main",
    "dense_extra",
    "lexical",
    "price_fit",
    "kind_fit",
    "delivery_fit",
    "available",
    "reputation",
    "far_over_budget",
    "audience_fit",
)
# What a missing component means: no constraint = perfect fit, no reviews = neutral prior.
NEUTRAL = {
    "price_fit": 1.0,
    "kind_fit": 1.0,
    "delivery_fit": 1.0,
    "available": 1.0,
    "audience_fit": 1.0,
}
NEUTRAL_REPUTATION = 0.5
# Utility of what followed a showing (the best step reached counts).
REWARDS = {"hired": 1.0, "proposed": 0.5, "invited": 0.3, "viewed": 0.1}


def reward(outcomes: Mapping[str, bool]) -> float:
    return max((REWARDS[name] for name, happened in outcomes.items() if happened), default=0.0)


def vectorize(
    rows: Sequence[Mapping[str, float]], features: Sequence[str] = FEATURES
) -> np.ndarray:
    out = np.zeros((len(rows), len(features)))
    for i, comps in enumerate(rows):
        for j, name in enumerate(features):
            default = NEUTRAL_REPUTATION if name == "reputation" else NEUTRAL.get(name, 0.0)
            out[i, j] = float(comps.get(name, default))
    return out


@dataclass(frozen=True)
class LinearReranker:
    """``score = intercept + Σ coef · (x − mean) / scale`` over :attr:`features`."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def scores(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        x = (vectorize(rows, self.features) - np.asarray(self.mean)) / np.asarray(self.scale)
        return np.asarray(self.intercept + x @ np.asarray(self.coef), dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "logistic",
            "features": list(self.features),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "mean": list(self.mean),
            "scale": list(self.scale),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearReranker:
        return cls(
            tuple(data["features"]),
            tuple(map(float, data["coef"])),
            float(data["intercept"]),
            tuple(map(float, data["mean"])),
            tuple(map(float, data["scale"])),
        )


def fit_logistic(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    ranks: Sequence[int] | None = None,
    l2: float = 1.0,
    features: Sequence[str] = FEATURES,
) -> LinearReranker:
    """Fit on shown rows (``labels`` 1 = engaged); ``ranks`` enable the position covariate."""
    x = vectorize(rows, features)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature gets weight 0 through the penalty
    z = (x - mean) / scale
    if ranks is not None:
        z = np.column_stack([z, np.log2(np.asarray(ranks, dtype=np.float64))])
    design = np.column_stack([np.ones(len(z)), z])
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(50):  # Newton / IRLS; converges in a handful of steps
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (p - y) + penalty * w
        hess = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    n = len(features)
    return LinearReranker(
        tuple(features),
        tuple(float(c) for c in w[1 : 1 + n]),
        float(w[0]),
        tuple(float(m) for m in mean),
        tuple(float(s) for s in scale),
    )


@dataclass
class ExplorationSlot:
    """One randomised slot: the pool it was drawn from and what happened to the pick."""

    group: int  # e.g. the brief id: folds never split a group
    pool: list[Mapping[str, float]]  # features of every eligible candidate
    current_scores: list[float]  # the logging policy's (hand-set weights') score of each
    shown: int  # index into pool of the candidate actually shown
    reward: float

    @property
    def inverse_propensity(self) -> float:
        return float(len(self.pool))


Picker = Callable[[ExplorationSlot], int]


def current_pick(slot: ExplorationSlot) -> int:
    """What the hand-set weights would put in the slot without randomisation."""
    return int(np.argmax(slot.current_scores))


def model_pick(model: LinearReranker) -> Picker:
    return lambda slot: int(np.argmax(model.scores(slot.pool)))


def ips_terms(slots: Sequence[ExplorationSlot], pick: Picker) -> np.ndarray:
    """Per-slot IPS estimate of a deterministic policy's reward."""
    return np.asarray(
        [s.inverse_propensity * s.reward * (pick(s) == s.shown) for s in slots], dtype=np.float64
    )


@dataclass
class OffPolicyReport:
    slots: int
    logged: float  # mean reward of what was actually shown (uniform draw)
    current: float  # IPS value of the current weights
    candidate: float  # IPS value of the candidate
    delta: float
    delta_se: float
    candidate_snips: float  # self-normalised variant (lower variance, slightly biased)
    current_snips: float
    notes: list[str] = field(default_factory=list)

    @property
    def wins(self) -> bool:
        """A gain larger than its standard error (and a minimum of evidence)."""
        return self.slots >= MIN_SLOTS and self.delta > 0 and self.delta > self.delta_se


MIN_SLOTS = 30


def _snips(slots: Sequence[ExplorationSlot], pick: Picker) -> float:
    hits = np.asarray([s.inverse_propensity * (pick(s) == s.shown) for s in slots])
    rewards = np.asarray([s.reward for s in slots])
    return float((hits * rewards).sum() / hits.sum()) if hits.sum() > 0 else math.nan


def compare(
    slots: Sequence[ExplorationSlot], candidate: Picker | Sequence[Picker]
) -> OffPolicyReport:
    """IPS comparison of ``candidate`` with the current weights on the same slots.

    ``candidate`` may be one picker per slot (cross-fitting: each slot judged by a model that
    never saw its brief).
    """
    pickers = list(candidate) if isinstance(candidate, Sequence) else [candidate] * len(slots)
    if len(pickers) != len(slots):
        raise ValueError("one picker per slot")
    cand = np.asarray(
        [
            s.inverse_propensity * s.reward * (p(s) == s.shown)
            for s, p in zip(slots, pickers, strict=True)
        ]
    )
    cur = ips_terms(slots, current_pick)
    n = len(slots)
    diff = cand - cur
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    hits = np.asarray(
        [s.inverse_propensity * (p(s) == s.shown) for s, p in zip(slots, pickers, strict=True)]
    )
    rewards = np.asarray([s.reward for s in slots])
    return OffPolicyReport(
        slots=n,
        logged=float(rewards.mean()) if n else math.nan,
        current=float(cur.mean()) if n else math.nan,
        candidate=float(cand.mean()) if n else math.nan,
        delta=float(diff.mean()) if n else math.nan,
        delta_se=se,
        candidate_snips=float((hits * rewards).sum() / hits.sum()) if hits.sum() else math.nan,
        current_snips=_snips(slots, current_pick),
    )
