from __future__ import annotations

import numpy as np
import pytest

from ml.lexical import BM25Index
from ml.tokens import raw_tokens, stem, tokenize

DOCS = {
    1: "Logo design and brand identity for coffee shops",
    2: "Wedding videography: filming and editing highlight videos",
    3: "Podcast editing, mixing and mastering",
    4: "Designing logos for startups in Adobe Illustrator",
    5: "Bookkeeping and accounts reconciliation in QuickBooks",
}


def build(docs: dict[int, str]) -> BM25Index:
    ix = BM25Index()
    for i, t in docs.items():
        ix.upsert(i, t)
    return ix


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("logos", "logo"),
        ("designing", "design"),
        ("edited", "editing"),
        ("videos", "video"),
        ("requirements", "requirement"),
    ],
)
def test_light_stemming_conflates_inflections(a: str, b: str) -> None:
    assert stem(a) == stem(b)


def test_tokenize_drops_stopwords_keeps_tech_tokens() -> None:
    assert raw_tokens("The C++ and node.js developer for the team") == [
        "c++",
        "node.js",
        "developer",
        "team",
    ]
    assert "the" not in tokenize("the logo")


def test_ranks_matching_documents_first() -> None:
    ix = build(DOCS)
    top = [d for d, _ in ix.search("design a logo", k=5)]
    assert set(top[:2]) == {1, 4}
    assert 5 not in top  # no shared term -> no score


def test_incremental_updates_equal_fresh_build() -> None:
    ix = build(DOCS)
    ix.remove([2])
    ix.upsert(3, "Podcast audio editing and sound design")
    ix.upsert(6, "Logo animation and motion design")
    fresh = build(
        {
            1: DOCS[1],
            3: "Podcast audio editing and sound design",
            4: DOCS[4],
            5: DOCS[5],
            6: "Logo animation and motion design",
        }
    )
    for q in ["logo design", "editing videos", "sound", "wedding"]:
        a, b = ix.search(q, k=10), fresh.search(q, k=10)
        assert [d for d, _ in a] == [d for d, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], rtol=1e-5)
    assert ix.search("wedding", k=5) == []  # removed doc's unique term is gone
    assert len(ix) == 5 and 2 not in ix


def test_compaction_keeps_results() -> None:
    ix = BM25Index()
    for i in range(3000):
        ix.upsert(i, f"offer number {i} " + ("logo design" if i % 2 else "video editing"))
    before = ix.search("logo design", k=3)
    ix.remove(range(0, 300))  # 300 tombstones: below the compaction threshold
    assert ix._dead == 300
    ix.remove(range(300, 1500))  # now >1000 and >25% of rows: compacts
    assert ix._dead == 0 and len(ix) == 1500
    after = ix.search("logo design", k=3)
    assert before and len(after) == 3 and all(d >= 1500 and d % 2 for d, _ in after)
    assert ix.search("number 7", k=3)[0][0] != 7


def test_save_load_round_trip(tmp_path) -> None:
    ix = build({**DOCS, 9: ""})  # an empty document last: zero-length row
    ix.remove([5])
    path = tmp_path / "lex.npz"
    ix.save(path)
    back = BM25Index.load(path)
    assert len(back) == 5 and 9 in back
    a, b = back.search("logo design", k=3), ix.search("logo design", k=3)
    assert [d for d, _ in a] == [d for d, _ in b]
    assert [s for _, s in a] == pytest.approx([s for _, s in b])
    back.upsert(7, "logo")  # still incremental after load
    assert 7 in {d for d, _ in back.search("logo", k=10)}
    assert back.doc_terms(1) >= {"logo", "design"}
