"""Rendered anonymous catalogue pages, reused until what they show changes.

A signed-out visitor's offer list and offer page are the same HTML for everyone (no CSRF
token, no name in the header), so each worker keeps the last rendered copies in a small LRU,
keyed by the path with its query and by the catalogue *version*: one row that every unit of
work changing what those pages show rewrites (``before_flush`` below, for offers and their
parts, pictures, stock assets, creators' names, suspensions, profile visibility and
reputations). A page hit costs one primary-key SELECT of that row instead of ~7 queries and a
Jinja render, and it is correct across workers and machines because the version lives in the
database: a worker renders a page *after* reading the version, so a stored page is never older
than its key.

Writes that skip the unit of work's flush (``session.execute(update(Offer)...)``) are not
seen: bump() explicitly after one (none exist today).

The version is a random number, not a counter: a rolled-back transaction (a failed request,
every test) returns the row to an earlier value, and a counter would then reuse a key whose
page showed the rolled-back data.

Never cached: signed-in visitors, a visitor with flashed messages waiting, anything but a 200,
and text searches (their cost is the query encoding, cached by app.matching already).
The response carries an ETag of the version and path, so a browser revalidates with
``If-None-Match`` and gets a 304 without a body.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Response, current_app, make_response, request, session
from flask_login import current_user
from sqlalchemy import BigInteger, String, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base

F = TypeVar("F", bound=Callable[..., Any])
CATALOG = "catalog"
MAX_PAGES = 512  # per worker; a page is ~10-40 KB


class CacheVersion(Base):
    """The current version of a family of cached pages (one row per family)."""

    __tablename__ = "page_cache_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class _Store:
    def __init__(self) -> None:
        self.pages: OrderedDict[tuple[str, int], str] = OrderedDict()
        self.lock = threading.Lock()  # gthread workers share the store

    def get(self, key: tuple[str, int]) -> str | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, int], page: str) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > MAX_PAGES:
                self.pages.popitem(last=False)


def _store() -> _Store:
    return cast(_Store, current_app.extensions.setdefault("page_cache", _Store()))


def current_version(db_session: Session, name: str = CATALOG) -> int | None:
    return db_session.scalar(select(CacheVersion.version).where(CacheVersion.name == name))


def bump(db_session: Session, name: str = CATALOG) -> None:
    """Every cached page of ``name`` is stale once this transaction commits."""
    db_session.execute(
        update(CacheVersion)
        .where(CacheVersion.name == name)
        .values(version=secrets.randbits(62))
        .execution_options(synchronize_session=False)
    )


def _cacheable() -> bool:
    if request.method not in ("GET", "HEAD") or request.args.get("q"):
        return False
    if current_user.is_authenticated:
        return False
    return "_flashes" not in session  # a flashed message belongs to one visitor


def anonymous_page(name: str = CATALOG) -> Callable[[F], F]:
    """Serve the decorated GET view's 200 page from the cache for signed-out visitors."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_app.config.get("PAGE_CACHE_ENABLED", True) or not _cacheable():
                return view(*args, **kwargs)
            from app.extensions import db

            version = current_version(db.session(), name)
            if version is None:
                return view(*args, **kwargs)
            key = (request.full_path, version)
            store = _store()
            page = store.get(key)
            if page is None:
                result = view(*args, **kwargs)
                body, status = (result, 200) if isinstance(result, str) else (None, None)
                if isinstance(result, tuple) and len(result) == 2:
                    body, status = result
                if status != 200 or not isinstance(body, str):
                    return result
                store.put(key, body)
                page = body
            return _conditional(page, key)

        return cast(F, wrapper)

    return decorator


def _conditional(page: str, key: tuple[str, int]) -> Response:
    response = make_response(page)
    tag = hashlib.blake2b(f"{key[1]}:{key[0]}".encode(), digest_size=12).hexdigest()
    response.set_etag(tag)
    # Anyone may keep it, but must ask us again before reusing it (a 304 when unchanged).
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Cookie")
    response.make_conditional(request)
    return response


# --- what changes the catalogue -------------------------------------------------------------

_USER_FIELDS = ("display_name", "suspended_at")


def _watched() -> tuple[type, ...]:
    from app.accounts.models import CreatorProfile
    from app.media.models import GalleryImage, MediaAsset
    from app.offers.models import (
        InfluencerChannel,
        InfluencerDeliverable,
        Offer,
        ServicePackage,
        StockMediaTerms,
    )
    from app.reviews.models import Reputation

    return (
        Offer,
        ServicePackage,
        StockMediaTerms,
        InfluencerChannel,
        InfluencerDeliverable,
        GalleryImage,
        MediaAsset,
        CreatorProfile,
        Reputation,
    )


def _changes_catalogue(db_session: Session) -> bool:
    from app.accounts.models import User

    watched = _watched()
    for obj in (*db_session.new, *db_session.deleted):
        if isinstance(obj, watched):
            return True
    for obj in db_session.dirty:
        if isinstance(obj, watched) and db_session.is_modified(obj):
            return True
        if isinstance(obj, User):
            attrs: Any = inspect(obj).attrs
            if any(attrs[f].history.has_changes() for f in _USER_FIELDS):
                return True
    return False


def _before_flush(db_session: Session, _context: Any, _instances: Any) -> None:
    if _changes_catalogue(db_session):
        bump(db_session)


def wire() -> None:
    """Called once by create_app; listening twice is harmless (SQLAlchemy de-duplicates)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
