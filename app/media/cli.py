"""`flask media-payouts`: run due licence payouts (the worker also runs them every round)."""

from __future__ import annotations

import click
from flask import Flask, current_app

from app.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("media-payouts")
    @click.option("--limit", default=100, show_default=True, help="Payouts per run.")
    def media_payouts(limit: int) -> None:
        """Transfer creators' shares of licences whose clearance hold has passed."""
        from app.media.payouts import run_due_payouts
        from app.payments.gateway import gateway_for

        try:
            report = run_due_payouts(db.session(), gateway_for(current_app), limit=limit)
        finally:
            db.session.remove()
        click.echo(f"payouts: {report.done} done, {report.retried} retried, {report.failed} failed")
