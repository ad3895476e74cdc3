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

Inside its slot a ranking runs on one of this process's ranking threads, ``MATCHING_NICE``
(default 10) nicer than the request threads, with the caller's contexts and session while the
caller sleeps: the scheduler then gives the cores to page threads first (issue 17p).
``MATCHING_NICE=0`` runs it on the request thread.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import current_app, has_app_context

from ml.encoder import serving_threads

try:
    import fcntl
except ImportError:  # not POSIX: no gate
    fcntl = None  # type: ignore[assignment]

F = TypeVar("F", bound=Callable[..., Any])
_held = threading.local()


def default_slots() -> int:
    # The ranking server's rule for its torch threads too: one core is left for pages.
    return serving_threads()


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


def _nice() -> int:
    if not has_app_context():
        return 0
    return int(current_app.config.get("MATCHING_NICE") or 0)


class _Lane:
    """This process's ranking threads, started at a lower CPU priority (``MATCHING_NICE``):
    a request thread hands its ranking to one and waits for it, asleep, so that page
    threads (and the other processes serving pages) win the cores whenever both are ready.

    A thread's nice value can only be raised by an unprivileged process, never lowered
    back, so the niced threads are dedicated to ranking instead of lending a request
    thread a lower priority for the duration of one ranking.
    """

    def __init__(self, pid: int, nice: int) -> None:
        self.pid, self.nice = pid, nice
        self.pool = ThreadPoolExecutor(
            max_workers=max(1, default_slots()), thread_name_prefix="ranking",
            initializer=self._lower_priority,
        )  # fmt: skip

    def _lower_priority(self) -> None:
        with contextlib.suppress(OSError, AttributeError):  # not Linux: same priority
            tid = threading.get_native_id()  # on Linux a thread has its own nice value
            os.setpriority(
                os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + self.nice)
            )

    def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from app.extensions import db

        context = contextvars.copy_context()  # the caller's app and request contexts
        session = db.session()  # and its unit of work (the caller waits meanwhile)

        def call() -> Any:
            db.session.registry.set(session)
            try:
                return context.run(func, *args, **kwargs)
            finally:
                db.session.registry.clear()  # not closed: it is the caller's

        return self.pool.submit(call).result()


_lane: _Lane | None = None
_lane_lock = threading.Lock()


def _lane_for(nice: int) -> _Lane:
    global _lane
    with _lane_lock:  # one per process: a forked worker starts its own
        if _lane is None or _lane.pid != os.getpid() or _lane.nice != nice:
            _lane = _Lane(os.getpid(), nice)
        return _lane


def ranking(func: F) -> F:
    """Run the decorated ranking service inside :func:`ranking_slot`, on a ranking thread of
    lower CPU priority when ``MATCHING_NICE`` > 0."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ranking_slot():
            nice = _nice()
            if nice > 0 and not getattr(_held, "lane", False):
                return _lane_for(nice).run(_in_lane, func, *args, **kwargs)
            return func(*args, **kwargs)

    return cast(F, wrapper)


def _in_lane(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    _held.lane = _held.slot = True  # nested rankings run here, in this slot
    try:
        return func(*args, **kwargs)
    finally:
        _held.lane = _held.slot = False
