from __future__ import annotations

import pytest

from ml import bench


@pytest.mark.slow
def test_bench_smoke(capsys, encoder) -> None:
    assert bench.main(["--sizes", "300", "--encode", "30", "--queries", "5"]) == 0
    out = capsys.readouterr().out
    assert "offers/s" in out and "p99 ms" in out
    row = [ln for ln in out.splitlines() if ln.strip().startswith("300 ")][0].split()
    assert float(row[7]) == 1.0  # flat index at 300 offers: exact, recall 1
