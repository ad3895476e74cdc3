"""Where localstripe's store lives on disk.

localstripe pickles its whole store to a hard-coded file in the temp folder on every change.
That is every ``store[key] = ...``: one payment sets half a dozen keys, each pickling every
object the emulator holds, so a long test run spent more and more of its CPU pickling. Here a
change only marks the store dirty; ``persist_middleware`` writes it once per request that
changed it, before the answer is sent (so an answered request survives a crash, as before),
and the server writes it when it stops.

Two emulators (two test runs, or ``make run`` next to a test run) would then share and clobber
one file, so we re-point the store at a path given on the command line. The store is also where
all the emulator's own state (accounts, transfers, idempotency records...) lives, so one file
holds everything and a restart restores everything.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import List, Store, StripeObject, store

_state_path: Path | None = None
_dirty = False
# Keys by kind ("charge", "refund"... the part before the first ":"), in insertion order:
# localstripe finds a charge's refunds, and every list, by scanning the whole store.
_keys_by_kind: dict[str, dict[str, None]] = {}


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _reindex(self: Store) -> None:
    _keys_by_kind.clear()
    for key in self:
        _keys_by_kind.setdefault(_kind(key), {})[key] = None


def keys(kind: str) -> list[str]:
    """The store keys of every object of ``kind`` (e.g. "refund"), oldest first."""
    return list(_keys_by_kind.get(kind, {}))


def objects(kind: str) -> list[Any]:
    """Every stored object of ``kind``, oldest first."""
    return [store[key] for key in keys(kind)]


def _load(self: Store) -> None:
    global _dirty
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
    _reindex(self)
    _dirty = False  # what was just read needs no writing back


def _dump(self: Store) -> None:
    if _state_path is None:
        # Never fall back to localstripe's shared temp file.
        raise RuntimeError("use_state_file() must be called before writing the store")
    # Write then rename: a crash mid-write must not leave a truncated, unloadable state file.
    tmp = _state_path.with_name(_state_path.name + ".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, _state_path)


def _set(self: Store, key: str, value: object) -> None:
    global _dirty
    dict.__setitem__(self, key, value)
    _keys_by_kind.setdefault(_kind(key), {})[key] = None
    _dirty = True


def _delete(self: Store, key: str) -> None:
    global _dirty
    dict.__delitem__(self, key)
    _keys_by_kind.get(_kind(key), {}).pop(key, None)
    _dirty = True


def _clear(self: Store) -> None:
    global _dirty
    dict.clear(self)
    _keys_by_kind.clear()
    _dirty = True


def _list_all(
    cls: type[StripeObject],
    url: str,
    limit: Any = None,
    starting_after: Any = None,
    **kwargs: Any,
) -> List:
    """localstripe's ``StripeObject._api_list_all`` through the index (same answers)."""
    if kwargs:
        raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    listed = List(url, limit=limit, starting_after=starting_after)
    listed._list = objects(cls.object)
    return listed


def _install_index() -> None:
    """Changes mark the store dirty and keep the index (at import: every code path sees it)."""
    Store.__setitem__ = _set
    Store.__delitem__ = _delete
    Store.clear = _clear
    StripeObject._api_list_all = classmethod(_list_all)
    _reindex(store)


_install_index()


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
    global _dirty
    _dirty = False
    store.dump_to_disk()


def save_if_changed() -> None:
    if _dirty:
        save()


@web.middleware
async def persist_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Write the store once per request that changed it (outermost, so the idempotency
    record and anything else recorded on the way out is in the same write)."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    finally:
        save_if_changed()
