"""`flask ledger-check` and `flask run-due-jobs` (registered by app.cli.init_cli)."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app

from app.extensions import db


def register_commands(app: Flask) -> None:
    app.cli.add_command(ledger_check_command)
    app.cli.add_command(run_due_jobs_command)


@click.command("ledger-check")
@click.option(
    "--reconcile",
    is_flag=True,
    help="Also compare payouts and chargebacks with Stripe's transfers and disputes.",
)
def ledger_check_command(reconcile: bool) -> None:
    """Verify the ledger invariants; exits 1 and lists the problems on any violation."""
    from app.payments import ledger
    from app.payments.gateway import gateway_for
    from app.settlement.reconcile import reconcile as against_stripe

    session = db.session()
    try:
        report = ledger.check(session)
        if reconcile:
            report.problems.extend(against_stripe(session, gateway_for(current_app)))
    finally:
        session.rollback()
    for problem in report.problems:
        click.echo(f"VIOLATION: {problem}", err=True)
    if not report.ok:
        raise click.exceptions.Exit(1)
    click.echo(f"Ledger OK: {report.entries} entries, {report.milestones} milestones.")


@click.command("run-due-jobs")
@click.option("--loop", is_flag=True, help="Keep running, polling every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@click.option("--limit", default=100, show_default=True, help="Jobs per poll.")
def run_due_jobs_command(loop: bool, interval: float, limit: int) -> None:
    """Run due jobs (timers, payouts, retries). Safe with several workers."""
    from app import jobs
    from app.payments.gateway import gateway_for

    gateway = gateway_for(current_app)
    while True:
        session = db.session()
        try:
            report = jobs.run_due(session, gateway, limit=limit)
        finally:
            db.session.remove()
        if report.done or report.retried or report.failed or not loop:
            click.echo(str(report))
        if not loop:
            return
        time.sleep(interval)
