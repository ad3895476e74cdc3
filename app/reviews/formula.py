"""The reputation formula, pure (no database): published on /reputation from these constants.

A reputation is a number in [0, 1] built from five components, each itself in [0, 1]:

* ratings    – Bayesian average of the 1-5 star ratings received, with a prior of
               ``PRIOR_RATING`` stars worth ``PRIOR_RATING_WEIGHT`` reviews, mapped to 0..1 by
               (stars - 1) / 4. One five-star review (3.33 stars) stays far below fifty 4.8s
               (4.64 stars).
* on_time    – creators: milestones first delivered on or before their due date (a funded
               milestone past its due date without delivery counts as late); businesses:
               deliveries they accepted themselves rather than leaving to auto-accept.
* completion – milestones that ended released or paid out, against refunded or cancelled.
* disputes   – ended milestones not lost in a dispute, against disputes lost.
* feedback   – the private "would work with them again" answers of reviewers.

Every observation is weighted by recency, ``0.5 ** (age_days / HALF_LIFE_DAYS)``, so an old bad
review weighs less than a recent good one. The four rate components use a neutral prior of
``PRIOR_RATE`` worth ``PRIOR_RATE_WEIGHT`` observations. With no data every component is exactly
neutral, so a newcomer's score is 0.5 — the neutral value the payout fee/hold formula
(app/payments/fees.py) and the matching ranking (ml/ranking.py) use.

score = Σ WEIGHTS[c] × component[c]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

HALF_LIFE_DAYS = 180.0
PRIOR_RATING = 3.0
PRIOR_RATING_WEIGHT = 5.0
PRIOR_RATE = 0.5
PRIOR_RATE_WEIGHT = 3.0
WEIGHTS: dict[str, float] = {
    "ratings": 0.40,
    "on_time": 0.15,
    "completion": 0.15,
    "disputes": 0.20,
    "feedback": 0.10,
}
COMPONENT_TEXT: dict[str, str] = {
    "ratings": "Star ratings received (Bayesian average with a 3-star prior worth 5 reviews)",
    "on_time": "Creators: delivered by the due date. Businesses: accepted deliveries themselves",
    "completion": "Milestones paid out or released, against refunded or cancelled",
    "disputes": "Finished milestones not lost in a dispute",
    "feedback": "Private answers to “would you work with them again?”",
}


@dataclass(frozen=True)
class Level:
    name: str
    min_reviews: int
    min_score: float


# Best first; the first level whose thresholds are met applies, otherwise "New".
LEVELS: tuple[Level, ...] = (
    Level("Top", 25, 0.80),
    Level("Established", 10, 0.65),
    Level("Rising", 3, 0.0),
)
NEW = Level("New", 0, 0.0)


@dataclass(frozen=True)
class Observation:
    """One fact: ``value`` (stars 1-5 for ratings, else 0..1) observed at ``at``."""

    value: float
    at: datetime


@dataclass
class Inputs:
    ratings: list[Observation] = field(default_factory=list)
    on_time: list[Observation] = field(default_factory=list)
    completion: list[Observation] = field(default_factory=list)
    disputes: list[Observation] = field(default_factory=list)
    feedback: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    score: float
    components: dict[str, float]
    review_count: int
    rating_average: float | None
    level: str


def decay(at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - at).total_seconds() / 86_400)
    return float(0.5 ** (age_days / HALF_LIFE_DAYS))


def bayesian(
    observations: Iterable[Observation], prior: float, prior_weight: float, now: datetime
) -> float:
    """Recency-weighted mean of ``observations``, pulled towards ``prior``."""
    total, weight = prior * prior_weight, prior_weight
    for obs in observations:
        w = decay(obs.at, now)
        total += w * obs.value
        weight += w
    return total / weight


def level_for(score: float, review_count: int) -> str:
    for level in LEVELS:
        if review_count >= level.min_reviews and score >= level.min_score:
            return level.name
    return NEW.name


def compute(inputs: Inputs, now: datetime) -> Result:
    stars = bayesian(inputs.ratings, PRIOR_RATING, PRIOR_RATING_WEIGHT, now)
    components = {"ratings": (stars - 1.0) / 4.0}
    for name in ("on_time", "completion", "disputes", "feedback"):
        components[name] = bayesian(getattr(inputs, name), PRIOR_RATE, PRIOR_RATE_WEIGHT, now)
    score = sum(WEIGHTS[name] * value for name, value in components.items())
    score = min(1.0, max(0.0, score))
    count = len(inputs.ratings)
    average = sum(o.value for o in inputs.ratings) / count if count else None
    return Result(
        score=score,
        components={k: round(v, 4) for k, v in components.items()},
        review_count=count,
        rating_average=round(average, 2) if average is not None else None,
        level=level_for(score, count),
    )
