"""`flask rebuild-index` and `flask index-snapshot`."""

from __future__ import annotations

import click
from flask import Flask
from tqdm import tqdm

from app.extensions import db
from app.matching import index


def register(app: Flask) -> None:
    @app.cli.command("rebuild-index")
    def rebuild_index() -> None:
        """Re-encode every published offer into a fresh FAISS index (other processes reload)."""
        session = db.session()
        with tqdm(total=0, unit="offer", desc="Indexing") as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            count = index.rebuild(session, progress=progress)
        session.commit()
        click.echo(f"Indexed {count} offers.")

    @app.cli.command("index-snapshot")
    def index_snapshot() -> None:
        """Write a new index snapshot if offers changed since the last one."""
        session = db.session()
        wrote = index.persist(session)
        session.commit()
        click.echo("Snapshot written." if wrote else "Index already up to date.")
