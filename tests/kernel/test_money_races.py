"""Every pair of money-changing actions on one contract, raced from two connections on
PostgreSQL: fund, split, refund, accept, dispute, decide and pay out.

Each action goes through the whole web stack (or the worker, for the payout) in its own
thread with its own connection. Whatever the interleaving, no deadlock or lock error reaches
anyone as a 500, every charge Stripe made is recorded, and the ledger balances.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.devtools.stripe_emulator import EmulatorProcess
from app.disputes import services as disputes
from app.extensions import db
from app.payments import ledger
from app.payments import services as payments
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone
from tests.checkout_support import VISA, pay_milestone, pay_page
from tests.factories import PASSWORD, make_business, make_creator, make_user
from tests.payments.helpers import make_contract, onboard, stripe_client

pytestmark = pytest.mark.postgres

ACTIONS = ("fund", "split", "refund", "accept", "dispute", "decide", "pay_out")
PAIRS = list(itertools.combinations_with_replacement(ACTIONS, 2))
# Done (200, or a redirect after a form) or refused with a reason; never a 500.
ANSWERED = {200, 302, 303, 400, 403, 404, 409, 422}


@dataclass
class People:
    """The parties of every contract of the test, each with one signed-in client per side
    of a race (two requests of one user must not share a cookie jar mid-flight)."""

    business: User
    creator: User
    moderator: User
    clients: dict[tuple[str, int], FlaskClient]


@dataclass
class World:
    """One contract in every state the actions need: m1 pending (fund), m2 delivered (accept,
    dispute, refund), m3 disputed and under review (decide), m4 released and cleared (pay
    out). A split world has only pending milestones."""

    contract_id: int
    business: User
    creator: User
    moderator: User
    milestones: list[int]
    dispute_id: int | None = None


def _world(
    session: Session, gateway: PaymentGateway, people: People, pair: tuple[str, str]
) -> World:
    """Only the milestones this pair races on are paid for (each costs Stripe calls)."""
    business, creator = people.business, people.creator
    contract = make_contract(session, amount=40_000, business=business, creator=creator)
    plans = [payments.MilestonePlan(f"Part {n}", 10_000) for n in range(1, 5)]
    m1, m2, m3, m4 = payments.split(session, contract.id, plans, actor=business)
    world = World(contract.id, business, creator, people.moderator, [m1.id, m2.id, m3.id, m4.id])
    if "split" in pair:
        return world
    needed = {m2} if {"accept", "dispute", "refund"} & set(pair) else set()
    needed |= {m3} if "decide" in pair else set()
    needed |= {m4} if "pay_out" in pair else set()
    for milestone in sorted(needed, key=lambda m: m.id):
        pay_milestone(session, gateway, milestone.id, business, VISA)
        payments.deliver(session, milestone.id, creator=creator, message="Here it is.")
    if m3 in needed:
        dispute = disputes.open_dispute(session, m3.id, user=business, reason="Not as agreed.")
        disputes.respond(session, dispute.id, user=creator, response="It is as agreed.")
        world.dispute_id = dispute.id
    if m4 in needed:
        payments.accept(session, m4.id, business=business)
        clock.advance(timedelta(days=15))  # m4's clearance hold is over
    return world


def _client(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _action(
    app: Flask,
    gateway: PaymentGateway,
    people: People,
    side: int,
    world: World,
    action: str,
    partner: str,
) -> Callable[[], int]:
    """The request (or worker round) of ``action`` by race side ``side``; returns its HTTP
    status (the worker: 200, or 500 if it raised)."""
    m1, m2, m3, m4 = world.milestones
    business, creator, moderator = (
        people.clients[("business", side)],
        people.clients[("creator", side)],
        people.clients[("moderator", side)],
    )
    # Refunds race whichever milestone their partner touches.
    refund_target = {"decide": m3, "pay_out": m4, "fund": m1}.get(partner, m2)
    requests: dict[str, Callable[[], Any]] = {
        # The page makes the PaymentIntent, Stripe.js confirms it, the return page books it.
        "fund": lambda: pay_page(business, f"/milestones/{m1}/fund", VISA, strict=False),
        "split": lambda: business.post(
            f"/contracts/{world.contract_id}/milestones",
            data={
                "rows-0-title": "First half",
                "rows-0-amount": "200.00",
                "rows-1-title": "Second half",
                "rows-1-amount": "200.00",
            },
        ),
        "refund": lambda: creator.post(f"/milestones/{refund_target}/refund", data={"reason": "x"}),
        "accept": lambda: business.post(f"/milestones/{m2}/accept"),
        "dispute": lambda: business.post(f"/milestones/{m2}/dispute", data={"reason": "Late."}),
        "decide": lambda: moderator.post(
            f"/disputes/{world.dispute_id or 0}/resolve",
            data={"outcome": "refund", "note": "Refund the business."},
        ),
    }

    def pay_out() -> int:
        with app.app_context():
            try:
                jobs.run_due(db.session(), gateway)
            except Exception:  # noqa: BLE001 - the worker must survive any race
                return 500
            finally:
                db.session.remove()
        return 200

    if action == "pay_out":
        return pay_out
    request = requests[action]
    return lambda: request().status_code


def _race(work: list[Callable[[], int]]) -> list[int]:
    barrier = threading.Barrier(len(work))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(job: Callable[[], int]) -> None:
        barrier.wait()
        status = job()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)  # generous: a loaded CI machine may queue the two requests
    assert len(statuses) == len(work), f"a side never answered: {statuses}"
    return statuses


def _all_intents(emulator: EmulatorProcess) -> list[Any]:
    # Every page: a long run leaves far more than 100 PaymentIntents in the emulator.
    return list(stripe_client(emulator).v1.payment_intents.list({"limit": 100}).auto_paging_iter())


def _unrecorded_charges(
    session: Session, emulator: EmulatorProcess, world: World, earlier: set[str]
) -> list[str]:
    """Succeeded PaymentIntents of this contract that no funded milestone records. ``earlier``:
    PaymentIntents from before this test (contract ids restart after each committed test)."""
    mine = [
        pi
        for pi in _all_intents(emulator)
        if pi.id not in earlier
        and (pi.metadata.to_dict() if pi.metadata else {}).get("contract_id")
        == str(world.contract_id)
        and pi.status == "succeeded"
    ]
    session.expire_all()
    funded = {
        m.payment_intent_id
        for m in session.scalars(
            select(Milestone).where(Milestone.contract_id == world.contract_id)
        )
        if m.funded_at is not None
    }
    return [pi.id for pi in mine if pi.id not in funded]


def test_every_pair_of_money_actions_on_one_contract(
    app: Flask, committed: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    outcomes: dict[tuple[str, str], list[int]] = {}
    earlier = {pi.id for pi in _all_intents(emulator)}
    with clock.frozen_at(datetime(2026, 8, 3, 9, 0, tzinfo=UTC)):
        users = {
            "business": make_business(committed),
            "creator": make_creator(committed),
            "moderator": make_user(committed, moderator=True),
        }
        onboard(committed, gateway, emulator, users["creator"])
        committed.commit()
        clients = {
            (role, side): _client(app, user) for role, user in users.items() for side in (0, 1)
        }
        people = People(users["business"], users["creator"], users["moderator"], clients)
        for first, second in PAIRS:
            world = _world(committed, gateway, people, (first, second))
            committed.commit()
            statuses = _race(
                [
                    _action(app, gateway, people, 0, world, first, second),
                    _action(app, gateway, people, 1, world, second, first),
                ]
            )
            outcomes[(first, second)] = statuses
            assert all(s in ANSWERED for s in statuses), (first, second, statuses)
            assert _unrecorded_charges(committed, emulator, world, earlier) == [], (first, second)
            report = ledger.check(committed)
            assert report.ok, (first, second, report.problems)
    # The races were real: each pair ran, and at least one side of most pairs got through.
    assert len(outcomes) == len(PAIRS) == 28
