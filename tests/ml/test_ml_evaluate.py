from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ml.evaluate import main, mrr_at_k, ndcg_at_k, recall_at_k

ROOT = Path(__file__).resolve().parents[2]


def test_ndcg_known_values() -> None:
    grades = {"a": 2, "b": 1}
    assert ndcg_at_k(["a", "b", "x"], grades) == pytest.approx(1.0)
    # b first, a second: DCG = 1/1 + 3/log2(3); ideal = 3/1 + 1/log2(3)
    want = (1 + 3 / math.log2(3)) / (3 + 1 / math.log2(3))
    assert ndcg_at_k(["b", "a"], grades) == pytest.approx(want)
    assert ndcg_at_k(["x", "y"], grades) == 0.0
    # relevant item below the cut-off does not count
    assert ndcg_at_k(["x"] * 10 + ["a"], {"a": 2}) == 0.0
    assert ndcg_at_k(["x", "a"], {"a": 1}, k=10) == pytest.approx(1 / math.log2(3))


def test_recall_and_mrr_known_values() -> None:
    rel = {"a", "b", "c", "d"}
    assert recall_at_k(["x", "a", "y", "b"], rel) == 0.5
    assert mrr_at_k(["x", "y", "b"], rel) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], rel) == 0.0
    assert recall_at_k(["a"], set()) == 0.0


def write_fixture(tmp: Path) -> tuple[Path, Path]:
    creators = [
        {
            "id": "c1",
            "title": "Photographers",
            "description": "Photograph people and products.",
            "skills": ["Adobe Lightroom"],
            "kind": "media",
            "aliases": ["Photo Studio Owner"],
        },
        {
            "id": "c2",
            "title": "Accountants",
            "description": "Examine financial records.",
            "skills": ["QuickBooks"],
            "kind": "service",
        },
        {
            "id": "c3",
            "title": "Bakers",
            "description": "Mix and bake bread and pastries.",
            "skills": [],
            "kind": "service",
            "extra_key": 1,
        },
    ]
    queries = [
        {
            "qid": "q1",
            "brief": "Take photographs of products for catalogs.",
            "relevant": ["c1"],
            "grades": {"c1": 2},
        },
        {
            "qid": "q2",
            "brief": "Prepare tax returns and review financial records.",
            "relevant": ["c2"],
            "grades": {"c2": 2},
        },
        {
            "qid": "q3",
            "brief": "Bake bread and pastries for sale.",
            "relevant": ["c3", "c1"],
            "grades": {"c3": 2, "c1": 1},
        },
    ]
    c, q = tmp / "creators.jsonl", tmp / "queries.jsonl"
    c.write_text("\n".join(json.dumps(x) for x in creators) + "\n")
    q.write_text("\n".join(json.dumps(x) for x in queries) + "\n")
    return c, q


@pytest.mark.slow
def test_cli_in_process_prints_json_last(tmp_path: Path, capsys, encoder) -> None:
    c, q = write_fixture(tmp_path)
    assert main(["--creators", str(c), "--queries", str(q), "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    res = json.loads(last)
    assert set(res) == {"ndcg@10", "recall@10", "mrr@10"}
    # 3 creators -> all in the top 10: recall is 1; each grade-2 creator should rank first.
    assert res["recall@10"] == 1.0
    assert res["mrr@10"] == 1.0 and res["ndcg@10"] > 0.95


@pytest.mark.slow
def test_cli_module_entry_point(tmp_path: Path) -> None:
    c, q = write_fixture(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml.evaluate",
            "--creators",
            str(c),
            "--queries",
            str(q),
            "--json",
            "--method",
            "bm25",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out.strip().splitlines()[-1])["recall@10"] == 1.0
