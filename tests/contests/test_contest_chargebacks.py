"""A chargeback on a contest's prize payment (issue 13): the contest owns it before and after
the award; frozen while open, back to its state when won, refunded (and awards taken back)
when lost. Driven through the emulator's real disputes and webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.contests.models import Contest, ContestAward
from app.devtools.stripe_emulator import EmulatorProcess
from app.jobs import run_due
from app.notifications.models import Notification
from app.orders import queries
from app.payments import ledger
from app.payments.gateway import PaymentGateway
from app.settlement.models import Chargeback, ChargebackStatus, Payout, PayoutState
from app.settlement.reconcile import reconcile
from tests.contests.test_contest_flow import _contest, _enter
from tests.factories import login
from tests.payments.helpers import assert_ledger_ok, onboard, stripe_client
from tests.payments.test_chargebacks import _dispute_event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRIZE = 30_000


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with clock.frozen_at(T0):
        yield


def _state(session: Session, contest_id: int) -> str:
    session.expire_all()
    contest = session.get(Contest, contest_id)
    assert contest is not None
    return contest.state.value


def _judging_with_finalist(
    session: Session, client: FlaskClient, gateway: PaymentGateway
) -> tuple[int, dict[str, str], Any, int, str]:
    """A funded contest with one finalist entry, past its deadline (judging)."""
    contest, biz, _business = _contest(session, client, prize=PRIZE)
    cid = contest["id"]
    ((winner, entry),) = _enter(session, client, cid, 1)
    picked = client.post(
        f"/api/v1/contests/{cid}/finalists", json={"entry_ids": [entry]}, headers=biz
    )
    assert picked.status_code == 200
    clock.advance(timedelta(days=10))
    run_due(session, gateway)
    assert _state(session, cid) == "judging"
    charge_id = session.scalar(select(Contest.charge_id).where(Contest.id == cid))
    assert charge_id
    session.commit()
    return cid, biz, winner, entry, charge_id


def _open_chargeback(
    client: FlaskClient, emulator: EmulatorProcess, charge_id: str
) -> dict[str, Any]:
    stripe_dispute = emulator.open_dispute(charge_id)
    _dispute_event(client, "created", stripe_dispute)
    return stripe_dispute


def _chargeback(session: Session) -> Chargeback:
    session.expire_all()
    chargeback = session.scalar(select(Chargeback))
    assert chargeback is not None
    return chargeback


def _pick(client: FlaskClient, cid: int, biz: dict[str, str], entry: int) -> Any:
    return client.post(f"/api/v1/contests/{cid}/winner", json={"entry_id": entry}, headers=biz)


def test_chargeback_before_award_freezes_then_lost_refunds_the_contest(
    session: Session, client: FlaskClient, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    cid, biz, _winner, entry, charge_id = _judging_with_finalist(session, client, gateway)
    stripe_dispute = _open_chargeback(client, emulator, charge_id)

    chargeback = _chargeback(session)
    assert (chargeback.subject_type, chargeback.subject_id) == ("contest", cid)
    assert chargeback.state_before == "judging" and chargeback.status is ChargebackStatus.OPEN
    assert _state(session, cid) == "disputed"
    # Frozen: no award while the bank decides; nothing booked, no payout made.
    before = ledger.snapshot(session)
    refused = _pick(client, cid, biz, entry)
    assert refused.status_code == 409, refused.json
    assert ledger.snapshot(session) == before
    assert session.scalar(select(Payout.id)) is None
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == PRIZE
    assert_ledger_ok(session)

    emulator.close_dispute(stripe_dispute["id"], "lost")
    _dispute_event(client, "closed", stripe_dispute)
    _dispute_event(client, "closed", stripe_dispute)  # again: applied once

    assert _state(session, cid) == "refunded"
    assert _chargeback(session).status is ChargebackStatus.LOST
    contest = session.get(Contest, cid)
    assert contest is not None and contest.refunded_minor == PRIZE
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == 0
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == PRIZE
    assert _pick(client, cid, biz, entry).status_code == 409
    # The settle timer finds a refunded contest: nothing split, nothing paid.
    clock.advance(timedelta(days=6))
    run_due(session, gateway)
    assert session.scalar(select(Payout.id)) is None
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_chargeback_before_award_won_makes_the_award_possible_again(
    session: Session, client: FlaskClient, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    cid, biz, winner, entry, charge_id = _judging_with_finalist(session, client, gateway)
    stripe_dispute = _open_chargeback(client, emulator, charge_id)
    assert _state(session, cid) == "disputed"
    assert _pick(client, cid, biz, entry).status_code == 409

    emulator.close_dispute(stripe_dispute["id"], "won")
    _dispute_event(client, "closed", stripe_dispute)
    assert _state(session, cid) == "judging"
    assert _chargeback(session).status is ChargebackStatus.WON
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == 0
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == PRIZE

    picked = _pick(client, cid, biz, entry)
    assert picked.status_code == 200, picked.json
    assert picked.json["state"] == "awarded"
    onboard(session, gateway, emulator, winner)
    clock.advance(timedelta(days=8))
    run_due(session, gateway)
    session.expire_all()
    (award,) = session.scalars(select(ContestAward).where(ContestAward.contest_id == cid))
    assert award.state == "paid_out" and award.stripe_transfer_id
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def test_chargeback_after_award_lost_takes_the_paid_prize_back(
    session: Session, client: FlaskClient, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    cid, biz, winner, entry, charge_id = _judging_with_finalist(session, client, gateway)
    assert _pick(client, cid, biz, entry).status_code == 200
    onboard(session, gateway, emulator, winner)
    clock.advance(timedelta(days=8))
    run_due(session, gateway)
    session.expire_all()
    (award,) = session.scalars(select(ContestAward).where(ContestAward.contest_id == cid))
    assert award.state == "paid_out"
    transfer_id = award.stripe_transfer_id
    net = award.amount_minor - award.fee_minor
    session.commit()

    stripe_dispute = _open_chargeback(client, emulator, charge_id)
    chargeback = _chargeback(session)
    assert (chargeback.subject_type, chargeback.state_before) == ("contest", "awarded")
    assert _state(session, cid) == "disputed"

    emulator.close_dispute(stripe_dispute["id"], "lost")
    _dispute_event(client, "closed", stripe_dispute)

    assert _state(session, cid) == "refunded"
    (award,) = session.scalars(select(ContestAward).where(ContestAward.contest_id == cid))
    assert award.payout.state is PayoutState.REVERSED and award.state == "taken_back"
    assert stripe_client(emulator).v1.transfers.retrieve(str(transfer_id)).amount_reversed == net
    assert ledger.balance(session, ledger.creator_paid(winner.id), "USD") == 0
    assert ledger.balance(session, ledger.CHARGEBACKS, "USD") == PRIZE
    assert_ledger_ok(session)
    assert reconcile(session, gateway) == []


def _page(client: FlaskClient, user: Any, cid: int) -> str:
    browser = client.application.test_client()  # a browser of its own per person
    login(browser, user)
    page = browser.get(f"/contests/{cid}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _told(session: Session, user_id: int) -> list[str]:
    session.expire_all()
    return [
        n.title
        for n in session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == "contest_chargeback")
            .order_by(Notification.id)
        )
    ]


def test_business_and_creator_read_the_chargeback_on_pages_orders_and_notifications(
    app: Flask,
    session: Session,
    client: FlaskClient,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
) -> None:
    cid, biz, winner, entry, charge_id = _judging_with_finalist(session, client, gateway)
    assert _pick(client, cid, biz, entry).status_code == 200
    business = session.get(Contest, cid).business
    stripe_dispute = _open_chargeback(client, emulator, charge_id)

    html = _page(client, business, cid)
    assert "Disputed: chargeback open" in html
    assert "Your bank opened a chargeback on this prize payment ($300.00)" in html
    html = _page(client, winner, cid)
    assert "The business&#39;s bank opened a chargeback on the prize payment" in html
    assert "any prize payout is on hold" in html
    assert _told(session, business.id) == [
        "Chargeback opened on Logo for a roastery: the contest is frozen"
    ]
    assert _told(session, winner.id) == [
        "Logo for a roastery is frozen: the prize payment is disputed by the business's bank"
    ]
    with app.test_request_context():
        (owned,) = [r for r in queries.orders_for(session, business, kind="contest")]
        assert owned.state == "Disputed: chargeback open"
        assert owned.action == "Frozen until your bank decides the chargeback"
        (entered,) = queries.orders_for(session, winner, kind="contest", show="all")
        assert entered.state == "Contest disputed: chargeback open"

    emulator.close_dispute(stripe_dispute["id"], "lost")
    _dispute_event(client, "closed", stripe_dispute)
    html = _page(client, business, cid)
    assert "Charged back" in html and "your bank returned the prize ($300.00) to you" in html
    assert "The prize awarded to the creators was taken back." in html
    html = _page(client, winner, cid)
    assert "the contest has ended without a prize. Your prize ($300.00) was taken back." in html
    assert "Taken back (chargeback)" in html
    assert (
        _told(session, winner.id)[-1]
        == "Your prize for Logo for a roastery was taken back (chargeback)"
    )
    assert _told(session, business.id)[-1] == (
        "Chargeback on Logo for a roastery decided: the prize went back to you"
    )
    with app.test_request_context():
        (entered,) = queries.orders_for(session, winner, kind="contest", show="all")
        assert entered.state == "Contest charged back"
        (owned,) = queries.orders_for(session, business, kind="contest", show="done")
        assert owned.state == "Charged back"


def test_a_won_chargeback_is_announced_and_the_contest_goes_on(
    session: Session, client: FlaskClient, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    cid, _biz, winner, _entry, charge_id = _judging_with_finalist(session, client, gateway)
    business = session.get(Contest, cid).business
    stripe_dispute = _open_chargeback(client, emulator, charge_id)
    emulator.close_dispute(stripe_dispute["id"], "won")
    _dispute_event(client, "closed", stripe_dispute)
    html = _page(client, business, cid)
    assert "Your bank rejected the chargeback on this prize payment" in html
    assert 'id="contest-state">Judging<' in html
    assert "the contest goes on" in _page(client, winner, cid)
    assert _told(session, winner.id)[-1] == (
        "Logo for a roastery goes on: the chargeback on its prize was rejected"
    )
