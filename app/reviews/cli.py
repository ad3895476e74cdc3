"""`flask recompute-reputation`: recompute every stored reputation (one unit of work)."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("recompute-reputation")
    def recompute_reputation() -> None:
        """Recompute the reputation of everyone who took part in a contract."""
        from app.extensions import db
        from app.reviews.reputation import recompute_all

        session = db.session()
        count = recompute_all(session)
        session.commit()
        click.echo(f"Recomputed {count} reputation(s).")
