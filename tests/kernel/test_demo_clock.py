"""`flask dev advance`: refused outside local mode; moves the shared demo clock and runs the
jobs that fell due (here: a payout after its clearance hold)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app import clock
from app.devtools import demo_clock
from app.payments import services as payments
from app.settlement import payout_for
from app.settlement.models import PayoutState
from tests.payments.helpers import delivered_milestone, onboard


@pytest.fixture()
def demo_time(app: Flask) -> Iterator[None]:
    path = demo_clock.offset_path(app)
    path.unlink(missing_ok=True)
    try:
        yield
    finally:
        clock.use_offset_file(None)
        path.unlink(missing_ok=True)


def test_refused_unless_local_mode(app: Flask, demo_time: None, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", None)
    before = clock.now()
    result = app.test_cli_runner().invoke(args=["dev", "advance", "--days", "3"])
    assert result.exit_code != 0 and "only runs in local/emulator mode" in result.output
    assert not demo_clock.offset_path(app).exists()
    assert clock.now() - before < timedelta(minutes=1)


def test_bad_amounts_are_refused(app: Flask, demo_time: None) -> None:
    for args in (["--days", "0"], ["--days", "-2"], ["--days", "400"]):
        result = app.test_cli_runner().invoke(args=["dev", "advance", *args])
        assert result.exit_code == 2, result.output
    assert not demo_clock.offset_path(app).exists()


def test_advance_moves_time_and_pays_out(
    app: Flask, session: Session, gateway, emulator, demo_time: None
) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    onboard(session, gateway, emulator, contract.creator)
    payments.accept(session, milestone.id, business=contract.business)
    payout = payout_for(session, "milestone", milestone.id)
    assert payout is not None and payout.state is PayoutState.SCHEDULED
    before = clock.now()
    result = app.test_cli_runner().invoke(args=["dev", "advance", "--days", "9"])
    assert result.exit_code == 0, result.output
    assert "Clock moved forward 9 days" in result.output and "transferred" in result.output
    assert timedelta(days=9) <= clock.now() - before < timedelta(days=9, minutes=5)
    assert demo_clock.offset_path(app).read_text().strip() == str(9 * 24 * 3600)
    session.expire_all()
    assert payout.state is PayoutState.PAID and milestone.state == "paid_out"
    again = app.test_cli_runner().invoke(args=["dev", "advance", "--hours", "12"])
    assert "9 days 12 hours ahead of real time" in again.output
