"""Every row of every table, to prove a refused request changed nothing (not even a column)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import Base

# Bookkeeping that a refused request may legitimately touch.
VOLATILE = {"api_tokens": {"last_used_at"}, "users": set()}


def database_snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        skip = VOLATILE.get(table.name, set())
        columns = [column for column in table.columns if column.name not in skip]
        rows = session.execute(select(*columns)).all()
        snapshot[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return snapshot
