from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from ml import encoder as enc_mod

pytestmark = pytest.mark.slow


def test_loads_offline_and_returns_unit_384d_float32(encoder) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    vecs = encoder.encode(["logo design for a coffee shop", "mobile app in Flutter"])
    assert vecs.shape == (2, 384)
    assert vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_semantics_similar_beats_unrelated(encoder) -> None:
    q, near, far = encoder.encode(
        ["design a logo for my bakery", "brand identity and logo design", "tax return filing"]
    )
    assert float(q @ near) > float(q @ far) + 0.1


def test_empty_batch_and_single(encoder) -> None:
    assert encoder.encode([]).shape == (0, 384)
    assert encoder.encode_one("hello").shape == (384,)


def test_get_encoder_is_a_thread_safe_singleton(encoder) -> None:
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(enc_mod.get_encoder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g is encoder for g in got)
