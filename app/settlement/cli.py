"""`flask payouts`: see payouts that need a person, and send them again."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.settlement.models import Payout, PayoutState


def register(app: Flask) -> None:
    app.cli.add_command(payouts_group)


@click.group("payouts")
def payouts_group() -> None:
    """Creator payouts (every kind of sale)."""


@payouts_group.command("list")
@click.option("--state", default="failed", show_default=True, help="scheduled, paid, failed…")
def list_payouts(state: str) -> None:
    """Payouts in STATE (default: failed, i.e. needing attention: waiting for a person)."""
    try:
        wanted = PayoutState(state)
    except ValueError as exc:
        raise click.BadParameter(f"use one of {', '.join(s.value for s in PayoutState)}") from exc
    rows = db.session.scalars(select(Payout).where(Payout.state == wanted).order_by(Payout.id))
    for payout in rows:
        click.echo(
            f"{payout.id}\t{payout.subject_type} {payout.subject_id}\tcreator {payout.creator_id}"
            f"\t{payout.net_minor} {payout.currency}\t{payout.blocked_reason}"
        )


@payouts_group.command("retry")
@click.argument("payout_id", type=int)
def retry_payout(payout_id: int) -> None:
    """Send a failed payout again (the worker transfers it on its next round)."""
    from flask import current_app

    from app import settlement
    from app.payments.gateway import gateway_for

    session = db.session()
    payout = settlement.retry(session, gateway_for(current_app), payout_id)
    session.commit()
    if payout.state is PayoutState.PAID:
        click.echo(f"payout {payout.id} was already transferred ({payout.stripe_transfer_id})")
    else:
        click.echo(f"payout {payout.id} scheduled again (key {settlement.current_key(payout)})")
