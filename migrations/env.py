"""Alembic environment: runs against the URL (or open connection) given by app.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from app.db import configure_sqlite
from app.models import metadata

config = context.config


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    with engine.connect() as conn:
        run_migrations(conn)
    engine.dispose()
