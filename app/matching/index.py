"""The process-local matcher, kept fresh from the database.

Design (snapshot + log):

* The offers domain appends an ``IndexOutbox`` row in the same transaction as every offer
  change, so the log of changes is durable and never ahead of the data.
* A *snapshot* is a saved ``ml.Matcher`` generation in ``INDEX_DIR`` whose manifest records
  the last outbox id it contains. ``IndexState.version`` moves whenever a new snapshot is
  written (``persist``, by the job worker) or the index is rebuilt (``flask rebuild-index``).
* Each process keeps a matcher in memory. Before every query it checks the version (one
  primary-key read): if it moved, it loads the new snapshot; then it applies the outbox rows
  past what it has (normally none), so a published offer is searchable in every process right
  after its commit, without waiting for the next snapshot.

Writers (``persist``, ``rebuild``) take an exclusive file lock in INDEX_DIR, so two workers
never write a snapshot at once.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.matching.documents import listed_offers_query, offer_document
from app.matching.models import IndexOutbox, IndexState
from app.offers.models import Offer
from app.offers.services import is_listed
from ml.matcher import Matcher

log = logging.getLogger(__name__)

STATE_NAME = "offers"
Progress = Callable[[int, int], None]


@dataclass
class LiveIndex:
    directory: Path
    matcher: Matcher | None = None
    version: int = -1
    applied_outbox_id: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)


def live_index(app: Flask | None = None) -> LiveIndex:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    live = app.extensions.get("live_index")
    if live is None:
        live = app.extensions.setdefault("live_index", LiveIndex(Path(app.config["INDEX_DIR"])))
    return live


def _state(session: Session, *, lock: bool = False) -> IndexState:
    query = select(IndexState).where(IndexState.name == STATE_NAME)
    if lock:
        query = query.with_for_update()
    state = session.scalar(query)
    if state is None:
        state = IndexState(name=STATE_NAME, version=0, applied_outbox_id=0, documents=0)
        session.add(state)
        session.flush()
    return state


def _apply_outbox(session: Session, live: LiveIndex, matcher: Matcher) -> int:
    """Apply outbox rows past ``live.applied_outbox_id`` to ``matcher``; returns rows seen."""
    rows = session.execute(
        select(IndexOutbox.id, IndexOutbox.offer_id)
        .where(IndexOutbox.id > live.applied_outbox_id)
        .order_by(IndexOutbox.id)
    ).all()
    if not rows:
        return 0
    offer_ids = sorted({offer_id for _, offer_id in rows})
    offers = session.scalars(listed_offers_query().where(Offer.id.in_(offer_ids))).all()
    listed = [offer for offer in offers if is_listed(offer)]
    listed_ids = {offer.id for offer in listed}
    matcher.remove([i for i in offer_ids if i not in listed_ids and i in matcher])
    if listed:
        matcher.upsert([offer_document(offer) for offer in listed])
    live.applied_outbox_id = rows[-1][0]
    return len(rows)


def current_matcher(session: Session, app: Flask | None = None) -> Matcher:
    """The process's matcher, reloaded if a new snapshot exists and caught up with the log."""
    live = live_index(app)
    with live.lock:
        state = session.get(IndexState, STATE_NAME)
        version = state.version if state is not None else 0
        if live.matcher is None or version != live.version:
            _load_snapshot(live, version)
        assert live.matcher is not None
        _apply_outbox(session, live, live.matcher)
        return live.matcher


def _load_snapshot(live: LiveIndex, version: int) -> None:
    info = Matcher.read_info(live.directory)
    if info is None:
        live.matcher, live.applied_outbox_id = Matcher(), 0
    else:
        live.matcher = Matcher.load(live.directory)
        live.applied_outbox_id = int(info["info"].get("applied_outbox_id", 0))
    live.version = version


@contextmanager
def _writer_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".writer.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def persist(session: Session, app: Flask | None = None) -> bool:
    """Write a snapshot if the log moved since the last one; returns whether it wrote.

    Commits nothing itself: the caller's unit of work commits the new IndexState.
    """
    live = live_index(app)
    with _writer_lock(live.directory), live.lock:
        state = _state(session, lock=True)
        newest = session.scalar(select(func.max(IndexOutbox.id))) or 0
        if newest <= state.applied_outbox_id and Matcher.read_info(live.directory) is not None:
            return False
        matcher = current_matcher(session, app)
        state.version += 1
        state.applied_outbox_id = live.applied_outbox_id
        state.documents = len(matcher)
        state.updated_at = clock.now()
        matcher.save(
            live.directory,
            info={"applied_outbox_id": live.applied_outbox_id, "version": state.version},
        )
        live.version = state.version
        session.flush()
        return True


def rebuild(session: Session, app: Flask | None = None, progress: Progress | None = None) -> int:
    """Re-encode every listed offer into a fresh snapshot; returns the number indexed."""
    live = live_index(app)
    with _writer_lock(live.directory):
        state = _state(session, lock=True)
        # Everything up to here is in the rebuilt snapshot; later rows are applied on top.
        applied = session.scalar(select(func.max(IndexOutbox.id))) or 0
        offers = session.scalars(listed_offers_query().order_by(Offer.id)).all()
        matcher = Matcher.build([offer_document(o) for o in offers], progress=progress)
        state.version += 1
        state.applied_outbox_id = applied
        state.documents = len(matcher)
        state.updated_at = clock.now()
        matcher.save(live.directory, info={"applied_outbox_id": applied, "version": state.version})
        with live.lock:
            live.matcher, live.version, live.applied_outbox_id = matcher, state.version, applied
        session.flush()
        return len(matcher)
