"""`flask worker`: the background process of a deployment.

Each round runs the due payment timers (review windows, clearance holds, transfer retries)
and, at most every ``--snapshot-every`` seconds, writes a matching-index snapshot when offers
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
    from app.matching import index
    from app.payments.jobs import run_due_jobs

    try:
        report = run_due_jobs(db.session(), gateway, limit=limit)  # type: ignore[arg-type]
        from app.media.payouts import run_due_payouts

        licences = run_due_payouts(db.session(), gateway, limit=limit)  # type: ignore[arg-type]
        report.done, report.retried = report.done + licences.done, report.retried + licences.retried
        report.failed += licences.failed
        summary = f"jobs: {report.done} done, {report.retried} retried, {report.failed} failed"
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
