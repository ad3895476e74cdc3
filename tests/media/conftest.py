"""Stock-media test helpers (the ``storage`` fixture itself is shared: tests/fixtures.py)."""

from __future__ import annotations

from pathlib import Path

from app.media.storage import LocalStorage


def stored_files(store: LocalStorage) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []
