"""Helpers of the pool tests: a pool with three tiers, businesses pledging through what
Stripe.js does (SetupIntent confirmed with the typed card)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.pools import pledging
from app.pools.models import DemandPool, PoolPledge
from app.pools.services import PoolInput, open_pool
from tests.checkout_support import VISA, stripe_js_confirm
from tests.factories import make_business, make_creator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(days=7)
TIERS = [(2, 8000), (3, 6000), (5, 4500)]


def make_pool(session: Session, **overrides: object) -> DemandPool:
    values: dict[str, object] = {
        "title": "Stock photo pack: coffee shops",
        "description": "Forty photos of independent coffee shops.",
        "category": "Design & Creative",
        "currency": "EUR",
        "deadline": DEADLINE,
        "min_pledges": 2,
        "tiers": TIERS,
    }
    values.update(overrides)
    return open_pool(session, make_creator(session), PoolInput(**values))  # type: ignore[arg-type]


def pledge(
    session: Session, gateway, pool: DemandPool, card: str = VISA, business=None
) -> PoolPledge:  # noqa: ANN001
    business = business or make_business(session)
    started, setup = pledging.start_pledge(session, gateway, pool.id, business)
    assert setup is not None and setup.client_secret
    saved = stripe_js_confirm(setup.client_secret, card)
    assert saved["status"] == "succeeded", saved
    return pledging.confirm_pledge(session, gateway, setup.id, business)
