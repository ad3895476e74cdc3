from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture()
def matching(app: Flask, session, tmp_path: Path) -> Iterator[Path]:
    """Matching switched on with an empty index directory and a fresh in-process index.

    The app is shared by the whole run while each test's rows are rolled back, so the
    process-local index must not outlive the test either.
    """
    saved = {key: app.config[key] for key in ("MATCHING_ENABLED", "INDEX_DIR")}
    app.config.update(MATCHING_ENABLED=True, INDEX_DIR=str(tmp_path / "index"))
    app.extensions.pop("live_index", None)
    try:
        yield tmp_path / "index"
    finally:
        app.extensions.pop("live_index", None)
        app.config.update(saved)
