"""The image pipeline works in bounded memory.

Finding: a 47 KB 7000×7000 PNG took 12 s to upload; offline, a 186 KB RGBA one peaked at
1.34 GB (several full-size copies: exif_transpose, RGBA compositing, RGB conversion and a
tobytes/frombytes copy, once for the thumbnail and again for the preview). The picture is now
decoded once (JPEG: reduced by the decoder), reduced to a working copy of at most
WORK_MAX_SIDE and the full-size pixels freed before anything else runs.

Measured in a fresh interpreter (peak resident memory from ``resource``, minus the baseline
after imports and reading the file), since Pillow's pixel buffers are invisible to tracemalloc.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.devtools import image_memory

PROJECT = Path(__file__).resolve().parents[2]
LIMIT_MB = 300


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "fmt"), [("RGBA", "PNG"), ("RGB", "JPEG")])
def test_a_7000_by_7000_upload_is_processed_below_300_mb(tmp_path, mode, fmt):
    path = tmp_path / f"big.{fmt.lower()}"
    image_memory.make_picture(mode, fmt, path)
    # A fresh interpreter, so the peak is this picture's alone.
    result = subprocess.run(
        [sys.executable, "-m", "app.devtools.image_memory", str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=PROJECT,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(fmt, report)
    assert report["size"] == [7000, 7000]
    assert report["peak_mb"] < LIMIT_MB, report
    # The request only checks the file: it never decodes the full picture.
    assert report["request_peak_mb"] < LIMIT_MB / 4, report
