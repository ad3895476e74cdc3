"""FAISS vector index keyed by our own int64 ids, with add/remove/upsert and atomic persistence.

Design (numbers from ``python -m ml.bench``, see ml/README.md):

* Below ``HNSW_THRESHOLD`` live vectors the index is exact (``IndexFlatIP``): at 20k vectors a
  brute-force query costs ~1-2 ms on 2 cores and recall is 1.0 by construction. Above it the
  index is ``IndexHNSWFlat`` (M=32, efConstruction=80, efSearch=128): at 100k vectors a query
  takes well under 1 ms with recall@10 >= 0.95 against exact, whereas flat costs ~10 ms per
  query, and the matcher searches two indexes (main and extra vectors) per brief.
* FAISS positions are *slots*; we map slot <-> id ourselves (the "IndexIDMap2 equivalent").
  HNSW cannot ``remove_ids`` and IDMap2 cannot hold two versions of one id, so removal and
  upsert tombstone the old slot (excluded at search time with an ``IDSelectorBitmap``) and
  append a new one. When tombstones exceed ``REBUILD_DEAD_FRACTION`` of the slots, or the
  live size crosses the threshold, the index is rebuilt from its own stored vectors
  (``reconstruct_n``), so no re-encoding is ever needed. The same code path serves both types.
* From ``IVF_THRESHOLD`` (300k) live vectors the index is ``IndexIVFScalarQuantizer``
  (8-bit, ~2*sqrt(n) lists, nprobe 32), trained on the vectors it is built from: a quarter of
  the memory of flat vectors and no graph (1M offers: see ml/README.md, "1M offers"). Its
  stored vectors are the 8-bit ones, so exact re-scoring reads them decoded (error ~1e-3).
  A bulk build that knows its size (``expected``) starts in the right type.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

import faiss
import numpy as np

HNSW_THRESHOLD = 20_000
# From here on the index is IVF over 8-bit scalar-quantised vectors (``ivf_sq8``): 1 byte
# per dimension instead of 4 and no graph, so 1M offers fit in a few hundred MB per index
# (HNSW-flat would need 1.5 GB of vectors + ~0.26 GB of graph per index at 1M, and the
# matcher keeps two). Numbers: ml/README.md, "1M offers".
IVF_THRESHOLD = 300_000
REBUILD_DEAD_FRACTION = 0.2
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
IVF_NPROBE = 32  # lists probed per query (of ~2*sqrt(n)); see ml/README.md for the sweep
IVF_TRAIN_MAX = 100_000  # training sample for the coarse centroids
IVF_TRAIN_ITERATIONS = 10  # k-means passes (FAISS default 25): keeps a 1M build short
KINDS = ("flat", "hnsw", "ivf_sq8")  # by growing size

_FAISS: Any = faiss  # faiss' bundled stubs miss SWIG classes/kwargs used below


def _hnsw_params(**kw: Any) -> Any:
    return _FAISS.SearchParametersHNSW(**kw)


def ivf_lists(n: int) -> int:
    """Coarse lists for ``n`` vectors: ~2*sqrt(n) rounded to a power of two (1M -> 2048)."""
    want = max(64, int(2 * max(n, 1) ** 0.5))
    return int(2 ** round(np.log2(want)))


def kind_for(n: int) -> str:
    """The index type for ``n`` live vectors (the one place the size thresholds live)."""
    if n >= IVF_THRESHOLD:
        return "ivf_sq8"
    return "hnsw" if n >= HNSW_THRESHOLD else "flat"


def _new_faiss(dim: int, kind: str, n: int = 0) -> Any:
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "ivf_sq8":
        quantizer = faiss.IndexFlatIP(dim)
        ivf = _FAISS.IndexIVFScalarQuantizer(
            quantizer, dim, ivf_lists(n), faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        ivf.nprobe = IVF_NPROBE
        ivf.cp.niter = IVF_TRAIN_ITERATIONS
        ivf.set_direct_map_type(_FAISS.DirectMap.Array)  # reconstruct by slot (re-scoring)
        return ivf
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory + ``os.replace``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class VectorIndex:
    """Inner-product index over unit vectors (cosine) with int64 ids.

    Not thread-safe on its own: :class:`ml.matcher.Matcher` serialises access.
    """

    def __init__(
        self,
        dim: int,
        hnsw_threshold: int = HNSW_THRESHOLD,
        expected: int = 0,
        ivf_threshold: int = IVF_THRESHOLD,
    ) -> None:
        """``expected``: how many vectors a bulk build will add, so it starts in the right
        type instead of growing through the smaller ones (each switch is a rebuild)."""
        self.dim = dim
        self.hnsw_threshold = hnsw_threshold
        self.ivf_threshold = max(ivf_threshold, hnsw_threshold)
        self.kind = self._kind_for(expected)
        self._expected = expected
        self._index: Any = _new_faiss(dim, self.kind, expected)
        self._slot_ids = np.zeros(0, dtype=np.int64)  # slot -> id, -1 when tombstoned
        self._n_slots = 0
        self._slot_of: dict[int, int] = {}  # live id -> slot
        self._bitmap = np.zeros(0, dtype=np.uint8)  # live-slot bitmap for IDSelectorBitmap

    # ------------------------------------------------------------------ updates
    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, item: object) -> bool:
        return item in self._slot_of

    @property
    def n_dead(self) -> int:
        return self._n_slots - len(self._slot_of)

    def ids(self) -> np.ndarray:
        return np.fromiter(self._slot_of.keys(), dtype=np.int64, count=len(self._slot_of))

    def _grow(self, n_new: int) -> None:
        need = self._n_slots + n_new
        if need > len(self._slot_ids):
            cap = max(need, 2 * len(self._slot_ids), 1024)
            self._slot_ids = np.concatenate(
                [self._slot_ids, np.full(cap - len(self._slot_ids), -1, dtype=np.int64)]
            )
            self._bitmap = np.concatenate(
                [self._bitmap, np.zeros((cap + 7) // 8 - len(self._bitmap), dtype=np.uint8)]
            )

    def upsert(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ``ids``; an id already present is replaced."""
        ids_arr = np.asarray(ids, dtype=np.int64)
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if len(ids_arr) != len(vecs):
            raise ValueError("ids and vectors differ in length")
        if len(np.unique(ids_arr)) != len(ids_arr):
            raise ValueError("duplicate ids in one upsert batch")
        self._tombstone(ids_arr.tolist())
        self._grow(len(ids_arr))
        start = self._n_slots
        if not self._index.is_trained and self._expected and len(vecs) < 39 * self._index.nlist:
            # Too few vectors to train the lists (FAISS wants >= 39 per list): grow through
            # the smaller types instead; the size switch rebuilds into IVF later.
            self._expected = 0
            self.kind = self._wanted_kind()
            self._index = _new_faiss(self.dim, self.kind)
        if not self._index.is_trained:  # IVF: centroids from the first vectors it is given
            rng = np.random.default_rng(0)
            pick = rng.permutation(len(vecs))[:IVF_TRAIN_MAX]
            self._index.train(vecs[np.sort(pick)])
        self._index.add(vecs)
        slots = np.arange(start, start + len(ids_arr))
        self._slot_ids[slots] = ids_arr
        for i, s in zip(ids_arr.tolist(), slots.tolist(), strict=True):
            self._slot_of[i] = s
            self._bitmap[s >> 3] |= np.uint8(1 << (s & 7))
        self._n_slots += len(ids_arr)
        self._maybe_rebuild()

    add = upsert

    def _tombstone(self, ids: Iterable[int]) -> int:
        n = 0
        for i in ids:
            s = self._slot_of.pop(int(i), None)
            if s is not None:
                self._slot_ids[s] = -1
                self._bitmap[s >> 3] &= np.uint8(~(1 << (s & 7)) & 0xFF)
                n += 1
        return n

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids (unknown ids are ignored); returns how many were removed."""
        n = self._tombstone(ids)
        if n:
            self._maybe_rebuild()
        return n

    def _kind_for(self, n: int) -> str:
        if n >= self.ivf_threshold:
            return "ivf_sq8"
        return "hnsw" if n >= self.hnsw_threshold else "flat"

    def _wanted_kind(self) -> str:
        return self._kind_for(max(len(self._slot_of), self._expected))

    def _maybe_rebuild(self) -> None:
        dead_heavy = self.n_dead > REBUILD_DEAD_FRACTION * max(self._n_slots, 1)
        kind = self._wanted_kind()
        # Hysteresis on the way down so a size hovering at a threshold does not flap.
        floors = {"hnsw": self.hnsw_threshold // 2, "ivf_sq8": self.ivf_threshold // 2}
        if KINDS.index(kind) < KINDS.index(self.kind) and len(self._slot_of) >= floors.get(
            self.kind, 0
        ):
            kind = self.kind
        if dead_heavy or kind != self.kind:
            self.rebuild(kind)

    def rebuild(self, kind: str | None = None) -> None:
        """Re-create the FAISS index from live stored vectors (drops tombstones)."""
        live_slots = np.nonzero(self._slot_ids[: self._n_slots] >= 0)[0]
        ids = self._slot_ids[live_slots].copy()
        vecs = self.reconstruct_slots(live_slots)
        self._expected = 0  # from now on the live size decides
        self.kind = kind or self._wanted_kind()
        self._index = _new_faiss(self.dim, self.kind, len(ids))
        self._slot_ids = np.zeros(0, dtype=np.int64)
        self._bitmap = np.zeros(0, dtype=np.uint8)
        self._n_slots = 0
        self._slot_of = {}
        if len(ids):
            self.upsert(ids, vecs)

    # ------------------------------------------------------------------ queries
    def reconstruct_slots(self, slots: np.ndarray) -> np.ndarray:
        if len(slots) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.kind == "flat":  # direct view of the flat storage: no per-vector calls
            xb = faiss.rev_swig_ptr(self._index.get_xb(), self._n_slots * self.dim)
            return np.asarray(xb).reshape(self._n_slots, self.dim)[slots].copy()
        return np.asarray(self._index.reconstruct_batch(np.asarray(slots, dtype=np.int64)))

    def get(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of the ``ids`` present: ``(found_ids, vectors)``."""
        pairs = [(i, self._slot_of[i]) for i in map(int, ids) if i in self._slot_of]
        found = np.array([p[0] for p in pairs], dtype=np.int64)
        slots = np.array([p[1] for p in pairs], dtype=np.int64)
        return found, self.reconstruct_slots(slots)

    def search(self, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, ids)`` per query row; missing entries have id -1."""
        q = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not self._slot_of or k <= 0:
            return (
                np.full((len(q), max(k, 0)), -np.inf, dtype=np.float32),
                np.full((len(q), max(k, 0)), -1, dtype=np.int64),
            )
        kk = min(k, len(self._slot_of))
        params = None
        # HNSW needs a beam wider than k for high recall at depth k (bench: ef=k+28 -> 0.95,
        # ef=2k -> 0.99 end-to-end at 100k); at 100k vectors ef=400 still costs < 1 ms.
        bitmap = self._bitmap  # keep a reference alive while FAISS reads it
        if self.n_dead:
            sel = faiss.IDSelectorBitmap(self._n_slots, faiss.swig_ptr(bitmap))
            if self.kind == "hnsw":
                params = _hnsw_params(sel=sel, efSearch=max(HNSW_EF_SEARCH, 2 * kk))
            elif self.kind == "ivf_sq8":
                params = _FAISS.SearchParametersIVF(sel=sel, nprobe=self._index.nprobe)
            else:
                params = _FAISS.SearchParameters(sel=sel)
        elif self.kind == "hnsw":
            params = _hnsw_params(efSearch=max(HNSW_EF_SEARCH, 2 * kk))
        scores, slots = self._index.search(q, kk, params=params)
        ids = np.where(slots >= 0, self._slot_ids[np.maximum(slots, 0)], -1)
        if kk < k:
            pad = k - kk
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        return scores, ids

    # ------------------------------------------------------------- persistence
    def save(self, path_prefix: str) -> None:
        """Write ``<prefix>.faiss``, ``.ids.npy`` and ``.json`` atomically (each file).

        Tombstones are saved as id -1 rather than rebuilt away: saving an HNSW index right
        after a removal must not cost a multi-second graph rebuild.
        """
        data = faiss.serialize_index(self._index).tobytes()
        atomic_write_bytes(path_prefix + ".faiss", data)
        meta = {
            "dim": self.dim,
            "kind": self.kind,
            "hnsw_threshold": self.hnsw_threshold,
            "ivf_threshold": self.ivf_threshold,
        }
        ids = self._slot_ids[: self._n_slots]
        atomic_write_bytes(path_prefix + ".ids.npy", _npy_bytes(ids))
        atomic_write_bytes(path_prefix + ".json", json.dumps(meta).encode())

    @classmethod
    def load(cls, path_prefix: str) -> VectorIndex:
        with open(path_prefix + ".json", encoding="utf-8") as fh:
            meta = json.load(fh)
        vi = cls(
            int(meta["dim"]),
            int(meta["hnsw_threshold"]),
            ivf_threshold=int(meta.get("ivf_threshold", IVF_THRESHOLD)),
        )
        with open(path_prefix + ".faiss", "rb") as fh:
            vi._index = _FAISS.deserialize_index(np.frombuffer(fh.read(), dtype=np.uint8))
        vi.kind = meta["kind"]
        if vi.kind == "hnsw":
            vi._index.hnsw.efSearch = HNSW_EF_SEARCH
        elif vi.kind == "ivf_sq8":
            vi._index.nprobe = IVF_NPROBE
            vi._index.make_direct_map()
        ids = np.load(path_prefix + ".ids.npy")
        if len(ids) != vi._index.ntotal:
            raise ValueError(f"{path_prefix}: id map and index sizes differ")
        vi._grow(len(ids))
        vi._slot_ids[: len(ids)] = ids
        vi._n_slots = len(ids)
        vi._slot_of = {int(i): s for s, i in enumerate(ids.tolist()) if i >= 0}
        bits = np.zeros(len(vi._bitmap) * 8, dtype=np.uint8)
        bits[: len(ids)] = ids >= 0
        vi._bitmap = np.packbits(bits, bitorder="little")
        return vi


def _npy_bytes(arr: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()
