"""The one clock the application reads, so tests and timers can move time explicitly.

Two ways to move it:

* ``frozen_at(moment)`` / ``advance(delta)``: tests and replays, inside one process;
* the demo clock (``flask dev advance --days N``, local/emulator mode only): an offset kept in
  a file of the instance folder, so the web server, the worker and the command that moved it
  all read the same moved time. ``use_offset_file`` points the process at that file; each
  ``now()`` re-reads it only when the file changed. Production never configures it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

_frozen: datetime | None = None
_offset_file: Path | None = None
_offset_cache: tuple[float, timedelta] = (-1.0, timedelta(0))


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + offset() if _offset_file is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Freeze ``now()`` at ``moment`` for the duration of the block (tests, replays)."""
    global _frozen
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward; only valid inside ``frozen_at``."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen += delta


# --- the demo clock ----------------------------------------------------------------------


def use_offset_file(path: Path | None) -> None:
    """Read the demo clock's offset from ``path`` (None: real time, no offset)."""
    global _offset_file, _offset_cache
    _offset_file, _offset_cache = path, (-1.0, timedelta(0))


def offset() -> timedelta:
    """How far the demo clock runs ahead of real time (zero when not configured)."""
    global _offset_cache
    if _offset_file is None:
        return timedelta(0)
    try:
        mtime = os.stat(_offset_file).st_mtime
    except FileNotFoundError:
        return timedelta(0)
    if mtime != _offset_cache[0]:
        try:
            seconds = float(_offset_file.read_text().strip() or 0)
        except (OSError, ValueError):
            seconds = 0.0
        _offset_cache = (mtime, timedelta(seconds=seconds))
    return _offset_cache[1]


def shift(delta: timedelta) -> timedelta:
    """Move the demo clock forward by ``delta`` (never back); returns the new offset.
    Raises RuntimeError when no offset file is configured (not local mode)."""
    if _offset_file is None:
        raise RuntimeError("The demo clock is off: it only runs in local/emulator mode.")
    if delta < timedelta(0):
        raise ValueError("Time only moves forward.")
    moved = offset() + delta
    temporary = _offset_file.with_suffix(".tmp")
    temporary.write_text(f"{moved.total_seconds():.0f}\n")
    os.replace(temporary, _offset_file)
    return moved
