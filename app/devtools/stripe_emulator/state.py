"""Where localstripe's store lives on disk.

localstripe pickles its whole store to a hard-coded file in the temp folder on every change.
Two emulators (two test runs, or ``make run`` next to a test run) would then share and clobber
one file, so we re-point the store at a path given on the command line. The store is also where
all the emulator's own state (accounts, transfers, idempotency records...) lives, so one file
holds everything and a restart restores everything.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

from localstripe.resources import Store, store

_state_path: Path | None = None


def _load(self: Store) -> None:
    if _state_path is None:
        raise RuntimeError("use_state_file() must be called before loading the store")
    try:
        with open(_state_path, "rb") as f:
            old = pickle.load(f)
    except FileNotFoundError:
        return
    self.clear()
    # dict.update does not go through __setitem__, so loading does not rewrite the file.
    self.update(old)


def _dump(self: Store) -> None:
    if _state_path is None:
        # Never fall back to localstripe's shared temp file.
        raise RuntimeError("use_state_file() must be called before writing the store")
    # Write then rename: a crash mid-write must not leave a truncated, unloadable state file.
    tmp = _state_path.with_name(_state_path.name + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, _state_path)


def use_state_file(path: str | os.PathLike[str]) -> Path:
    """Make localstripe's store read and write ``path`` instead of its temp file."""
    global _state_path
    _state_path = Path(path).resolve()
    _state_path.parent.mkdir(parents=True, exist_ok=True)
    Store.try_load_from_disk = _load
    Store.dump_to_disk = _dump
    return _state_path


def load() -> None:
    store.try_load_from_disk()


def save() -> None:
    store.dump_to_disk()
