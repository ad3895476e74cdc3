"""`flask` commands. Each command is one unit of work: it commits once at the end."""

from __future__ import annotations

import click
from flask import Flask, current_app


def init_cli(app: Flask) -> None:
    from app.payments.cli import register_commands as register_payments_commands

    register_payments_commands(app)

    @app.cli.command("migrate")
    @click.argument("revision", default="heads")
    def migrate(revision: str) -> None:
        """Upgrade the database schema to REVISION (default: every head)."""
        from app import migrate as migrations

        migrations.upgrade(current_app.config["DATABASE_URL"], revision)
        click.echo(f"Database at {revision}.")

    @app.cli.command("seed-demo")
    @click.option(
        "--seed",
        "seed_value",
        default=20251125,
        show_default=True,
        help="Random seed; the same seed gives the same data.",
    )
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
    def seed_demo(seed_value: int, if_empty: bool) -> None:
        """Create demo creators, businesses, offers, briefs and proposals."""
        from app.db import analyze
        from app.extensions import db
        from app.media.storage import storage_for
        from app.seed.demo import database_is_empty, seed

        session = db.session()
        if if_empty and not database_is_empty(session):
            click.echo("Database already has data; nothing seeded.")
            return
        counts = seed(session, seed_value=seed_value, storage=storage_for(current_app))
        session.commit()
        analyze(session)  # fresh statistics: the first pages must not plan on an empty DB
        click.echo("Seeded " + ", ".join(f"{v} {k}" for k, v in counts.items()) + ".")

    from app.matching.cli import register as register_matching

    register_matching(app)

    from app.reviews.cli import register as register_reviews

    register_reviews(app)

    from app.settlement.cli import register as register_payouts

    register_payouts(app)

    from app.worker import register as register_worker

    register_worker(app)
