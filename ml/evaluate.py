"""Offline evaluation of the production matcher on a graded creators/queries set.

``python -m ml.evaluate --creators FILE --queries FILE [--json] [--method hybrid|dense|bm25]``

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
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ml.matcher import Matcher, relevance_only
from ml.ranking import DEFAULT_WEIGHTS
from ml.text import Document, Query

K = 10


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


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.evaluate", description=__doc__.split("\n")[0])
    ap.add_argument("--creators", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument(
        "--method",
        default="hybrid",
        choices=["hybrid", "dense", "bm25", "no-extra", "dense-multi", "no-aliases"],
    )
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = ap.parse_args(argv)
    creators, queries = read_jsonl(args.creators), read_jsonl(args.queries)
    t0 = time.perf_counter()
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
