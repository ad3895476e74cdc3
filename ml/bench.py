"""Benchmark: ``python -m ml.bench [--sizes 10000,100000] [--quick] [--queries 200]``.

Method (printed with the results, so the numbers are never read out of context):

1. *Encoding throughput*: ``--encode`` realistic synthetic offers (ml/synthetic.py) are encoded
   raw (``Encoder.encode`` on all their texts), then indexed through ``Matcher.upsert``
   (text construction + encoding + FAISS + BM25). Overhead = pipeline time / raw time - 1.
2. *Scale*: encoding 100k offers would take ~20 min on 2 cores, so for each size N the
   matcher is filled with N synthetic offers whose texts are real (BM25 indexes them) but
   whose vectors are the encoded vectors of the throughput set, re-used cyclically with
   Gaussian noise (cosine ~0.9 to the original), keeping the realistic cluster structure.
   Build time at N therefore excludes encoding (see 1 for that).
3. *Latency*: full ``Matcher.match`` (encode brief + both vector searches + BM25 + exact
   re-scoring + ranking + explanations), ``--queries`` synthetic briefs, after warm-up.
   Wall-clock percentiles depend on what else runs on the box (load average is printed);
   ``cpu`` columns are the process CPU time per match (all threads), which does not.
4. *Recall@10*: approximate index vs exact search on the same vectors (main index), and
   end-to-end: top-10 of ``match`` with HNSW vs with exact flat indexes.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ml import synthetic, text
from ml.encoder import DIM, get_encoder, serving_threads
from ml.index import VectorIndex
from ml.matcher import Matcher

UPSERT_BATCH = 256


def get_torch_threads() -> int:
    import torch

    return int(torch.get_num_threads())


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(n: int) -> dict[str, float]:
    enc = get_encoder()
    docs = synthetic.offers(n, seed=0)
    # The raw baseline encodes exactly what Matcher.upsert encodes, in the same chunks, so the
    # difference is the pipeline's own cost (text building, BM25, FAISS adds, bookkeeping).
    chunks = []
    for s in range(0, n, UPSERT_BATCH):
        part = docs[s : s + UPSERT_BATCH]
        chunks.append(
            [text.main_text(d) for d in part] + [t for d in part for t in text.extra_texts(d)]
        )
    n_texts = sum(len(c) for c in chunks)
    enc.encode(chunks[0][:64])  # warm-up
    raws, pipes = [], []
    for _ in range(3):  # interleaved, best of 3: load from other processes hits both alike
        t0 = time.perf_counter()
        for chunk in chunks:
            enc.encode(chunk)
        raws.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        Matcher.build(docs, encoder=enc, batch_size=UPSERT_BATCH)
        pipes.append(time.perf_counter() - t0)
    raw, pipe = min(raws), min(pipes)
    return {
        "offers": n,
        "texts": n_texts,
        "raw_s": raw,
        "pipe_s": pipe,
        "raw_offers_s": n / raw,
        "pipe_offers_s": n / pipe,
        "overhead": pipe / raw - 1,
    }


def synth_vectors(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    v = base[np.arange(n) % len(base)] + rng.normal(0, 0.025, (n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_copy(vi: VectorIndex) -> VectorIndex:
    ids = vi.ids()
    _, vecs = vi.get(ids.tolist())
    ex = VectorIndex(vi.dim, hnsw_threshold=1 << 62)
    ex.upsert(ids, vecs)
    return ex


def pct(xs: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q))


def bench_size(
    n: int, base_main: np.ndarray, base_extra: np.ndarray, n_queries: int
) -> dict[str, Any]:
    rng = np.random.default_rng(n)
    enc = get_encoder()
    m = Matcher(encoder=enc)
    docs = synthetic.offers(n, seed=0)
    t0 = time.perf_counter()
    step = 10_000
    for s in range(0, n, step):
        batch = docs[s : s + step]
        mv = synth_vectors(base_main, len(batch), rng)
        ev = synth_vectors(base_extra, len(batch), rng)
        m._apply(batch, [text.extra_texts(d) for d in batch], mv, ev)
    build = time.perf_counter() - t0
    mem = rss_mb()
    queries = synthetic.briefs(n_queries + 5, seed=7)
    for q in queries[:5]:
        m.match(q)
    lat, enc_lat, cpu = [], [], []
    for q in queries[5:]:
        t0 = time.perf_counter()
        enc.encode_one(text.query_text(q))
        t1 = time.perf_counter()
        c1 = time.process_time()
        m.match(q)
        t2 = time.perf_counter()
        cpu.append((time.process_time() - c1) * 1000)
        enc_lat.append((t1 - t0) * 1000)
        lat.append((t2 - t1) * 1000)
    upd = []  # production path: one offer edited = encode + upsert in both indexes + BM25
    for d in synthetic.offers(20, seed=99, start_id=n + 10):
        t0 = time.perf_counter()
        m.upsert([d])
        upd.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    m.remove(range(1, 1 + n // 20))  # 5% tombstones: searches now go through the bitmap
    rm_ms = (time.perf_counter() - t0) * 1000 / (n // 20)
    lat_dead = []
    for q in queries[5:55]:
        t0 = time.perf_counter()
        m.match(q)
        lat_dead.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    m.main.rebuild()  # what a 20%-dead auto-rebuild costs for the main index
    rebuild_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        m.save(tmp)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        Matcher.load(tmp, encoder=enc)
        load_s = time.perf_counter() - t0
    qv = enc.encode([text.query_text(q) for q in queries[5:]])
    _, ann = m.main.search(qv, 10)
    kind = m.main.kind
    exact_main, exact_extra = exact_copy(m.main), exact_copy(m.extra)
    _, ex = exact_main.search(qv, 10)
    idx_recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ann, ex, strict=True)]))
    approx = [[r.doc_id for r in m.match(q)] for q in queries[5:]]
    m.main, m.extra = exact_main, exact_extra
    exact = [[r.doc_id for r in m.match(q)] for q in queries[5:]]
    e2e = float(
        np.mean([len(set(a) & set(b)) / max(len(b), 1) for a, b in zip(approx, exact, strict=True)])
    )
    return {
        "n": n,
        "kind": kind,
        "build_s": build,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "cpu50": pct(cpu, 50),
        "cpu99": pct(cpu, 99),
        "enc_p50": pct(enc_lat, 50),
        "recall_index": idx_recall,
        "recall_e2e": e2e,
        "rss_mb": mem,
        "upsert_ms": pct(upd, 50),
        "remove_ms": rm_ms,
        "p50_dead": pct(lat_dead, 50),
        "rebuild_s": rebuild_s,
        "save_s": save_s,
        "load_s": load_s,
    }


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    pairs = zip(found, exact, strict=True)
    return float(np.mean([len(set(a[:10].tolist()) & set(b[:10].tolist())) / 10 for a, b in pairs]))


def _timed_search(index: Any, qv: np.ndarray, depth: int) -> tuple[np.ndarray, list[float]]:
    lat, found = [], []
    for row in qv:
        t0 = time.perf_counter()
        _, ids = index.search(row.reshape(1, -1), depth)
        lat.append((time.perf_counter() - t0) * 1000)
        found.append(ids[0])
    return np.asarray(found), lat


def compare_compact(base: np.ndarray, qv: np.ndarray, n: int, depth: int) -> None:
    """The candidates for the large-size index, on the same ``n`` vectors: IVF-SQ8 (the
    choice), IVF-PQ (48 bytes a vector) and HNSW over SQ8. Recall@10 vs exact, search
    latency at the matcher's depth, build time, bytes per vector."""
    import faiss

    from ml.index import IVF_NPROBE, IVF_TRAIN_ITERATIONS, ivf_lists

    ff: Any = faiss
    vecs = synth_vectors(base, n, np.random.default_rng(n + 1))
    scores = qv @ vecs.T
    exact = np.argsort(-scores, axis=1)[:, :10]
    del scores
    lists = ivf_lists(n)
    print(f"\n  candidates on the same {n} vectors ({lists} lists, nprobe {IVF_NPROBE}):")
    print(f"  {'index':<24}{'build s':>8}{'B/vec':>7}{'R@10':>7}{'p50 ms':>8}{'p99 ms':>8}")

    def ivf(kind: str) -> Any:
        quantizer = ff.IndexFlatIP(DIM)
        if kind == "sq8":
            index = ff.IndexIVFScalarQuantizer(
                quantizer, DIM, lists, ff.ScalarQuantizer.QT_8bit, ff.METRIC_INNER_PRODUCT
            )
        else:
            index = ff.IndexIVFPQ(quantizer, DIM, lists, 48, 8, ff.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_TRAIN_ITERATIONS
        index.nprobe = IVF_NPROBE
        return index

    builders = {
        "ivf_sq8 (chosen)": lambda: ivf("sq8"),
        "ivf_pq48": lambda: ivf("pq"),
        "hnsw_sq8 M=32": lambda: ff.IndexHNSWSQ(
            DIM, ff.ScalarQuantizer.QT_8bit, 32, ff.METRIC_INNER_PRODUCT
        ),
    }
    for label, build in builders.items():
        index = build()
        t0 = time.perf_counter()
        index.train(vecs[: min(n, 100_000)])
        index.add(vecs)
        built = time.perf_counter() - t0
        if label.startswith("hnsw"):
            index.hnsw.efSearch = 2 * depth
        found, lat = _timed_search(index, qv, depth)
        # HNSW over SQ8: the 8-bit codes plus the level-0 links (2*M int32), no codec size.
        per_vec = DIM + 2 * 32 * 4 if label.startswith("hnsw") else index.sa_code_size()
        print(
            f"  {label:<24}{built:>8.0f}{per_vec:>7}{_recall(found, exact):>7.3f}"
            f"{pct(lat, 50):>8.2f}{pct(lat, 99):>8.2f}"
        )
        del index


def bench_offers(n: int, n_queries: int, n_base: int, chunk: int = 200_000) -> int:
    """``--offers N``: the main-vector index at N offers, built in chunks so the float vectors
    are never all in memory (the index holds only its compact codes), against exact search
    computed on the same chunks as they stream by.

    Vectors: noisy copies of ``n_base`` really encoded synthetic offers (see the module
    docstring). Queries: synthetic briefs, encoded for real on every query (no cache), so
    the latency is what a matches request pays for retrieval: one brief encoding + one index
    search at the matcher's candidate depth (100). Recall@10: the first 10 of that search vs
    the exact top 10 (inner product over the float vectors). Before it, the candidate index
    types are compared on 100k vectors (``compare_compact``).
    """
    from ml.index import IVF_NPROBE, ivf_lists, kind_for
    from ml.ranking import DEFAULT_WEIGHTS

    depth = DEFAULT_WEIGHTS.candidates
    load0 = os.getloadavg()[0]
    enc = get_encoder()
    rss_model = rss_mb()
    docs = synthetic.offers(n_base, seed=0)
    base = enc.encode([text.main_text(d) for d in docs])
    queries = [text.query_text(q) for q in synthetic.briefs(n_queries + 5, seed=7)]
    qv = enc.encode(queries)
    print(
        f"[--offers {n}] main-vector index; {n_queries} briefs; vectors from {n_base} encoded "
        f"offers; {get_torch_threads()} torch threads"
    )
    compare_compact(base, qv[5:], min(n, 100_000), depth)
    rss_before = rss_mb()
    rng = np.random.default_rng(n)
    index = VectorIndex(DIM, expected=n)
    best_s = np.full((len(qv), 10), -np.inf, dtype=np.float32)
    best_i = np.full((len(qv), 10), -1, dtype=np.int64)
    print(
        f"\n  {n} vectors, type chosen by size: {kind_for(n)} ({ivf_lists(n)} lists), "
        f"built in chunks of {chunk}"
    )
    t0 = time.perf_counter()
    for start in range(0, n, chunk):
        vecs = synth_vectors(base, min(chunk, n - start), rng)
        ids = np.arange(start + 1, start + 1 + len(vecs), dtype=np.int64)
        index.upsert(ids, vecs)
        scores = qv @ vecs.T  # exact, streamed: merge this chunk's top 10 into the best so far
        top = np.argpartition(-scores, 9, axis=1)[:, :10]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, ids[top]], axis=1)
        keep = np.argsort(-cand_s, axis=1)[:, :10]
        best_s = np.take_along_axis(cand_s, keep, axis=1)
        best_i = np.take_along_axis(cand_i, keep, axis=1)
        del vecs, scores
    build = time.perf_counter() - t0
    rss_built = rss_mb()
    print(f"  built in {build:.0f} s; index kind {index.kind}")
    print(f"  {'nprobe':<10}{'R@10':>7}{'search p50':>12}{'search p99':>12}")
    for nprobe in (8, 16, 32, 64) if index.kind == "ivf_sq8" else ():
        index._index.nprobe = nprobe
        found, lat = _timed_search(index, qv[5:], depth)
        mark = " *" if nprobe == IVF_NPROBE else ""
        print(
            f"  {str(nprobe) + mark:<10}{_recall(found, best_i[5:]):>7.3f}"
            f"{pct(lat, 50):>12.2f}{pct(lat, 99):>12.2f}"
        )
    if index.kind == "ivf_sq8":
        index._index.nprobe = IVF_NPROBE
    # What a request pays: encode the brief (never cached here) + one search at depth 100.
    for q in queries[:5]:
        index.search(enc.encode([q]), depth)
    lat, enc_lat, found_rows = [], [], []
    for q in queries[5:]:
        t1 = time.perf_counter()
        vec = enc.encode([q])
        t2 = time.perf_counter()
        _, ids = index.search(vec, depth)
        lat.append((time.perf_counter() - t1) * 1000)
        enc_lat.append((t2 - t1) * 1000)
        found_rows.append(ids[0])
    print(
        f"\n  brief encoding + search (nprobe {IVF_NPROBE}, depth {depth}): "
        f"p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms "
        f"(encoding alone p50 {pct(enc_lat, 50):.1f} ms, p99 {pct(enc_lat, 99):.1f} ms); "
        f"recall@10 {_recall(np.asarray(found_rows), best_i[5:]):.3f}"
    )
    print(
        f"  RSS: {rss_model:.0f} MB with the model loaded, {rss_before:.0f} MB before the "
        f"build, {rss_built:.0f} MB with the {n}-vector index built; peak {peak_rss_mb():.0f} MB"
        " (the peak includes the 100k-vector comparison and one float chunk)"
    )
    print(
        f"  load average (1 min) at start/end: {load0:.2f} / {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.bench")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--encode", type=int, default=2000, help="offers encoded for real")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="small run (~1 min)")
    ap.add_argument(
        "--offers", type=int, default=0, help="only the compact-index run at this many offers"
    )
    args = ap.parse_args(argv)
    if args.offers:
        # What a request pays is measured as the ranking server runs it (ml.encoder.
        # serving_threads: cores - 1); ML_TORCH_THREADS overrides.
        os.environ.setdefault("ML_TORCH_THREADS", str(serving_threads()))
        return bench_offers(args.offers, args.queries, args.encode)
    if args.quick:
        args.sizes, args.encode, args.queries = "5000,25000", 200, 40
    sizes = [int(s) for s in args.sizes.split(",") if s]
    load0 = os.getloadavg()[0]  # other processes on the box inflate latency percentiles
    enc = get_encoder()
    print(__doc__.split("Method")[0].strip().splitlines()[0])
    print(
        f"\n[1] encoding throughput on {args.encode} real synthetic offers "
        f"({get_torch_threads()} torch threads)"
    )
    tp = throughput(args.encode)
    print(
        f"  raw encoder     : {tp['raw_offers_s']:7.1f} offers/s "
        f"({tp['texts'] / tp['raw_s']:.1f} texts/s, {tp['texts']} texts)"
    )
    print(
        f"  Matcher.upsert  : {tp['pipe_offers_s']:7.1f} offers/s  "
        f"overhead {tp['overhead']:+.1%}  ({tp['pipe_offers_s'] / tp['raw_offers_s']:.1%} "
        "of raw throughput)"
    )
    docs = synthetic.offers(args.encode, seed=0)
    base_main = enc.encode([text.main_text(d) for d in docs])
    base_extra = enc.encode([text.extra_texts(d)[0] for d in docs])
    print(
        "\n[2-4] scale (vectors synthesised from the encoded set, see docstring); "
        f"{args.queries} briefs; latency = full match incl. brief encoding"
    )
    hdr = (
        f"  {'offers':>8} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7} {'enc p50':>7} "
        f"{'cpu p50':>7} {'cpu p99':>7} "
        f"{'R@10 idx':>8} {'R@10 e2e':>8} {'RSS MB':>7} index"
    )
    print(hdr)
    rows = []
    for n in sizes:
        r = bench_size(n, base_main, base_extra, args.queries)
        rows.append(r)
        print(
            f"  {n:>8} {r['build_s']:>8.1f} {r['p50']:>7.1f} {r['p99']:>7.1f} "
            f"{r['enc_p50']:>7.1f} {r['cpu50']:>7.1f} {r['cpu99']:>7.1f} "
            f"{r['recall_index']:>8.3f} {r['recall_e2e']:>8.3f} "
            f"{r['rss_mb']:>7.0f} {r['kind']}"
        )
    print(
        "\n  updates: upsert = 1 offer, encode included (median of 20); remove = per offer, "
        "removing 5%;\n  then match p50 with those 5% tombstones, and the cost of rebuilding "
        "the main index"
    )
    for r in rows:
        print(
            f"  {r['n']:>8} offers: upsert {r['upsert_ms']:.1f} ms, remove {r['remove_ms']:.3f} "
            f"ms, match p50 with tombstones {r['p50_dead']:.1f} ms, main rebuild "
            f"{r['rebuild_s']:.1f} s, save {r['save_s']:.1f} s, load {r['load_s']:.1f} s"
        )
    print(
        f"  peak RSS {peak_rss_mb():.0f} MB; load average (1 min) at start/end: "
        f"{load0:.2f} / {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
