"""Contests end to end over the JSON API: prize through the Stripe emulator into the contest
escrow, entries, finalists, winner or the timers' split/refund, payout after the hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.contests.models import Contest, ContestAward
from app.jobs import run_due
from app.payments import ledger
from tests.checkout_support import VISA, stripe_js_confirm
from tests.factories import api_token, make_business, make_creator
from tests.payments.helpers import onboard

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=10)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _contest(session: Session, client, prize: int = 30_000) -> tuple[dict, dict, object]:
    business = make_business(session)
    biz = api_token(session, business)
    response = client.post(
        "/api/v1/contests",
        json={
            "title": "Logo for a roastery",
            "description": "A bold, simple mark.",
            "category": "Design & Creative",
            "prize_minor": prize,
            "currency": "USD",
            "deadline": DEADLINE.isoformat(),
            "judging_days": 5,
        },
        headers=biz,
    )
    assert response.status_code == 201, response.json
    contest = response.json
    started = client.post(f"/api/v1/contests/{contest['id']}/fund", headers=biz)
    assert started.status_code == 200, started.json
    assert stripe_js_confirm(started.json["client_secret"], VISA)["status"] == "succeeded"
    funded = client.post(f"/api/v1/contests/{contest['id']}/confirm-funding", headers=biz)
    assert funded.status_code == 200, funded.json
    assert funded.json["state"] == "open"
    assert ledger.balance(session, ledger.escrow_contest(contest["id"]), "USD") == prize
    return contest, biz, business


def _enter(session: Session, client, contest_id: int, n: int) -> list[tuple[object, int]]:
    entrants = []
    for i in range(n):
        creator = make_creator(session)
        response = client.post(
            f"/api/v1/contests/{contest_id}/entries",
            json={"text": f"Concept {i}", "file": f"logo{i}.svg"},
            headers=api_token(session, creator),
        )
        assert response.status_code == 201, response.json
        mine = [e for e in response.json["entries"] if e["creator_id"] == creator.id]
        entrants.append((creator, mine[0]["id"]))
    return entrants


def _awards(session: Session, contest_id: int) -> list[ContestAward]:
    session.expire_all()
    return list(session.scalars(select(ContestAward).where(ContestAward.contest_id == contest_id)))


def test_winner_paid_through_the_hold(session, client, gateway, emulator, frozen) -> None:
    contest, biz, _business = _contest(session, client)
    cid = contest["id"]
    (winner, win_entry), (_other, other_entry) = _enter(session, client, cid, 2)
    response = client.post(
        f"/api/v1/contests/{cid}/finalists",
        json={"entry_ids": [win_entry, other_entry]},
        headers=biz,
    )
    assert response.status_code == 200
    too_early = client.post(
        f"/api/v1/contests/{cid}/winner", json={"entry_id": win_entry}, headers=biz
    )
    assert too_early.status_code == 409
    clock.advance(timedelta(days=10))
    run_due(session, gateway)
    session.expire_all()
    assert session.get(Contest, cid).state == "judging"
    late = client.post(
        f"/api/v1/contests/{cid}/entries",
        json={"text": "late"},
        headers=api_token(session, make_creator(session)),
    )
    assert late.status_code == 409
    picked = client.post(
        f"/api/v1/contests/{cid}/winner", json={"entry_id": win_entry}, headers=biz
    )
    assert picked.status_code == 200, picked.json
    assert picked.json["state"] == "awarded"
    (award,) = _awards(session, cid)
    assert (award.creator_id, award.amount_minor, award.fee_minor) == (winner.id, 30_000, 3_000)
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == 0
    assert ledger.balance(session, ledger.creator_pending(winner.id), "USD") == 27_000
    onboard(session, gateway, emulator, winner)
    # The settle timer finds the contest awarded: a no-op, nothing split.
    clock.advance(timedelta(days=8))
    run_due(session, gateway)
    (award,) = _awards(session, cid)
    assert award.state == "paid_out" and award.stripe_transfer_id
    assert ledger.balance(session, ledger.creator_paid(winner.id), "USD") == 27_000
    assert ledger.balance(session, ledger.creator_pending(winner.id), "USD") == 0
    assert ledger.check(session).ok


def test_no_pick_splits_among_finalists_exactly_once(session, client, gateway, frozen) -> None:
    contest, biz, _business = _contest(session, client, prize=10_001)
    cid = contest["id"]
    entrants = _enter(session, client, cid, 3)
    client.post(
        f"/api/v1/contests/{cid}/finalists",
        json={"entry_ids": [entrants[0][1], entrants[2][1]]},
        headers=biz,
    )
    clock.advance(timedelta(days=15))
    run_due(session, gateway)
    run_due(session, gateway)
    session.expire_all()
    assert session.get(Contest, cid).state == "split"
    awards = _awards(session, cid)
    assert sorted((a.creator_id, a.amount_minor) for a in awards) == sorted(
        [(entrants[0][0].id, 5_001), (entrants[2][0].id, 5_000)]
    )
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == 0
    # Replaying the settle logic changes nothing.
    from app.contests import timers

    assert timers.settle(session, gateway, cid) == "nothing to do"
    assert len(_awards(session, cid)) == 2
    assert ledger.check(session).ok


def test_no_finalists_split_among_all_entrants(session, client, gateway, frozen) -> None:
    contest, _biz, _business = _contest(session, client, prize=9_000)
    cid = contest["id"]
    _enter(session, client, cid, 3)
    clock.advance(timedelta(days=15))
    run_due(session, gateway)
    awards = _awards(session, cid)
    assert [a.amount_minor for a in awards] == [3_000, 3_000, 3_000]
    assert ledger.check(session).ok


def test_no_entries_refunds_the_prize_at_the_deadline(session, client, gateway, frozen) -> None:
    contest, _biz, _business = _contest(session, client)
    cid = contest["id"]
    refunds_before = ledger.balance(session, ledger.REFUNDS, "USD")
    clock.advance(timedelta(days=10))
    run_due(session, gateway)
    clock.advance(timedelta(days=6))
    run_due(session, gateway)
    session.expire_all()
    found = session.get(Contest, cid)
    assert found.state == "refunded" and found.stripe_refund_id
    assert ledger.balance(session, ledger.REFUNDS, "USD") - refunds_before == 30_000
    assert ledger.balance(session, ledger.escrow_contest(cid), "USD") == 0
    assert _awards(session, cid) == []
    assert ledger.check(session).ok


def test_non_parties_get_404_and_nothing_changes(session, client, gateway, frozen) -> None:
    contest, _biz, business = _contest(session, client)
    cid = contest["id"]
    entrants = _enter(session, client, cid, 1)
    intruder = make_business(session)
    headers = api_token(session, intruder)
    clock.advance(timedelta(days=10))
    run_due(session, gateway)
    session.expire_all()
    before = (ledger.snapshot(session), len(_awards(session, cid)))
    for path, body in [
        ("winner", {"entry_id": entrants[0][1]}),
        ("finalists", {"entry_ids": [entrants[0][1]]}),
        ("confirm-funding", None),
    ]:
        response = client.post(f"/api/v1/contests/{cid}/{path}", json=body, headers=headers)
        assert response.status_code == 404, (path, response.status_code)
    # A draft is invisible to everyone but its business.
    draft = client.post(
        "/api/v1/contests",
        json={
            "title": "Draft",
            "description": "d",
            "category": "Other",
            "prize_minor": 500,
            "currency": "USD",
            "deadline": (clock.now() + timedelta(days=3)).isoformat(),
        },
        headers=api_token(session, business),
    ).json
    assert client.get(f"/api/v1/contests/{draft['id']}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/contests/{draft['id']}/fund", headers=headers).status_code == 404
    session.expire_all()
    assert (ledger.snapshot(session), len(_awards(session, cid))) == before
    assert session.scalar(select(func.count()).select_from(ContestAward)) == 0
