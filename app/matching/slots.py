"""Admission control for ranking work: at most ``MATCHING_SLOTS`` rankings (brief matches,
semantic search, briefs for a creator) run at once on this machine, across every gunicorn
worker and thread; the others wait for a slot, asleep.

Why (issue 17): a ranking is tens of milliseconds of CPU (encoding, FAISS, explanations);
with gthread workers every core could be busy ranking while a catalogue page, which needs a
millisecond or two, waits its turn for a core. Keeping one core free of ranking by default
(slots = cores - 1, at least 1) lets pages through at once; rankings queue among themselves.

Slots are ``flock`` locks on files in the instance folder, which every worker of one
deployment shares; a lock dies with its process, so a killed worker never keeps a slot.
``MATCHING_SLOTS=0`` turns the gate off. Re-entrant within a thread (a ranking that calls
another one keeps its slot).
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import current_app, has_app_context

try:
    import fcntl
except ImportError:  # not POSIX: no gate
    fcntl = None  # type: ignore[assignment]

F = TypeVar("F", bound=Callable[..., Any])
_held = threading.local()


def default_slots() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) - 1)


def _slots() -> int:
    configured = current_app.config.get("MATCHING_SLOTS")
    return default_slots() if configured is None else int(configured)


@contextlib.contextmanager
def ranking_slot() -> Iterator[None]:
    """Hold one of the machine's ranking slots for the duration of the block."""
    slots = _slots() if has_app_context() and fcntl is not None else 0
    if slots <= 0 or getattr(_held, "slot", False):
        yield
        return
    folder = Path(current_app.instance_path)
    paths = [folder / f"matching-slot-{n}.lock" for n in range(slots)]
    handle = None
    for path in paths:  # a free slot, if any, without waiting
        candidate = path.open("a")
        try:
            fcntl.flock(candidate, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            candidate.close()
            continue
        handle = candidate
        break
    if handle is None:  # all busy: wait, asleep, for one of them
        handle = random.choice(paths).open("a")
        fcntl.flock(handle, fcntl.LOCK_EX)
    _held.slot = True
    try:
        yield
    finally:
        _held.slot = False
        handle.close()  # releases the lock


def ranking(func: F) -> F:
    """Run the decorated ranking service inside :func:`ranking_slot`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ranking_slot():
            return func(*args, **kwargs)

    return cast(F, wrapper)
