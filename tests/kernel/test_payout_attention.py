"""Failed transfers need attention, and a retry never pays twice (issue 13).

Stripe stores a 500 under its idempotency key for 24 hours: retries with that key replay the
500. After the window a retry lists the payout's transfers first and adopts one Stripe did
make; only when there is none does it send a fresh key.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app import clock, jobs, settlement
from app.devtools.stripe_emulator import EmulatorProcess
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount
from app.settlement.models import Payout, PayoutState
from app.settlement.reconcile import reconcile
from tests.factories import login, make_user
from tests.payments.helpers import assert_ledger_ok, delivered_milestone, onboard, stripe_client

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
DAY = 24 * 3600


@pytest.fixture()
def setup(app: Any) -> Iterator[None]:
    previous = app.config["JOBS_MAX_ATTEMPTS"]
    app.config["JOBS_MAX_ATTEMPTS"] = 3
    with clock.frozen_at(T0):
        yield
    app.config["JOBS_MAX_ATTEMPTS"] = previous


def _clear_failures(emulator: EmulatorProcess) -> None:
    request = urllib.request.Request(emulator.api_base + "/_config/failures", method="DELETE")
    urllib.request.urlopen(request, timeout=10).read()


def _released(session: Session, gateway: PaymentGateway, emulator: EmulatorProcess) -> Payout:
    milestone = delivered_milestone(session, gateway, amount=10_000)
    onboard(session, gateway, emulator, milestone.contract.creator)
    payments.accept(session, milestone.id, business=milestone.contract.business)
    payout = settlement.payout_for(session, "milestone", milestone.id)
    assert payout is not None
    clock.advance(timedelta(days=15))
    return payout


def _until_attention(session: Session, gateway: PaymentGateway, payout: Payout) -> None:
    for _ in range(6):
        jobs.run_due(session, gateway)
        session.expire_all()
        if payout.state is PayoutState.FAILED:
            return
        clock.advance(timedelta(hours=1))
    raise AssertionError(f"payout still {payout.state}")


def _group(session: Session, emulator: EmulatorProcess, payout: Payout) -> list[Any]:
    """The payout's transfers: its group, to its creator (other tests reuse group names)."""
    account = session.get(ConnectedAccount, payout.creator_id)
    assert account is not None
    return (
        stripe_client(emulator)
        .v1.transfers.list(
            {"transfer_group": payout.transfer_group, "destination": account.stripe_account_id}
        )
        .data
    )


def test_a_stored_500_needs_attention_and_a_fresh_key_only_after_the_window(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, app: Any, setup: None
) -> None:
    payout = _released(session, gateway, emulator)
    emulator.fail_next_transfers(mode="server_error")
    _until_attention(session, gateway, payout)
    assert payout.attention_since is not None and payout.blocked_reason
    listed = app.test_cli_runner().invoke(args=["payouts", "list"])
    assert str(payout.id) in listed.output

    # Admin page: the payout is listed with a retry button; non-admins get 403.
    admin, client = make_user(session, admin=True), app.test_client()
    session.commit()
    login(client, admin)
    page = client.get("/admin/payouts")
    assert page.status_code == 200 and f"/admin/payouts/{payout.id}/retry" in page.text
    outsider = app.test_client()
    login(outsider, make_user(session))
    assert outsider.get("/admin/payouts").status_code == 403

    # Inside the 24 h window the same key replays Stripe's stored 500: attention again.
    settlement.retry(session, gateway, payout.id)
    assert settlement.current_key(payout) == payout.transfer_key
    _until_attention(session, gateway, payout)
    assert _group(session, emulator, payout) == []

    # After the window (both clocks): nothing was made, so a fresh key pays it, once.
    clock.advance(timedelta(hours=25))
    emulator.advance_clock(DAY + 3600)
    result = app.test_cli_runner().invoke(args=["payouts", "retry", str(payout.id)])
    assert result.exit_code == 0, result.output
    assert "-g1" in result.output
    jobs.run_due(session, gateway)
    session.expire_all()
    assert payout.state is PayoutState.PAID
    made = _group(session, emulator, payout)
    assert [t.id for t in made] == [payout.stripe_transfer_id]
    assert made[0].metadata["payout_id"] == str(payout.id)
    assert ledger.balance(session, ledger.creator_paid(payout.creator_id), "USD") == 9_000
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_after_the_window_a_transfer_stripe_did_make_is_adopted_not_repeated(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, setup: None
) -> None:
    payout = _released(session, gateway, emulator)
    # The transfer is made but the answer is lost; every later attempt fails before Stripe.
    emulator.fail_next_transfers(mode="connection_lost")
    emulator.fail_next_transfers(count=20, mode="api_error")
    _until_attention(session, gateway, payout)
    _clear_failures(emulator)
    assert len(_group(session, emulator, payout)) == 1

    clock.advance(timedelta(hours=25))
    emulator.advance_clock(DAY + 3600)
    settlement.retry(session, gateway, payout.id)
    session.expire_all()
    made = _group(session, emulator, payout)
    assert payout.state is PayoutState.PAID and [t.id for t in made] == [payout.stripe_transfer_id]
    assert payout.key_generation == 0
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def _settle_in(emulator: EmulatorProcess, currencies: list[str]) -> None:
    request = urllib.request.Request(
        emulator.api_base + "/_config/settlement",
        data=json.dumps({"currencies": currencies}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def test_a_charge_stripe_converted_is_not_transferred_in_the_wrong_currency(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, app: Any, setup: None
) -> None:
    # An account without a USD bank account: Stripe converts USD charges to EUR.
    _settle_in(emulator, ["eur"])
    try:
        payout = _released(session, gateway, emulator)
    finally:
        _settle_in(emulator, ["usd", "eur", "gbp"])
    _until_attention(session, gateway, payout)
    assert "settled this USD payment in EUR" in payout.blocked_reason
    assert _group(session, emulator, payout) == []
    assert_ledger_ok(session)


def test_reconcile_reports_a_difference_with_stripe_and_the_command_exits_1(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, app: Any, setup: None
) -> None:
    payout = _released(session, gateway, emulator)
    jobs.run_due(session, gateway)
    session.expire_all()
    assert payout.state is PayoutState.PAID and reconcile(session, gateway) == []
    session.commit()
    ok = app.test_cli_runner().invoke(args=["ledger-check", "--reconcile"])
    assert ok.exit_code == 0, ok.output
    payout.destination = "acct_somebodyelse"  # our books disagree with Stripe
    session.commit()
    problems = reconcile(session, gateway)
    assert any("sent to" in p for p in problems)
    bad = app.test_cli_runner().invoke(args=["ledger-check", "--reconcile"])
    assert bad.exit_code == 1 and "sent to" in bad.output
