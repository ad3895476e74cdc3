"""The demand clusters, computed once and reused until the demand they group changes.

Clustering reads every open brief's and live interest's vector and runs an O(n^3) grouping:
too much for every view of a creator's insights page (and the JSON API). Each worker keeps the
last result keyed by the ``demand`` version of app.pagecache's version table (one row that any
unit of work writing a brief, a brief's vector or an interest rewrites, ``before_flush``
below), so a cached result is correct across workers and machines; a bounded age (``TTL``)
also covers writes that skip the flush (bulk UPDATEs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import pagecache

DEMAND = "demand"
TTL = 600.0  # seconds

T = TypeVar("T")


class _Memo:
    def __init__(self) -> None:
        self.key: tuple[int, str] | None = None
        self.at = 0.0
        self.value: Any = None
        self.lock = threading.Lock()  # gthread workers share it
        self.computed = 0  # how many times the clusters were computed (observability)


def _memo() -> _Memo:
    if not has_app_context():
        return _Memo()
    memo: _Memo = current_app.extensions.setdefault("demand_clusters", _Memo())
    return memo


def cached(session: Session, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per demand version (and at most ``TTL`` seconds old)."""
    version = pagecache.current_version(session, DEMAND)
    memo = _memo()
    if version is None:  # no version row (a database older than the migration)
        memo.computed += 1
        return compute()
    key = (version, name)
    with memo.lock:
        if memo.key == key and time.monotonic() - memo.at < TTL:
            value: T = memo.value
            return value
    value = compute()
    with memo.lock:
        memo.key, memo.at, memo.value = key, time.monotonic(), value
        memo.computed += 1
    return value


def computed_count() -> int:
    return _memo().computed


def _changes_demand(db_session: Session) -> bool:
    from app.briefs.models import Brief
    from app.demand.models import Interest
    from app.matching.models import BriefVector

    watched = (Brief, BriefVector, Interest)
    if any(isinstance(obj, watched) for obj in (*db_session.new, *db_session.deleted)):
        return True
    return any(isinstance(obj, watched) and db_session.is_modified(obj) for obj in db_session.dirty)


def _before_flush(db_session: Session, _context: Any, _instances: Any) -> None:
    if _changes_demand(db_session):
        pagecache.bump(db_session, DEMAND)


def wire() -> None:
    """Called once by create_app; listening twice is harmless."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
