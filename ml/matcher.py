"""``Matcher``: the façade the app uses — encoder + vector indexes + BM25 + ranking.

Retrieval is hybrid: candidates are the union of the top ``candidates`` of the main-vector
index, the extra-vector index and BM25; every candidate is then scored *exactly* (stored
vectors re-read from FAISS, full BM25) and ranked by :mod:`ml.ranking`.

Thread-safety: one ``RLock`` serialises updates and queries of one instance. Persistence is
atomic across files: each save writes a fresh ``gen-*`` directory and then atomically swaps a
``CURRENT`` pointer file, so a reader in another process never sees a half-written index.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ml import explain, text
from ml.encoder import DIM, Encoder, get_encoder
from ml.index import VectorIndex, atomic_write_bytes
from ml.lexical import BM25Index
from ml.ranking import (
    DEFAULT_WEIGHTS,
    BriefConstraints,
    CandidateMeta,
    RankingWeights,
    apply_exploration,
    business_adjustment,
)
from ml.text import Document, Query

EXTRA_STRIDE = 64  # extra-vector id = doc_id * 64 + slot (doc ids must be < 2**57)
MetaLookup = Mapping[int, CandidateMeta] | Callable[[list[int]], Mapping[int, CandidateMeta]]
Progress = Callable[[int, int], None]


@dataclass
class Match:
    """One ranked result. With owner grouping, ``doc_id`` is the owner's best offer."""

    doc_id: int
    owner_id: int
    score: float
    relevance: float
    components: dict[str, float]
    matched_terms: list[str]
    matched_skills: list[str]
    best_text: str  # the text (main or an extra) closest to the brief
    reasons: list[str] = field(default_factory=list)
    explored: bool = False  # placed by the exploration slot
    other_doc_ids: list[int] = field(default_factory=list)  # owner's other matching offers
    # Exploration slots only: the probability the uniform draw gave this result, and every
    # eligible alternative (owner_id, doc_id, score, components) it was drawn from.
    propensity: float = 1.0
    explore_pool: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _DocInfo:
    owner: int
    kind: str
    title: str
    skills: tuple[str, ...]
    extras: tuple[str, ...]


class Matcher:
    """Index of offers that ranks them (or their creators) for a brief."""

    def __init__(
        self, encoder: Encoder | None = None, weights: RankingWeights = DEFAULT_WEIGHTS
    ) -> None:
        self._encoder = encoder
        self.weights = weights
        self.main = VectorIndex(DIM)
        self.extra = VectorIndex(DIM)
        self.lexical = BM25Index()
        self._docs: dict[int, _DocInfo] = {}
        self._lock = threading.RLock()

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder()
        return self._encoder

    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def ids(self) -> list[int]:
        """Indexed document ids (lets the app reconcile the index with the database)."""
        with self._lock:
            return sorted(self._docs)

    # ------------------------------------------------------------------ updates
    def upsert(
        self, docs: Iterable[Document], progress: Progress | None = None, batch_size: int = 256
    ) -> int:
        """Index (or re-index) documents; returns how many. Encodes in batches."""
        todo = list(docs)
        done = 0
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            mains = [text.main_text(d) for d in batch]
            extras = [text.extra_texts(d) for d in batch]
            flat = [t for ex in extras for t in ex]
            vecs = self.encoder.encode(mains + flat)  # one call: better length bucketing
            with self._lock:
                self._apply(batch, extras, vecs[: len(batch)], vecs[len(batch) :])
            done += len(batch)
            if progress is not None:
                progress(done, len(todo))
        return done

    def _apply(
        self,
        batch: list[Document],
        extras: list[list[str]],
        main_vecs: np.ndarray,
        extra_vecs: np.ndarray,
    ) -> None:
        ids = [int(d.id) for d in batch]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate document ids in one batch")
        self._remove_extras(ids)
        self.main.upsert(ids, main_vecs)
        ex_ids = [
            d * EXTRA_STRIDE + s for d, ex in zip(ids, extras, strict=True) for s in range(len(ex))
        ]
        if ex_ids:
            self.extra.upsert(ex_ids, extra_vecs)
        for d, ex in zip(batch, extras, strict=True):
            self.lexical.upsert_tokens(int(d.id), text.lexical_tokens(d))
            self._docs[int(d.id)] = _DocInfo(
                int(d.owner_key),
                d.kind,
                d.title,
                tuple(d.skills) + tuple(d.owner_skills),
                tuple(ex),
            )

    def _remove_extras(self, ids: Iterable[int]) -> None:
        ex = [
            i * EXTRA_STRIDE + s
            for i in ids
            if i in self._docs
            for s in range(len(self._docs[i].extras))
        ]
        self.extra.remove(ex)

    def remove(self, ids: Iterable[int]) -> int:
        """Remove documents by id (unknown ids ignored); returns how many were removed."""
        with self._lock:
            ids = [int(i) for i in ids if int(i) in self._docs]
            self._remove_extras(ids)
            self.main.remove(ids)
            self.lexical.remove(ids)
            for i in ids:
                del self._docs[i]
            return len(ids)

    @classmethod
    def build(
        cls,
        docs: Iterable[Document],
        progress: Progress | None = None,
        encoder: Encoder | None = None,
        weights: RankingWeights = DEFAULT_WEIGHTS,
        batch_size: int = 256,
    ) -> Matcher:
        """A fresh matcher over ``docs`` (full rebuild)."""
        m = cls(encoder=encoder, weights=weights)
        m.upsert(docs, progress=progress, batch_size=batch_size)
        return m

    # ------------------------------------------------------------------ queries
    def match(
        self,
        query: Query,
        k: int = 10,
        constraints: BriefConstraints | None = None,
        meta_lookup: MetaLookup | None = None,
        group_by_owner: bool = True,
        seed: int = 0,
        qvec: np.ndarray | None = None,
        explain: bool = True,
    ) -> list[Match]:
        """Rank documents (or, with ``group_by_owner``, owners by their best document).

        ``meta_lookup`` maps doc ids to :class:`CandidateMeta` (a mapping, or a callable
        taking the list of candidate ids — one batched DB query). Without it only relevance
        counts. ``seed`` makes the exploration slot reproducible. ``qvec`` is the query's
        vector when the caller has it (a stored brief vector); otherwise the query is encoded
        (through the encoder's LRU). ``explain=False`` skips matched terms, skills and the
        best text: for callers that only need ids and scores (catalog search).
        """
        if qvec is None:
            qvec = self.encoder.encode_one(text.query_text(query))
        with self._lock:
            return self._match(
                query, qvec, k, constraints, meta_lookup, group_by_owner, seed, explain
            )

    def _candidates(
        self, qvec: np.ndarray, lex_ids: np.ndarray, lex_scores: np.ndarray
    ) -> np.ndarray:
        c = self.weights.candidates
        _, main_ids = self.main.search(qvec, c)
        _, ex_ids = self.extra.search(qvec, 2 * c)
        ex_docs = ex_ids[ex_ids >= 0] // EXTRA_STRIDE
        top_lex = lex_ids
        if len(lex_ids) > c:
            top_lex = lex_ids[np.argpartition(-lex_scores, c - 1)[:c]]
        cands = np.concatenate([main_ids[main_ids >= 0], ex_docs, top_lex])
        return np.unique(cands)

    def relevance_scores(
        self, qvec: np.ndarray, lex_ids: np.ndarray, lex_scores: np.ndarray, cands: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Component scores of ``cands``: dense_main, dense_extra, lexical, relevance."""
        comp = self.component_scores(qvec, lex_ids, lex_scores, cands)
        comp["relevance"] = combine_relevance(comp, self.weights)
        return comp

    def component_scores(
        self, qvec: np.ndarray, lex_ids: np.ndarray, lex_scores: np.ndarray, cands: np.ndarray
    ) -> dict[str, np.ndarray]:
        """The signals fused into relevance, for ``cands``: dense_main, dense_extra, lexical."""
        _, mv = self.main.get(cands.tolist())
        cos_main = mv @ qvec
        cos_extra = cos_main.copy()
        owners, ex_keys = [], []
        for i, d in enumerate(cands.tolist()):
            for s in range(len(self._docs[d].extras)):
                owners.append(i)
                ex_keys.append(d * EXTRA_STRIDE + s)
        if ex_keys:
            _, ev = self.extra.get(ex_keys)
            best = np.full(len(cands), -np.inf, dtype=np.float32)
            np.maximum.at(best, np.asarray(owners), ev @ qvec)
            cos_extra = np.where(np.isfinite(best), best, cos_main)
        lex = np.zeros(len(cands), dtype=np.float32)
        if len(lex_ids):  # vectorised lookup of each candidate's BM25 score (0 if no hit)
            order = np.argsort(lex_ids)
            sorted_ids = lex_ids[order]
            at = np.minimum(np.searchsorted(sorted_ids, cands), len(sorted_ids) - 1)
            found = sorted_ids[at] == cands
            lex[found] = lex_scores[order[at[found]]] / float(lex_scores.max())
        return {"dense_main": cos_main, "dense_extra": cos_extra, "lexical": lex}

    def _match(
        self,
        query: Query,
        qvec: np.ndarray,
        k: int,
        constraints: BriefConstraints | None,
        meta_lookup: MetaLookup | None,
        group_by_owner: bool,
        seed: int,
        explain: bool = True,
    ) -> list[Match]:
        if not self._docs or k <= 0:
            return []
        brief = text.query_lexical_text(query)
        lex_ids, lex_scores = self.lexical.score_all(brief)
        cands = self._candidates(qvec, lex_ids, lex_scores)
        comp = self.relevance_scores(qvec, lex_ids, lex_scores, cands)
        cand_list = cands.tolist()
        metas: Mapping[int, CandidateMeta] = {}
        if meta_lookup is not None:
            metas = meta_lookup if isinstance(meta_lookup, Mapping) else meta_lookup(cand_list)
        scored = []
        for i, d in enumerate(cand_list):
            adj, fits, reasons = business_adjustment(metas.get(d), constraints, self.weights)
            rel = float(comp["relevance"][i])
            parts = {name: float(v[i]) for name, v in comp.items()} | fits
            scored.append((rel + adj, rel, d, parts, reasons))
        scored.sort(key=lambda t: (-t[0], t[2]))  # ties by id: deterministic
        # Group: keep each owner's best document; remember its other matching offers.
        best: dict[int, tuple[float, float, int, dict[str, float], list[str]]] = {}
        others: dict[int, list[int]] = {}
        for row in scored:
            key = self._docs[row[2]].owner if group_by_owner else row[2]
            if key in best:
                others.setdefault(key, []).append(row[2])
            else:
                best[key] = row
        order = list(best)  # insertion order == score order
        rel_by_key = {key: best[key][1] for key in order}
        new_by_key = {key: bool((m := metas.get(best[key][2])) and m.is_new) for key in order}
        pools: dict[int, list[int]] = {}
        order, explored = apply_exploration(
            order, rel_by_key, new_by_key, k, seed, brief, self.weights, pools
        )
        results = []
        for key in order[:k]:
            if not explain:
                score, rel, doc_id, parts, reasons = best[key]
                results.append(
                    Match(
                        doc_id, self._docs[doc_id].owner, score, rel, parts, [], [], "",
                        list(reasons), key in explored, others.get(key, []),
                    )
                )  # fmt: skip
                continue
            match = self._explain(
                query, brief, qvec, key, best[key], others.get(key, []), key in explored
            )
            if key in pools:
                match.propensity = 1.0 / len(pools[key])
                match.explore_pool = [
                    {
                        "owner_id": self._docs[best[o][2]].owner,
                        "doc_id": best[o][2],
                        "score": best[o][0],
                        "components": best[o][3],
                    }
                    for o in pools[key]
                ]
            results.append(match)
        return results

    def _explain(
        self,
        query: Query,
        brief: str,
        qvec: np.ndarray,
        key: int,
        row: tuple[float, float, int, dict[str, float], list[str]],
        other_ids: list[int],
        explored: bool,
    ) -> Match:
        score, rel, doc_id, parts, reasons = row
        info = self._docs[doc_id]
        best_text = info.title
        if info.extras and parts["dense_extra"] > parts["dense_main"]:
            _, ev = self.extra.get([doc_id * EXTRA_STRIDE + s for s in range(len(info.extras))])
            best_text = info.extras[int(np.argmax(ev @ qvec))]
        reasons = list(reasons)
        if explored:
            reasons.append("new creator, shown to give newcomers a fair chance")
        return Match(
            doc_id=doc_id,
            owner_id=info.owner,
            score=score,
            relevance=rel,
            components=parts,
            matched_terms=explain.matched_terms(brief, self.lexical.doc_terms(doc_id)),
            matched_skills=explain.matched_skills(brief, list(query.skills), info.skills),
            best_text=best_text,
            reasons=reasons,
            explored=explored,
            other_doc_ids=other_ids,
        )

    # ------------------------------------------------------------- persistence
    def save(self, directory: str | os.PathLike[str], info: Mapping[str, Any] | None = None) -> str:
        """Persist into ``directory`` (created if needed); returns the generation name.

        ``info`` (JSON-serialisable, e.g. ``{"db_version": 42}``) is stored in the manifest and
        readable cheaply with :meth:`read_info`. Older generations are pruned (the previous
        one is kept for readers that are still loading it).
        """
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        with self._lock:
            gen = f"gen-{time.time_ns()}"
            path = os.path.join(directory, gen)
            os.makedirs(path)
            self.main.save(os.path.join(path, "main"))
            self.extra.save(os.path.join(path, "extra"))
            self.lexical.save(os.path.join(path, "lexical.npz"))
            docs = {
                str(d): [i.owner, i.kind, i.title, list(i.skills), list(i.extras)]
                for d, i in self._docs.items()
            }
            atomic_write_bytes(os.path.join(path, "docs.json"), json.dumps(docs).encode())
            manifest = {"generation": gen, "n_docs": len(self._docs), "info": dict(info or {})}
            atomic_write_bytes(os.path.join(path, "manifest.json"), json.dumps(manifest).encode())
        atomic_write_bytes(os.path.join(directory, "CURRENT"), gen.encode())
        gens = sorted(g for g in os.listdir(directory) if g.startswith("gen-"))
        for old in gens[:-2]:
            shutil.rmtree(os.path.join(directory, old), ignore_errors=True)
        return gen

    @staticmethod
    def read_info(directory: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The manifest of the current generation, or ``None`` if nothing was saved."""
        try:
            with open(os.path.join(directory, "CURRENT"), encoding="utf-8") as fh:
                gen = fh.read().strip()
            with open(os.path.join(directory, gen, "manifest.json"), encoding="utf-8") as fh:
                manifest: dict[str, Any] = json.load(fh)
                return manifest
        except FileNotFoundError:
            return None

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        encoder: Encoder | None = None,
        weights: RankingWeights = DEFAULT_WEIGHTS,
    ) -> Matcher:
        """Load the current generation saved by :meth:`save`."""
        with open(os.path.join(directory, "CURRENT"), encoding="utf-8") as fh:
            path = os.path.join(directory, fh.read().strip())
        m = cls(encoder=encoder, weights=weights)
        m.main = VectorIndex.load(os.path.join(path, "main"))
        m.extra = VectorIndex.load(os.path.join(path, "extra"))
        m.lexical = BM25Index.load(os.path.join(path, "lexical.npz"))
        with open(os.path.join(path, "docs.json"), encoding="utf-8") as fh:
            raw = json.load(fh)
        m._docs = {
            int(d): _DocInfo(o, k, t, tuple(s), tuple(e)) for d, (o, k, t, s, e) in raw.items()
        }
        return m


def combine_relevance(comp: Mapping[str, np.ndarray], w: RankingWeights) -> np.ndarray:
    """The one fusion formula (see :mod:`ml.ranking`); works on vectors or matrices."""
    return (
        w.w_main * comp["dense_main"]
        + w.w_extra * comp["dense_extra"]
        + w.w_lexical * comp["lexical"]
    )


def relevance_only(matcher: Matcher, queries: Sequence[Query], k: int) -> list[list[int]]:
    """Doc ids ranked by relevance only (no metadata, no grouping): used by evaluation."""
    return [[m.doc_id for m in matcher.match(q, k=k, group_by_owner=False)] for q in queries]
