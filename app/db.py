"""SQLAlchemy foundation: typed declarative Base, column types, and the unit of work.

One request or CLI command is one unit of work: services add and flush, never commit; the
request (``commit_unit_of_work``) or command commits once, and rolls back on any error.
Work that leaves the process (index updates, Stripe calls that must follow a commit) is queued
with ``after_commit`` and runs only if that commit succeeds.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from app import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are BIGINT: a larger id cannot exist, and asking the driver about it would overflow.
MAX_ID = 2**63 - 1

# BIGINT on PostgreSQL; SQLite only autoincrements a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EnumText(TypeDecorator[Any]):
    """A Python ``StrEnum`` stored as its string value in a VARCHAR.

    Loaded values come back as enum members (so ``status is Status.OPEN`` holds) and values
    that are not members are refused before they reach the database. VARCHAR rather than a
    native ENUM keeps migrations simple when a state is added.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 16) -> None:
        super().__init__(length)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JsonType,
        list[str]: JsonType,
        list[int]: JsonType,
    }


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


LIST_LIMIT = 200  # the most rows a "my ..." list shows


def newest(session: Session, model: type[Any], *where: Any, limit: int = LIST_LIMIT) -> list[Any]:
    """The rows of ``model`` matching ``where``, newest (highest id) first, at most ``limit``."""
    return list(session.scalars(select(model).where(*where).order_by(model.id.desc()).limit(limit)))


# --- after-commit hooks -------------------------------------------------------------------

_AFTER_COMMIT_KEY = "after_commit_callbacks"


_Row = TypeVar("_Row")


def get_owned(
    session: Session, model: type[_Row], ident: int, owner_id: int, *, owner: str, missing: str
) -> _Row:
    """Row ``ident`` of ``model`` whose ``owner`` column is ``owner_id``; raises NotFound
    (``missing``) otherwise: someone else's row is reported missing, so ids cannot be probed."""
    from app.errors import NotFound

    row = session.get(model, ident)
    if row is None or getattr(row, owner) != owner_id:
        raise NotFound(missing)
    return row


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction of ``session`` commits (never on rollback)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        callback()


def _drop_after_commit(session: Session, *args: Any) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


def install_session_hooks(session_class: type[Session] | Any) -> None:
    event.listen(session_class, "after_commit", _run_after_commit)
    event.listen(session_class, "after_soft_rollback", _drop_after_commit)


def configure_sqlite(engine: Any) -> None:
    """Make pysqlite honour transactions and SAVEPOINTs, and enforce foreign keys.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; the documented
    SQLAlchemy recipe takes over BEGIN explicitly.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # Write-ahead logging lets readers (the job worker, other requests) work while one
        # request writes; with the default rollback journal a reader blocks every commit.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A request that may write takes SQLite's write lock when its transaction starts:
        # a second writer then *waits* (busy_timeout) instead of failing with "database is
        # locked" when it tries to upgrade a read snapshot another writer has moved past.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if SQLITE_WRITE_INTENT.get() else "BEGIN")


# Set by the web layer for POST/PUT/PATCH/DELETE requests (app.web.mark_write_intent).
SQLITE_WRITE_INTENT: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)


def analyze(session: Session) -> None:
    """Refresh the planner's statistics (``ANALYZE``) after a bulk load.

    Without it, a database without autovacuum (or before autovacuum's next pass) plans the
    catalog's count and page queries as nested loops over users: 22.7 ms of SQL against
    5.4 ms after ``ANALYZE`` on the seeded demo (issue 17). Commits first: the statistics
    must see the loaded rows.
    """
    session.commit()
    session.execute(text("ANALYZE"))
    session.commit()


@dataclass(frozen=True)
class ResultPage:
    """One page of a paginated query (catalog, brief board): the rows and where they stand."""

    items: Sequence[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))
