"""PostgreSQL races: pledges arriving while the pool closes. Threads with their own sessions
and real commits; the pool row lock serialises them, so every pledge is either in before the
close (charged at the tier its count reached) or refused (and never charged)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import clock
from app.accounts.models import User
from app.errors import Conflict
from app.payments import ledger
from app.pools import closing, pledging
from app.pools.models import DemandPool, PoolPledge
from app.pools.services import price_for
from tests.checkout_support import VISA, stripe_js_confirm
from tests.factories import make_business
from tests.payments.test_concurrency import in_threads
from tests.pools.support import DEADLINE, T0, make_pool, pledge

pytestmark = pytest.mark.postgres


def test_pledges_arriving_while_the_pool_closes(app, committed, gateway) -> None:
    with clock.frozen_at(T0):
        pool = make_pool(committed)
        for _ in range(2):
            pledge(committed, gateway, pool)
        waiting: list[tuple[int, str]] = []
        for _ in range(4):
            business = make_business(committed)
            _row, setup = pledging.start_pledge(committed, gateway, pool.id, business)
            assert setup is not None
            assert stripe_js_confirm(str(setup.client_secret), VISA)["status"] == "succeeded"
            waiting.append((business.id, setup.id))
        pool_id = pool.id
        committed.commit()
    # The deadline has just passed; the close timer runs while four saved cards come back
    # from Stripe.js (confirm_pledge takes the pool lock and refuses a pool that is closed).
    tasks: list = [lambda s: closing.close(s, gateway, pool_id)]
    for business_id, setup_id in waiting:
        tasks.append(
            lambda s, b=business_id, i=setup_id: (
                pledging.confirm_pledge(s, gateway, i, s.get(User, b)).state.value
            )
        )
    guard = threading.Lock()

    def work(session):  # noqa: ANN001, ANN202
        with guard:
            task = tasks.pop()
        return task(session)

    with clock.frozen_at(DEADLINE + timedelta(seconds=1)):
        outcomes = in_threads(app, 5, work)
    committed.expire_all()
    pool = committed.get(DemandPool, pool_id)
    pledges = committed.scalars(select(PoolPledge).where(PoolPledge.pool_id == pool_id)).all()
    states = sorted(p.state.value for p in pledges)
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    charged = [p for p in pledges if p.state == "charged"]
    assert pool.state == "delivering"
    assert set(states) <= {"charged", "void"}, states
    assert "active" not in states and "saving" not in states
    joined = [o for o in outcomes if o == "active"]
    assert len(joined) + len(refused) == 4, outcomes
    assert len(charged) == 2 + len(joined)
    assert pool.price_minor == price_for(pool, len(charged))
    assert all(p.amount_minor == pool.price_minor for p in charged)
    assert all(p.payment_intent_id is None for p in pledges if p.state == "void")
    assert ledger.check(committed).ok
