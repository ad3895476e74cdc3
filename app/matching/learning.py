"""Learning from outcomes: train a re-ranker on the recommendation log, judge it off-policy,
and only then propose it (``flask train-reranker``).

Honesty rules, as in ``ml.evaluate --folds``: briefs are split into folds; for each fold a
model is trained on the *other* folds' impressions and judged (IPS, see :mod:`ml.rerank`) on
this fold's exploration slots, so no slot is judged by a model that saw its outcome. The
proposal is the model refit on everything, written only when the cross-fitted gain over the
current weights is larger than its standard error on at least ``ml.rerank.MIN_SLOTS`` slots.
Nothing is switched on here: a proposal is a JSON file for a person to review.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.matching.models import RecommendationImpression as Impression
from ml import rerank
from ml.folds import assign_folds


@dataclass
class TrainingReport:
    impressions: int
    briefs: int
    engaged: int
    evaluation: rerank.OffPolicyReport | None
    model: rerank.LinearReranker | None
    proposal_path: str | None = None
    reason: str = ""


def _outcomes(row: Impression) -> dict[str, bool]:
    return {
        "viewed": row.viewed_at is not None,
        "invited": row.invited_at is not None,
        "proposed": row.proposed_at is not None,
        "hired": row.hired_at is not None,
    }


def _engaged(row: Impression) -> int:
    o = _outcomes(row)
    return int(o["invited"] or o["proposed"] or o["hired"])


def exploration_slot(row: Impression) -> rerank.ExplorationSlot | None:
    """The randomised slot of an explored impression (None if its pool was not logged)."""
    ids = [int(alt["creator_id"]) for alt in row.pool]
    if not row.explored or row.creator_id not in ids:
        return None
    return rerank.ExplorationSlot(
        group=row.brief_id,
        pool=[alt["features"] for alt in row.pool],
        current_scores=[float(alt["score"]) for alt in row.pool],
        shown=ids.index(row.creator_id),
        reward=rerank.reward(_outcomes(row)),
    )


def _fit(rows: list[Impression]) -> rerank.LinearReranker:
    return rerank.fit_logistic(
        [r.features for r in rows], [_engaged(r) for r in rows], ranks=[r.rank for r in rows]
    )


def train_and_evaluate(session: Session, folds: int = 5, seed: int = 20) -> TrainingReport:
    """Cross-fitted IPS evaluation of a logistic re-ranker against the current weights."""
    rows = list(session.scalars(select(Impression).order_by(Impression.id)))
    brief_ids = sorted({r.brief_id for r in rows})
    engaged = sum(_engaged(r) for r in rows)
    report = TrainingReport(len(rows), len(brief_ids), engaged, None, None)
    if len(brief_ids) < folds or engaged == 0 or engaged == len(rows):
        report.reason = (
            f"not enough outcomes to learn from ({len(rows)} impressions over "
            f"{len(brief_ids)} briefs, {engaged} engaged)"
        )
        return report
    fold_of_brief = dict(zip(brief_ids, assign_folds(len(brief_ids), folds, seed), strict=True))
    slots, pickers = [], []
    for f in range(folds):
        train = [r for r in rows if fold_of_brief[r.brief_id] != f]
        model = _fit(train)
        for row in rows:
            slot = exploration_slot(row) if fold_of_brief[row.brief_id] == f else None
            if slot is not None:
                slots.append(slot)
                pickers.append(rerank.model_pick(model))
    report.model = _fit(rows)
    if not slots:
        report.reason = "no exploration slots with a logged pool: nothing to judge it on"
        return report
    report.evaluation = rerank.compare(slots, pickers)
    if not report.evaluation.wins:
        ev = report.evaluation
        report.reason = (
            f"gain {ev.delta:+.4f} ± {ev.delta_se:.4f} on {ev.slots} exploration slots is not "
            f"larger than its standard error (or fewer than {rerank.MIN_SLOTS} slots)"
        )
    return report


def write_proposal(report: TrainingReport, directory: Path) -> str:
    """Write the proposed model and the evidence for it; returns the file path."""
    assert report.model is not None and report.evaluation is not None
    directory.mkdir(parents=True, exist_ok=True)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    path = directory / f"proposed-{stamp}.json"
    payload: dict[str, Any] = {
        "model": report.model.to_json(),
        "evaluation": asdict(report.evaluation),
        "impressions": report.impressions,
        "briefs": report.briefs,
        "engaged": report.engaged,
        "created_at": clock.now().isoformat(),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return str(path)
