"""Fixtures for the ml package tests; independent of any app-level conftest."""

from __future__ import annotations

import os

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"  # before anything imports huggingface_hub


@pytest.fixture(scope="session")
def encoder():
    """The real packaged MiniLM encoder, loaded once for the whole session."""
    from ml.encoder import get_encoder

    return get_encoder()
