"""Learning from outcomes end to end: demo seed -> outcome log -> re-ranker -> IPS verdict."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from app.matching import learning
from app.matching.models import RecommendationImpression as Impression
from app.seed.demo import SeedSize, seed
from ml import rerank

pytestmark = pytest.mark.slow


def test_fit_logistic_recovers_the_direction_of_a_known_rule() -> None:
    rng = random.Random(3)
    rows = [{"dense_main": rng.random(), "price_fit": rng.random()} for _ in range(400)]
    labels = [int(r["price_fit"] + 0.1 * rng.random() > 0.6) for r in rows]
    model = rerank.fit_logistic(rows, labels, ranks=[1 + i % 10 for i in range(400)])
    coef = dict(zip(model.features, model.coef, strict=True))
    assert coef["price_fit"] > 1.0 and abs(coef["dense_main"]) < 0.5
    assert rerank.LinearReranker.from_json(json.loads(json.dumps(model.to_json()))) == model


def test_ips_is_unbiased_for_a_uniform_logging_policy() -> None:
    # Pools of 4; candidate 0 always earns 1, the others 0. Shown uniformly at random.
    rng = random.Random(5)
    slots = []
    for _ in range(4000):
        shown = rng.randrange(4)
        pool = [{"price_fit": 1.0 if i == 0 else 0.0} for i in range(4)]
        scores = [0.0, 1.0, 0.5, 0.2]  # the current weights prefer candidate 1
        slots.append(rerank.ExplorationSlot(1, pool, scores, shown, float(shown == 0)))
    best = rerank.compare(slots, lambda s: 0)
    assert best.current == pytest.approx(0.0)
    assert best.candidate == pytest.approx(1.0, abs=0.1)  # truth: 1.0
    assert best.logged == pytest.approx(0.25, abs=0.03)
    assert best.wins and best.delta > 3 * best.delta_se
    same = rerank.compare(slots, rerank.current_pick)
    assert same.delta == 0 and not same.wins


def test_demo_seed_logs_outcomes_and_the_trainer_judges_a_reranker(
    app, session, matching, tmp_path
):
    counts = seed(session, seed_value=7, size=SeedSize(creators=40, businesses=6, briefs=24))
    assert counts["past contracts"] > 0 and counts["recommendations shown"] > 0
    assert counts["recommendations viewed"] > 0 and counts["recommendations invited"] > 0
    logged = session.scalar(select(func.count()).select_from(Impression))
    assert logged == counts["recommendations shown"]
    explored = session.scalars(select(Impression).where(Impression.explored)).all()
    assert explored, "with past work, exploration slots go to newcomers"
    for row in explored:
        assert row.propensity == pytest.approx(1 / len(row.pool))
        assert row.creator_id in {alt["creator_id"] for alt in row.pool}

    report = learning.train_and_evaluate(session, folds=3)
    assert report.impressions == logged and report.engaged > 0
    assert report.model is not None and report.evaluation is not None
    assert report.evaluation.slots == sum(1 for r in explored if learning.exploration_slot(r))
    assert np.isfinite(report.evaluation.delta)
    if report.evaluation.wins:
        path = learning.write_proposal(report, tmp_path)
        assert json.loads(Path(path).read_text())["model"]["kind"] == "logistic"
    else:
        assert "not larger than its standard error" in report.reason
