"""Ranking behaviour: two documents with identical text differ in one business attribute."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ml.matcher import Matcher
from ml.ranking import (
    BriefConstraints,
    CandidateMeta,
    RankingWeights,
    apply_exploration,
    business_adjustment,
)
from ml.text import Document, Query

BASE = CandidateMeta(
    price_from_minor=40_000,
    currency="EUR",
    delivery_days=5,
    kind="service",
    available=True,
    reputation=0.8,
)
BRIEF = BriefConstraints(
    budget_min_minor=10_000,
    budget_max_minor=50_000,
    currency="EUR",
    kinds_wanted=frozenset({"service"}),
    days_until_deadline=7,
)
QUERY = Query(title="Logo for our bakery", description="We need a friendly logo design.")


@pytest.fixture(scope="module")
def twins(encoder) -> Matcher:
    title, desc = "Logo design for bakeries", "Friendly logos, two revisions."
    docs = [Document(id=i, title=title, description=desc) for i in (1, 2)]
    return Matcher.build(docs, encoder=encoder)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("worse", "why"),
    [
        (replace(BASE, price_from_minor=70_000), "over budget"),
        (replace(BASE, kind="media"), "offers media"),
        (replace(BASE, delivery_days=12), "after the deadline"),
        (replace(BASE, available=False), "not taking new work"),
        (replace(BASE, reputation=0.3), None),
        (replace(BASE, reputation=None), None),  # neutral prior 0.5 < 0.8
        (replace(BASE, currency="USD"), "priced in USD"),
    ],
)
@pytest.mark.parametrize("worse_id", [1, 2])  # order of ids must not decide
def test_worse_attribute_ranks_lower(
    twins: Matcher, worse: CandidateMeta, why: str | None, worse_id: int
) -> None:
    better_id = 3 - worse_id
    res = twins.match(QUERY, k=2, constraints=BRIEF, meta_lookup={worse_id: worse, better_id: BASE})
    assert [r.doc_id for r in res] == [better_id, worse_id]
    assert res[0].relevance == pytest.approx(res[1].relevance, abs=1e-5)
    if why:
        assert any(why in reason for reason in res[1].reasons)


@pytest.mark.slow
def test_higher_reputation_ranks_higher_and_no_meta_is_relevance_only(twins: Matcher) -> None:
    res = twins.match(
        QUERY,
        k=2,
        meta_lookup=lambda ids: {
            1: replace(BASE, reputation=0.2),
            2: replace(BASE, reputation=0.9),
        },
    )
    assert [r.doc_id for r in res] == [2, 1]
    plain = twins.match(QUERY, k=2)
    assert all(r.score == pytest.approx(r.relevance) for r in plain)


def test_within_budget_reason_and_neutral_without_constraints() -> None:
    adj, fits, reasons = business_adjustment(BASE, BRIEF)
    assert adj == pytest.approx(RankingWeights().w_reputation * 0.3)
    assert fits["price_fit"] == 1.0 and "within budget" in reasons[0]
    assert business_adjustment(None, BRIEF) == (0.0, {}, [])
    adj, fits, _ = business_adjustment(replace(BASE, reputation=None), None)
    assert adj == 0.0 and "price_fit" not in fits


def test_exploration_reserves_tenth_slot_deterministically() -> None:
    order = list(range(30))
    rel = {k: 1.0 - k * 0.005 for k in order}
    new = {k: k in (15, 22, 29) for k in order}
    out1, ex1 = apply_exploration(order, rel, new, k=10, seed=1, query_key="logo")
    out2, ex2 = apply_exploration(order, rel, new, k=10, seed=1, query_key="logo")
    assert out1 == out2 and ex1 == ex2 and len(ex1) == 1
    assert out1[9] in (15, 22, 29) and out1[:9] == list(range(9))
    # irrelevant newcomers are not promoted
    low = {k: (0.1 if new[k] else v) for k, v in rel.items()}
    assert apply_exploration(order, low, new, k=10, seed=1, query_key="logo")[1] == set()
    # a new creator already on the page: nothing to do
    assert apply_exploration(order, rel, {**new, 3: True}, 10, 1, "logo")[0] == order
    off = RankingWeights(explore_every=0)
    assert apply_exploration(order, rel, new, 10, 1, "logo", off)[0] == order


def test_exploration_floor_follows_the_displaced_result_and_reports_the_pool() -> None:
    order = list(range(40))
    rel = {k: 1.0 if k < 3 else 0.5 - k * 0.001 for k in order}  # a steep drop after 3
    new = {k: k in (20, 25, 39) for k in order}
    rel[39] = 0.2  # far below what it would displace: never eligible
    pools: dict[int, list[int]] = {}
    out, explored = apply_exploration(order, rel, new, 10, 1, "logo", pools=pools)
    assert len(explored) == 1 and out[9] in (20, 25)  # 0.48 >= 0.85 x 0.491, best is 1.0
    assert pools == {out[9]: [20, 25]}  # the uniform draw's pool: propensity 1/2
