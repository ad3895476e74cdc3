from __future__ import annotations

import os

import numpy as np
import pytest

from ml.index import VectorIndex


def unit(rng: np.random.Generator, n: int, d: int = 16) -> np.ndarray:
    v = rng.normal(size=(n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture(params=["flat", "hnsw"])
def threshold(request: pytest.FixtureRequest) -> int:
    return 10**9 if request.param == "flat" else 50


def test_search_finds_exact_vector_by_own_id(threshold: int) -> None:
    rng = np.random.default_rng(0)
    vi = VectorIndex(16, hnsw_threshold=threshold)
    ids = np.arange(1000, 1200, dtype=np.int64) * 7
    vecs = unit(rng, 200)
    vi.add(ids, vecs)
    assert vi.kind == ("flat" if threshold > 1000 else "hnsw")
    scores, got = vi.search(vecs[:5], 3)
    assert got[:, 0].tolist() == ids[:5].tolist()
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)


def test_remove_and_upsert_never_return_stale(threshold: int) -> None:
    rng = np.random.default_rng(1)
    vi = VectorIndex(16, hnsw_threshold=threshold)
    vecs = unit(rng, 120)
    vi.add(np.arange(120), vecs)
    assert vi.remove([3, 4, 999]) == 2
    _, got = vi.search(vecs[3:5], 120)
    assert 3 not in got and 4 not in got
    assert len(vi) == 118 and 3 not in vi
    new = unit(rng, 1)
    vi.upsert([7], new)
    assert len(vi) == 118
    _, got = vi.search(vecs[7:8], 118)  # old vector of 7 must not be what matches
    _, found = vi.get([7])
    np.testing.assert_allclose(found[0], new[0], atol=1e-6)
    assert got[0].tolist().count(7) == 1
    _, got = vi.search(new, 1)
    assert got[0, 0] == 7


def test_tombstones_trigger_rebuild(threshold: int) -> None:
    rng = np.random.default_rng(2)
    vi = VectorIndex(16, hnsw_threshold=threshold)
    vecs = unit(rng, 200)
    vi.add(np.arange(200), vecs)
    vi.remove(range(0, 60))  # 30% dead > 20%: rebuilt, tombstones dropped
    assert vi.n_dead == 0 and len(vi) == 140
    _, got = vi.search(vecs[60:61], 1)
    assert got[0, 0] == 60


def test_save_load_round_trip(tmp_path, threshold: int) -> None:
    rng = np.random.default_rng(3)
    vi = VectorIndex(16, hnsw_threshold=threshold)
    vecs = unit(rng, 100)
    vi.add(np.arange(100) + 10, vecs)
    vi.remove([10, 11])
    prefix = os.fspath(tmp_path / "main")
    vi.save(prefix)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    back = VectorIndex.load(prefix)
    assert back.kind == vi.kind and len(back) == 98
    s1, i1 = vi.search(vecs[5:9], 5)
    s2, i2 = back.search(vecs[5:9], 5)
    assert i1.tolist() == i2.tolist()
    np.testing.assert_allclose(s1, s2, atol=1e-5)
    _, got = back.search(vecs[0:2], 98)
    assert 10 not in got and 11 not in got
    back.upsert([500], vecs[0:1])  # still writable after load
    assert back.search(vecs[0:1], 1)[1][0, 0] == 500


def test_switches_type_with_size() -> None:
    rng = np.random.default_rng(4)
    vi = VectorIndex(16, hnsw_threshold=100)
    vi.add(np.arange(99), unit(rng, 99))
    assert vi.kind == "flat"
    vi.add([1000], unit(rng, 1))
    assert vi.kind == "hnsw" and len(vi) == 100


def test_empty_and_short_searches() -> None:
    vi = VectorIndex(16)
    scores, ids = vi.search(np.ones(16, dtype=np.float32), 3)
    assert ids.tolist() == [[-1, -1, -1]]
    vi.add([5], np.ones((1, 16), dtype=np.float32) / 4)
    _, ids = vi.search(np.ones(16, dtype=np.float32), 3)
    assert ids.tolist() == [[5, -1, -1]]
    with pytest.raises(ValueError):
        vi.add([1, 1], np.ones((2, 16), dtype=np.float32))


# --- compact index above IVF_THRESHOLD (issue 17) ---------------------------------------------


def clustered(rng: np.random.Generator, n: int, d: int = 32, centres: int = 40) -> np.ndarray:
    base = unit(rng, centres, d)
    v = base[rng.integers(0, centres, n)] + rng.normal(0, 0.05, (n, d)).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_index_switches_to_ivf_sq8_by_size_and_keeps_recall(tmp_path: os.PathLike[str]) -> None:
    from ml.index import kind_for

    assert [kind_for(n) for n in (10, 20_000, 299_999, 300_000)] == [
        "flat",
        "hnsw",
        "hnsw",
        "ivf_sq8",
    ]
    rng = np.random.default_rng(3)
    vi = VectorIndex(32, hnsw_threshold=500, ivf_threshold=3000)
    vecs = clustered(rng, 4000)
    for start in range(0, 4000, 1000):
        vi.add(np.arange(start, start + 1000), vecs[start : start + 1000])
    assert vi.kind == "ivf_sq8"
    exact = VectorIndex(32, hnsw_threshold=10**9, ivf_threshold=10**9)
    exact.add(np.arange(4000), vecs)
    queries = clustered(rng, 50)
    _, got = vi.search(queries, 10)
    _, want = exact.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, want, strict=True)])
    assert recall >= 0.9
    # Stored vectors are the 8-bit codes, decoded: close to the originals.
    _, stored = vi.get([5, 6])
    np.testing.assert_allclose(stored, vecs[5:7], atol=0.02)
    # Removal goes through the bitmap, and a save/load round trip keeps results.
    vi.remove([int(got[0, 0])])
    _, after = vi.search(queries[:1], 10)
    assert int(got[0, 0]) not in after[0]
    prefix = os.path.join(tmp_path, "ivf")
    vi.save(prefix)
    loaded = VectorIndex.load(prefix)
    assert loaded.kind == "ivf_sq8" and len(loaded) == len(vi)
    _, again = loaded.search(queries[:5], 10)
    _, before = vi.search(queries[:5], 10)
    assert again.tolist() == before.tolist()
    # Shrinking well below the threshold goes back to a graph (hysteresis: not at once).
    vi.remove(range(0, 2500))
    assert vi.kind == "hnsw" and len(vi) <= 1500


def test_bulk_build_with_expected_size_starts_in_ivf() -> None:
    rng = np.random.default_rng(4)
    vi = VectorIndex(32, hnsw_threshold=500, ivf_threshold=3000, expected=6000)
    assert vi.kind == "ivf_sq8"
    vi.add(np.arange(6000), clustered(rng, 6000))
    assert vi.kind == "ivf_sq8" and len(vi) == 6000
    # Too few vectors to train the lists: it grows through the small types instead.
    small = VectorIndex(32, hnsw_threshold=500, ivf_threshold=3000, expected=6000)
    small.add(np.arange(100), clustered(rng, 100))
    assert small.kind == "flat"
