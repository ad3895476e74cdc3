"""Demand pools: open a pool, look pools up, the tier arithmetic.

Services take a Session, flush, never commit and raise typed errors; rows that move are locked
(pool before pledge, app.workflow). Pledging: app.pools.pledging; closing and off-session
charges: app.pools.closing; delivery, acceptance and settlement: app.pools.delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit, clock, events
from app.accounts.models import User
from app.db import MAX_ID, newest
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount, check_currency
from app.offers.models import CATEGORIES
from app.pools import CLOSE_TIMER
from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState, PoolTier

MAX_TITLE = 120
MAX_TEXT = 5000
MAX_TIERS = 5
MAX_CLUSTER = 64
DEADLINE_HOURS = (1, 30 * 24)  # pledges close 1 hour to 30 days ahead
DELIVERY_DAYS = (1, 90)
MAX_PLEDGES = 1000
# Pledges that count towards the tiers before close / after the off-session charges.
COUNTING = (PledgeState.ACTIVE,)
HELD = (PledgeState.CHARGED, PledgeState.ACTION_REQUIRED)


@dataclass(frozen=True)
class PoolInput:
    title: str
    description: str
    category: str
    currency: str
    deadline: datetime
    min_pledges: int
    tiers: Sequence[tuple[int, int]]  # (pledges from, price per pledger in minor units)
    delivery_promise: str = ""
    delivery_days: int = 14
    min_total_minor: int | None = None


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_tiers(data: PoolInput, errors: dict[str, list[str]]) -> list[tuple[int, int]]:
    tiers = sorted(data.tiers)
    if not 1 <= len(tiers) <= MAX_TIERS:
        errors["tiers"] = [f"Give 1 to {MAX_TIERS} price tiers."]
        return []
    counts = [count for count, _ in tiers]
    if len(set(counts)) != len(counts) or not all(_whole(c, 1, MAX_PLEDGES) for c in counts):
        errors["tiers"] = [f"Each tier starts at a different number of pledges (1-{MAX_PLEDGES})."]
        return []
    for _count, price in tiers:
        try:
            check_amount(price, data.currency if isinstance(data.currency, str) else None)
        except MoneyError as exc:
            errors["tiers"] = [str(exc)]
            return []
    prices = [price for _, price in tiers]
    if any(later >= earlier for earlier, later in zip(prices, prices[1:], strict=False)):
        errors["tiers"] = ["The price must fall as more businesses pledge."]
        return []
    return tiers


def _check(data: PoolInput) -> list[tuple[int, int]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(data.title, str) or not data.title.strip() or len(data.title) > MAX_TITLE:
        errors["title"] = [f"Give a title of at most {MAX_TITLE} characters."]
    if not isinstance(data.description, str) or not data.description.strip():
        errors["description"] = ["Describe the deliverable."]
    elif len(data.description) > MAX_TEXT:
        errors["description"] = [f"At most {MAX_TEXT} characters."]
    if not isinstance(data.delivery_promise, str) or len(data.delivery_promise) > MAX_TEXT:
        errors["delivery_promise"] = [f"At most {MAX_TEXT} characters."]
    if data.category not in CATEGORIES:
        errors["category"] = ["Choose one of the catalog's categories."]
    try:
        check_currency(data.currency)
    except MoneyError as exc:
        errors["currency"] = [str(exc)]
    if not _whole(data.delivery_days, *DELIVERY_DAYS):
        errors["delivery_days"] = ["Promise delivery within 1 to 90 days."]
    if not _whole(data.min_pledges, 1, MAX_PLEDGES):
        errors["min_pledges"] = [f"The minimum is 1 to {MAX_PLEDGES} pledges."]
    if data.min_total_minor is not None and not _whole(data.min_total_minor, 1, 10**11):
        errors["min_total_minor"] = ["Leave the minimum total empty or give a positive amount."]
    now = clock.now()
    low, high = DEADLINE_HOURS
    if (
        not isinstance(data.deadline, datetime)
        or data.deadline.tzinfo is None
        or not (now + timedelta(hours=low) <= data.deadline <= now + timedelta(hours=high))
    ):
        errors["deadline"] = ["Set a pledge deadline between 1 hour and 30 days ahead."]
    tiers = _check_tiers(data, errors)
    if tiers and "min_pledges" not in errors and data.min_pledges < tiers[0][0]:
        errors["min_pledges"] = [
            f"The minimum must reach the first tier ({tiers[0][0]} pledges): below it there is"
            " no price."
        ]
    if errors:
        raise ValidationFailed(errors)
    return tiers


def open_pool(
    session: Session, creator: User, data: PoolInput, *, source_cluster: str | None = None
) -> DemandPool:
    """Open a demand pool taking pledges until ``data.deadline`` (its close timer is set).

    ``source_cluster`` names the demand-signal cluster the pool was started from (stored,
    and carried by the ``PoolOpened`` event). Raises PermissionDenied (not a creator),
    ValidationFailed (field -> messages). Writes the pool, its tiers, one audit row.
    """
    if not creator.is_creator:
        raise PermissionDenied("Only creators can open demand pools.")
    tiers = _check(data)
    cluster = (source_cluster or "").strip()[:MAX_CLUSTER] or None
    pool = DemandPool(
        creator_id=creator.id,
        title=data.title.strip(),
        description=data.description.strip(),
        category=data.category,
        delivery_promise=data.delivery_promise.strip(),
        delivery_days=data.delivery_days,
        currency=check_currency(data.currency),
        deadline=data.deadline,
        min_pledges=data.min_pledges,
        min_total_minor=data.min_total_minor,
        source_cluster=cluster,
        tiers=[PoolTier(min_pledges=count, price_minor=price) for count, price in tiers],
    )
    session.add(pool)
    session.flush()
    audit.record(
        session,
        "demand_pool.opened",
        ("demand_pool", pool.id),
        actor_id=creator.id,
        from_state=None,
        to_state=PoolState.OPEN.value,
        tiers=[list(t) for t in tiers],
        source_cluster=cluster,
    )
    CLOSE_TIMER.set(session, pool.id, pool.deadline)
    events.publish(
        session,
        events.PoolOpened.NAME,
        events.PoolOpened(pool_id=pool.id, source_cluster=cluster),
        actor_id=creator.id,
    )
    return pool


# --- tiers -----------------------------------------------------------------------------------


def price_for(pool: DemandPool, count: int) -> int | None:
    """The price per pledger with ``count`` pledges (the highest tier reached), or None."""
    reached = [t.price_minor for t in pool.tiers if t.min_pledges <= count]
    return reached[-1] if reached else None


def meets_minimum(pool: DemandPool, count: int, price: int | None) -> bool:
    if count < pool.min_pledges or price is None:
        return False
    return pool.min_total_minor is None or count * price >= pool.min_total_minor


def next_tier(pool: DemandPool, count: int) -> PoolTier | None:
    return next((t for t in pool.tiers if t.min_pledges > count), None)


def pledges_in(pool: DemandPool, states: Sequence[PledgeState]) -> list[PoolPledge]:
    return [p for p in pool.pledges if p.state in states]


# --- lookups ---------------------------------------------------------------------------------


def get_pool(session: Session, pool_id: int) -> DemandPool:
    """Any pool (pools are public offers). Raises NotFound."""
    pool = session.get(DemandPool, pool_id) if 0 < pool_id <= MAX_ID else None
    if pool is None:
        raise NotFound("No such pool.")
    return pool


def open_pools(session: Session, limit: int = 100) -> list[DemandPool]:
    return list(
        session.scalars(
            select(DemandPool)
            .where(DemandPool.state == PoolState.OPEN)
            .order_by(DemandPool.deadline)
            .limit(limit)
        )
    )


def pools_of_creator(session: Session, creator_id: int) -> list[DemandPool]:
    return newest(session, DemandPool, DemandPool.creator_id == creator_id)


def pledges_of_business(session: Session, business_id: int) -> list[PoolPledge]:
    return newest(session, PoolPledge, PoolPledge.business_id == business_id)


def pledge_of(session: Session, pool: DemandPool, business_id: int) -> PoolPledge | None:
    return session.scalar(
        select(PoolPledge).where(
            PoolPledge.pool_id == pool.id, PoolPledge.business_id == business_id
        )
    )
