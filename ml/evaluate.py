"""Offline evaluation of the production matcher on a graded creators/queries set.

``python -m ml.evaluate [--creators FILE --queries FILE] [--json] [--method M] [--folds K]``

Without ``--creators/--queries`` the dev set in ``ml/data/dev_match`` is used. ``--folds K``
runs the honest k-fold report of :mod:`ml.folds` (settings chosen on the other folds, scores
of the held-back folds, mean ± standard error, and each component's ablation).

Creators are indexed through the same :class:`ml.matcher.Matcher` the app uses (relevance
only: no metadata, no constraints, no owner grouping). Metrics over the top 10:

* nDCG@10 with gain ``2**grade - 1`` and discount ``1 / log2(rank + 1)`` (rank from 1); the
  ideal DCG uses the query's own grades;
* Recall@10 and MRR@10, where any graded/listed id counts as relevant.

With ``--json`` the last printed line is ``{"ndcg@10": .., "recall@10": .., "mrr@10": ..}``.
``--method`` runs ablations through the same code: ``dense`` = plain MiniLM cosine over
title+description+skills (the reference baseline), ``bm25`` = the lexical index alone,
``dense-multi`` = both dense parts without BM25, ``no-extra`` = main vector + BM25 (aliases
still in BM25), ``no-aliases`` = hybrid with the ``aliases`` key ignored entirely.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ml import folds as cv
from ml.matcher import Matcher, relevance_only
from ml.ranking import DEFAULT_WEIGHTS, RankingWeights
from ml.text import Document, Query

K = 10
DEV_DIR = os.path.join(os.path.dirname(__file__), "data", "dev_match")


def dcg(gains: Sequence[float]) -> float:
    return sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = K) -> float:
    """nDCG@k; 0 when the query has no positive grade."""
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg([grades.get(d, 0) for d in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def mrr_at_k(ranked: Sequence[str], relevant: set[str], k: int = K) -> float:
    for i, d in enumerate(ranked[:k]):
        if d in relevant:
            return 1.0 / (i + 1)
    return 0.0


def read_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def creator_documents(creators: list[dict[str, Any]], method: str) -> list[Document]:
    """Map creator records to Documents with int ids 0..n-1 (position in the file).

    ``aliases`` (alternative job titles, an extra key of the format) become extra texts.
    """
    docs = []
    for i, c in enumerate(creators):
        skills = tuple(c.get("skills") or ())
        if method == "dense":  # reference baseline: one vector over all text fields
            desc = f"{c.get('description', '')} Skills: {', '.join(skills)}"
            docs.append(Document(id=i, title=c["title"], description=desc, kind=c.get("kind", "")))
            continue
        extra = () if method == "no-aliases" else tuple(c.get("aliases") or ())
        docs.append(
            Document(
                id=i,
                title=c["title"],
                description=c.get("description", ""),
                skills=skills,
                kind=c.get("kind", "service"),
                extra=extra,
            )
        )
    return docs


def evaluate(
    creators: list[dict[str, Any]],
    queries: list[dict[str, Any]],
    method: str = "hybrid",
    matcher: Matcher | None = None,
) -> dict[str, float]:
    """Index ``creators``, rank each query's brief, and average the three metrics."""
    weights = DEFAULT_WEIGHTS
    if method == "dense":
        weights = replace(weights, w_main=1.0, w_extra=0.0, w_lexical=0.0)
    elif method == "bm25":
        weights = replace(weights, w_main=0.0, w_extra=0.0, w_lexical=1.0)
    elif method == "no-extra":
        weights = replace(weights, w_main=1.0, w_extra=0.0)
    elif method == "dense-multi":
        weights = replace(weights, w_lexical=0.0)
    elif method not in ("hybrid", "no-aliases"):
        raise ValueError(f"unknown method {method!r}")
    str_ids = [str(c["id"]) for c in creators]
    if matcher is None:
        matcher = Matcher(weights=weights)
    else:
        matcher.weights = weights
    matcher.upsert(creator_documents(creators, method))
    briefs = [Query(description=q["brief"]) for q in queries]
    runs = relevance_only(matcher, briefs, K)
    nd, rc, mr = [], [], []
    for q, run in zip(queries, runs, strict=True):
        ranked = [str_ids[i] for i in run]
        grades = {str(k): int(v) for k, v in (q.get("grades") or {}).items()}
        relevant = set(map(str, q.get("relevant") or ())) | {d for d, g in grades.items() if g > 0}
        for d in relevant:
            grades.setdefault(d, 1)
        nd.append(ndcg_at_k(ranked, grades))
        rc.append(recall_at_k(ranked, relevant))
        mr.append(mrr_at_k(ranked, relevant))
    return {
        "ndcg@10": float(np.mean(nd)),
        "recall@10": float(np.mean(rc)),
        "mrr@10": float(np.mean(mr)),
        "n_queries": float(len(queries)),
    }


def _weights(w_extra: float, w_lexical: float) -> RankingWeights:
    return replace(
        DEFAULT_WEIGHTS, w_main=round(1 - w_extra, 2), w_extra=w_extra, w_lexical=w_lexical
    )


def _grid(extras: Sequence[float], lexicals: Sequence[float]) -> tuple[RankingWeights, ...]:
    """Every (w_extra, w_lexical) pair; the shipped pair first, so ties keep it."""
    shipped = (DEFAULT_WEIGHTS.w_extra, DEFAULT_WEIGHTS.w_lexical)
    pairs = [(e, lx) for e in extras for lx in lexicals]
    pairs.sort(key=lambda p: p != shipped)
    return tuple(_weights(e, lx) for e, lx in pairs)


EXTRAS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
LEXICALS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
REFERENCE = "hybrid"
FOLD_METHODS = (
    cv.Method("hybrid", "aliases", _grid(EXTRAS, LEXICALS), "production; weights chosen per fold"),
    cv.Method("hybrid-shipped", "aliases", (DEFAULT_WEIGHTS,), "weights fixed on ALL of dev"),
    cv.Method("dense", "dense", (_weights(0.0, 0.0),), "plain MiniLM baseline"),
    cv.Method(
        "bm25", "aliases", (replace(DEFAULT_WEIGHTS, w_main=0.0, w_extra=0.0, w_lexical=1.0),)
    ),
    cv.Method("no-lexical", "aliases", _grid(EXTRAS, (0.0,)), "ablation: no BM25"),
    cv.Method("no-extra", "aliases", _grid((0.0,), LEXICALS), "ablation: no extra vectors"),
    cv.Method("no-aliases", "no-aliases", _grid(EXTRAS, LEXICALS), "ablation: aliases ignored"),
)


def fold_report(
    creators: list[dict[str, Any]],
    queries: list[dict[str, Any]],
    k: int,
    seed: int = 20,
    methods: Sequence[cv.Method] = FOLD_METHODS,
) -> dict[str, cv.Result]:
    """Cross-validate ``methods``; returns each method's held-back result."""
    keys = [str(c["id"]) for c in creators]
    grades = []
    for q in queries:
        g = {str(d): int(v) for d, v in (q.get("grades") or {}).items()}
        for d in map(str, q.get("relevant") or ()):
            g.setdefault(d, 1)
        grades.append(g)
    briefs = [Query(description=q["brief"]) for q in queries]
    fold_of = cv.assign_folds(len(queries), k, seed)
    scorer = cv.QueryScorer(keys, grades)
    comps: dict[str, cv.Components] = {}
    results = {}
    for method in methods:
        if method.corpus not in comps:
            docs = creator_documents(creators, CORPUS_METHOD[method.corpus])
            comps[method.corpus] = cv.components_for_all(Matcher.build(docs), briefs)
        results[method.name] = cv.cross_validate(method, comps[method.corpus], scorer, fold_of)
    return results


CORPUS_METHOD = {"aliases": "hybrid", "no-aliases": "no-aliases", "dense": "dense"}


def print_fold_report(results: dict[str, cv.Result], fold_of: Any, k: int) -> None:
    ref = results.get(REFERENCE)
    print(f"{k}-fold cross-validation over briefs: each fold scored with settings chosen on the")
    print("other folds; mean ± SE over fold means; Δ = paired per-brief difference vs hybrid ± SE")
    print(
        f"  {'method':<16} {'nDCG@10':>16} {'Recall@10':>10} {'MRR@10':>8} "
        f"{'Δ nDCG vs hybrid':>18}  folds (nDCG@10)"
    )
    for name, res in results.items():
        m, se = cv.mean_se(res.fold_means("ndcg@10", fold_of))
        rec = cv.mean_se(res.fold_means("recall@10", fold_of))[0]
        mrr = cv.mean_se(res.fold_means("mrr@10", fold_of))[0]
        delta = "reference"
        if ref is not None and name != REFERENCE:
            d, dse = cv.mean_se(res.per_query["ndcg@10"] - ref.per_query["ndcg@10"])
            delta = f"{d:+.4f} ± {dse:.4f}"
        per_fold = " ".join(f"{x:.3f}" for x in res.fold_means("ndcg@10", fold_of))
        print(f"  {name:<16} {m:.4f} ± {se:.4f} {rec:>10.4f} {mrr:>8.4f} {delta:>18}  {per_fold}")
    print("settings chosen per fold (w_main/w_extra/w_lexical):")
    for name, res in results.items():
        if len(res.method.grid) > 1:
            picks = ", ".join(f"{w.w_main:g}/{w.w_extra:g}/{w.w_lexical:g}" for w in res.chosen)
            print(f"  {name:<16} {picks}")
    for name, res in results.items():
        if res.method.note:
            print(f"  note: {name} = {res.method.note}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--creators", default=os.path.join(DEV_DIR, "creators.jsonl"))
    ap.add_argument("--queries", default=os.path.join(DEV_DIR, "queries.jsonl"))
    ap.add_argument("--folds", type=int, default=0, help="k-fold honest report (e.g. 5)")
    ap.add_argument("--fold-seed", type=int, default=20)
    ap.add_argument(
        "--method",
        default="hybrid",
        choices=["hybrid", "dense", "bm25", "no-extra", "dense-multi", "no-aliases"],
    )
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = ap.parse_args(argv)
    creators, queries = read_jsonl(args.creators), read_jsonl(args.queries)
    t0 = time.perf_counter()
    if args.folds:
        results = fold_report(creators, queries, args.folds, args.fold_seed)
        fold_of = cv.assign_folds(len(queries), args.folds, args.fold_seed)
        print(
            f"creators={len(creators)} queries={len(queries)} time={time.perf_counter() - t0:.1f}s"
        )
        print_fold_report(results, fold_of, args.folds)
        if args.json:
            summary = {
                name: dict(
                    zip(("mean", "se"), cv.mean_se(r.fold_means("ndcg@10", fold_of)), strict=True)
                )
                for name, r in results.items()
            }
            print(json.dumps({"ndcg@10": summary}))
        return 0
    res = evaluate(creators, queries, args.method)
    secs = time.perf_counter() - t0
    print(f"method={args.method} creators={len(creators)} queries={len(queries)} time={secs:.1f}s")
    print(f"nDCG@10   {res['ndcg@10']:.4f}")
    print(f"Recall@10 {res['recall@10']:.4f}")
    print(f"MRR@10    {res['mrr@10']:.4f}")
    if args.json:
        print(json.dumps({k: round(res[k], 4) for k in ("ndcg@10", "recall@10", "mrr@10")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
