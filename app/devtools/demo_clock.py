"""`flask dev advance --days N`: move the demo clock forward and run what fell due.

Holds, review windows, dispute and contest timers all read ``app.clock.now()``; locally they
take days. This command (refused unless the app runs in local/emulator mode: STRIPE_API_BASE
points at the emulator, and DEV_CLOCK is not switched off) adds N days (and/or hours) to the
demo clock's offset, which every process of the local app reads from
``<instance>/demo_clock_offset``, then runs the due jobs (auto-accept, payouts, reveals...)
at once, so a demo user sees them in minutes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app import clock

OFFSET_FILE = "demo_clock_offset"


def local_mode(app: Flask) -> bool:
    """The demo clock may move: the payments run against the local emulator, not Stripe."""
    base = app.config.get("STRIPE_API_BASE") or ""
    return bool(base) and "api.stripe.com" not in base and app.config.get("DEV_CLOCK") is not False


def offset_path(app: Flask) -> Path:
    return Path(app.instance_path) / OFFSET_FILE


def configure(app: Flask) -> None:
    """At start-up: in local mode (outside tests, unless DEV_CLOCK says so) every process
    reads the demo clock's offset."""
    wanted = app.config.get("DEV_CLOCK")
    if wanted is None:
        wanted = not app.config.get("TESTING")
    if wanted and local_mode(app):
        clock.use_offset_file(offset_path(app))


def register(app: Flask) -> None:
    app.cli.add_command(dev_group)


dev_group = AppGroup("dev", help="Development-only tools (local/emulator mode).")


@dev_group.command("advance")
@click.option("--days", default=0.0, type=float, help="Days to move the clock forward.")
@click.option("--hours", default=0.0, type=float, help="Hours to move the clock forward.")
def advance_command(days: float, hours: float) -> None:
    """Move the demo clock forward by DAYS (+ HOURS) and run the jobs that became due."""
    from app import jobs
    from app.extensions import db
    from app.payments.gateway import gateway_for
    from app.templating import duration

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not local_mode(app):
        raise click.ClickException(
            "Refused: `flask dev advance` only runs in local/emulator mode "
            "(STRIPE_API_BASE set to the local Stripe emulator)."
        )
    delta = timedelta(days=days, hours=hours)
    if delta <= timedelta(0) or delta > timedelta(days=365):
        raise click.BadParameter("Give --days and/or --hours: more than 0, at most 365 days.")
    if clock._offset_file is None:  # noqa: SLF001 - the command configures its own process
        clock.use_offset_file(offset_path(app))
    moved = clock.shift(delta)
    click.echo(
        f"Clock moved forward {duration(delta)}; now {clock.now():%Y-%m-%d %H:%M} UTC "
        f"({duration(moved)} ahead of real time)."
    )
    session = db.session()
    total = jobs.RunReport()
    while True:  # jobs may schedule jobs that are due at once (a payout after an accept)
        report = jobs.run_due(session, gateway_for(app))
        total.done += report.done
        total.retried += report.retried
        total.failed += report.failed
        total.outcomes += report.outcomes
        if report.done == 0 or total.done > 10_000:
            break
    click.echo(str(total))
    for outcome in total.outcomes:
        click.echo(f"  {outcome}")
