"""`flask` commands. Each command is one unit of work: it commits once at the end."""

from __future__ import annotations

import click
from flask import Flask, current_app


def init_cli(app: Flask) -> None:
    @app.cli.command("migrate")
    @click.argument("revision", default="head")
    def migrate(revision: str) -> None:
        """Upgrade the database schema to REVISION (default: head)."""
        from app import migrate as migrations

        migrations.upgrade(current_app.config["DATABASE_URL"], revision)
        click.echo(f"Database at {revision}.")
