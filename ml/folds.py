"""Honest evaluation: k-fold cross-validation over briefs (``python -m ml.evaluate --folds 5``).

Why: the shipped weights were picked on the whole dev set, so a score computed on that same
set flatters them. Here the briefs are split into ``k`` folds (seeded shuffle, round-robin, so
fold sizes differ by at most one). For every fold, each method picks its setting (e.g. the
fusion weights) from its grid using **only the other folds**, and is scored on the held-back
fold. Every brief is held back exactly once, so the held-back per-brief scores cover the whole
set, and nothing is tuned on the fold it is reported on.

Two spreads are printed, both standard errors (SE):

* ``mean ± SE`` over the ``k`` fold means (``std(ddof=1) / sqrt(k)``): how much the score
  moves with the sample of briefs;
* ``Δ ± SE`` of a method against the reference, *paired per brief* (the same brief under both
  methods): the right test for "is this component a gain". A gain smaller than its SE is noise.

Scoring is exact over the whole pool (every creator is a candidate), using the same component
scores and the same fusion formula as :class:`ml.matcher.Matcher`; at dev-set size the
production candidate union (top-100 + top-200 + top-100) already contains nearly every
creator, so this equals the production ranking up to ties.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ml.matcher import Matcher, combine_relevance
from ml.ranking import RankingWeights
from ml.text import Query, query_lexical_text, query_text

Components = dict[str, np.ndarray]  # name -> (n_queries, n_docs)


def assign_folds(n: int, k: int, seed: int = 20) -> np.ndarray:
    """Fold number of each of ``n`` items: a seeded shuffle dealt round-robin into ``k``."""
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= folds <= {n}, got {k}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    folds = np.zeros(n, dtype=np.int64)
    for position, item in enumerate(order):
        folds[item] = position % k
    return folds


def components_for_all(matcher: Matcher, briefs: Sequence[Query]) -> Components:
    """Every component score of every (brief, indexed document) pair, columns in id order."""
    ids = np.asarray(matcher.ids(), dtype=np.int64)
    qvecs = matcher.encoder.encode([query_text(q) for q in briefs])
    rows: dict[str, list[np.ndarray]] = {}
    for q, qvec in zip(briefs, qvecs, strict=True):
        lex_ids, lex_scores = matcher.lexical.score_all(query_lexical_text(q))
        parts = matcher.component_scores(qvec, lex_ids, lex_scores, ids)
        for name, values in parts.items():
            rows.setdefault(name, []).append(values)
    return {name: np.vstack(v) for name, v in rows.items()}


def ranked_ids(scores: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the top ``k`` per row; ties go to the lower index (lower doc id)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :k]


@dataclass(frozen=True)
class Method:
    """A ranking method: which indexed corpus it reads and the settings it may choose from."""

    name: str
    corpus: str
    grid: tuple[RankingWeights, ...]
    note: str = ""


@dataclass
class Result:
    method: Method
    per_query: dict[str, np.ndarray]  # metric -> held-back score of every brief
    chosen: list[RankingWeights] = field(default_factory=list)  # per fold

    def fold_means(self, metric: str, folds: np.ndarray) -> list[float]:
        values = self.per_query[metric]
        return [float(values[folds == f].mean()) for f in range(int(folds.max()) + 1)]


def mean_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    if len(arr) < 2:
        return float(arr.mean()), math.nan
    return float(arr.mean()), float(arr.std(ddof=1) / math.sqrt(len(arr)))


class QueryScorer:
    """Per-brief nDCG@10 / Recall@10 / MRR@10 of a (n_queries, n_docs) score matrix."""

    def __init__(
        self, doc_keys: Sequence[str], grades: Sequence[Mapping[str, int]], k: int = 10
    ) -> None:
        from ml.evaluate import mrr_at_k, ndcg_at_k, recall_at_k

        self.keys, self.grades, self.k = list(doc_keys), list(grades), k
        self._metrics = (ndcg_at_k, recall_at_k, mrr_at_k)

    def __call__(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        ndcg, recall, mrr = self._metrics
        out: dict[str, list[float]] = {"ndcg@10": [], "recall@10": [], "mrr@10": []}
        for row, grades in zip(ranked_ids(scores, self.k), self.grades, strict=True):
            ranked = [self.keys[i] for i in row]
            relevant = {d for d, g in grades.items() if g > 0}
            out["ndcg@10"].append(ndcg(ranked, grades, self.k))
            out["recall@10"].append(recall(ranked, relevant, self.k))
            out["mrr@10"].append(mrr(ranked, relevant, self.k))
        return {name: np.asarray(v) for name, v in out.items()}


def cross_validate(
    method: Method,
    comps: Components,
    score_queries: QueryScorer,
    folds: np.ndarray,
    objective: str = "ndcg@10",
) -> Result:
    """Choose each fold's setting on the other folds (by ``objective``), score it held back."""
    per_setting = [score_queries(combine_relevance(comps, w)) for w in method.grid]
    n_folds = int(folds.max()) + 1
    held = {metric: np.zeros(len(folds)) for metric in per_setting[0]}
    chosen = []
    for f in range(n_folds):
        train, test = folds != f, folds == f
        # Ties go to the earlier grid entry: grids list the shipped setting first.
        best = max(range(len(per_setting)), key=lambda j: per_setting[j][objective][train].mean())
        chosen.append(method.grid[best])
        for metric, values in per_setting[best].items():
            held[metric][test] = values[test]
    return Result(method, held, chosen)
