"""`flask worker`: the background process of a deployment.

Each round runs the due jobs of the one queue (app.jobs: review windows, clearance holds and
payouts, dispute and contest timers, retries) and, at most every ``--snapshot-every``
seconds, writes a matching-index snapshot when offers
changed, so web processes reload a compact index instead of replaying a long outbox tail.
Several workers may run at once: jobs are claimed with SKIP LOCKED and snapshots are written
under a file lock.
"""

from __future__ import annotations

import logging
import time

import click
from flask import Flask, current_app

from app.extensions import db

log = logging.getLogger(__name__)


def run_round(app: Flask, gateway: object, *, limit: int, snapshot: bool) -> str:
    from app import jobs
    from app.matching import index

    try:
        summary = str(jobs.run_due(db.session(), gateway, limit=limit))
        if snapshot and app.config["MATCHING_ENABLED"]:
            session = db.session()
            if index.persist(session, app):
                summary += "; index snapshot written"
            session.commit()
        return summary
    finally:
        db.session.remove()


def register(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
    @click.option(
        "--snapshot-every",
        default=60.0,
        show_default=True,
        help="Seconds between index snapshot checks.",
    )
    @click.option("--limit", default=100, show_default=True, help="Jobs per round.")
    @click.option("--once", is_flag=True, help="Run one round and exit.")
    def worker(interval: float, snapshot_every: float, limit: int, once: bool) -> None:
        """Run payment timers and index snapshots until stopped."""
        from app.payments.gateway import gateway_for

        app_obj = current_app._get_current_object()  # type: ignore[attr-defined]
        gateway = gateway_for(app_obj)
        last_snapshot = 0.0
        while True:
            due = time.monotonic() - last_snapshot >= snapshot_every
            try:
                summary = run_round(app_obj, gateway, limit=limit, snapshot=due or once)
            except Exception:  # a bad round must not kill the worker; the next one retries
                log.exception("worker round failed")
                summary = "round failed (see log)"
            if due:
                last_snapshot = time.monotonic()
            if once or "0 done, 0 retried, 0 failed" not in summary:
                click.echo(summary)
            if once:
                return
            time.sleep(interval)
