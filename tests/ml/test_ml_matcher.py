from __future__ import annotations

import pytest

from ml.matcher import Matcher
from ml.ranking import CandidateMeta
from ml.text import Document, Query

pytestmark = pytest.mark.slow

OFFERS = [
    Document(
        id=10,
        title="Wedding videography",
        description="I film and edit wedding videos.",
        skills=("Premiere Pro",),
        owner_id=1,
        extra=("Premium package: drone footage",),
    ),
    Document(
        id=11,
        title="Corporate video editing",
        description="Editing of interviews.",
        skills=("Final Cut Pro",),
        owner_id=1,
    ),
    Document(
        id=20,
        title="Logo design",
        description="Minimalist logos for startups.",
        skills=("Adobe Illustrator",),
        owner_id=2,
        extra=("Brand guidelines PDF",),
    ),
    Document(
        id=30,
        title="Bookkeeping",
        description="Monthly bookkeeping in QuickBooks.",
        skills=("QuickBooks",),
        owner_id=3,
    ),
    Document(
        id=40,
        title="Podcast editing",
        description="Mixing and mastering of episodes.",
        skills=("Audacity",),
        owner_id=4,
    ),
]


@pytest.fixture()
def matcher(encoder) -> Matcher:
    return Matcher.build(OFFERS, encoder=encoder)


def test_match_explains_with_real_terms(matcher: Matcher) -> None:
    q = Query(
        title="Logo for my startup",
        description="Design a minimalist logo",
        skills=("Adobe Illustrator",),
    )
    top = matcher.match(q, k=3)[0]
    assert top.doc_id == 20 and top.owner_id == 2
    assert {"logo", "startup", "minimalist"} <= set(top.matched_terms)
    assert top.matched_skills == ["Adobe Illustrator"]
    assert {"dense_main", "dense_extra", "lexical", "relevance"} <= set(top.components)
    brief = "logo for my startup design a minimalist logo adobe illustrator"
    assert all(t in brief for t in top.matched_terms)


def test_groups_offers_by_owner(matcher: Matcher) -> None:
    q = Query(description="edit our wedding video")
    owners = [m.owner_id for m in matcher.match(q, k=5)]
    assert len(owners) == len(set(owners)) and owners[0] == 1
    first = matcher.match(q, k=5)[0]
    assert first.doc_id == 10 and 11 in first.other_doc_ids
    docs = [m.doc_id for m in matcher.match(q, k=5, group_by_owner=False)]
    assert {10, 11} <= set(docs)


def test_best_text_names_the_extra_that_matched(matcher: Matcher) -> None:
    res = matcher.match(Query(description="aerial drone footage package"), k=1)
    assert res[0].doc_id == 10 and "drone" in res[0].best_text


def test_remove_and_upsert(matcher: Matcher) -> None:
    assert matcher.remove([20, 999]) == 1 and len(matcher) == 4
    assert matcher.ids() == [10, 11, 30, 40]
    q = Query(description="minimalist logo design")
    assert 20 not in [m.doc_id for m in matcher.match(q, k=10, group_by_owner=False)]
    matcher.upsert([Document(id=30, title="Logo design", description="Minimalist logos.")])
    assert len(matcher) == 4
    assert matcher.match(q, k=1)[0].doc_id == 30


def test_save_load_round_trip_and_info(matcher: Matcher, tmp_path, encoder) -> None:
    matcher.remove([40])
    matcher.save(tmp_path, info={"db_version": 7})
    matcher.upsert([Document(id=50, title="Voice over", description="Warm voice recordings.")])
    matcher.save(tmp_path, info={"db_version": 8})
    assert Matcher.read_info(tmp_path)["info"] == {"db_version": 8}  # type: ignore[index]
    assert Matcher.read_info(tmp_path / "nothing") is None
    back = Matcher.load(tmp_path, encoder=encoder)
    assert len(back) == len(matcher) == 5 and 40 not in back
    q = Query(description="voice recording")
    a = [(m.doc_id, round(m.score, 5)) for m in matcher.match(q, k=5)]
    b = [(m.doc_id, round(m.score, 5)) for m in back.match(q, k=5)]
    assert a == b and a[0][0] == 50


def test_progress_and_meta_callable(encoder) -> None:
    calls: list[tuple[int, int]] = []
    m = Matcher.build(OFFERS, progress=lambda d, t: calls.append((d, t)), encoder=encoder)
    assert calls[-1] == (5, 5)
    seen: list[list[int]] = []

    def lookup(ids: list[int]) -> dict[int, CandidateMeta]:
        seen.append(ids)
        return {i: CandidateMeta(available=i != 40) for i in ids}

    res = m.match(Query(description="podcast editing"), k=5, meta_lookup=lookup)
    assert len(seen) == 1 and 40 in seen[0]  # one batched lookup
    top = res[0]  # still first (far more relevant), but penalised and told why
    assert top.doc_id == 40 and top.score == pytest.approx(top.relevance - 0.2)
    assert top.reasons == ["not taking new work right now"]
    assert m.match(Query(description="x"), k=0) == []
    assert Matcher(encoder=encoder).match(Query(description="x")) == []
