"""Opening a demand pool: the page (pre-filled from a demand cluster), the service's rules, the
PoolOpened event and the close timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import clock, events
from app.errors import PermissionDenied, ValidationFailed
from app.jobs.models import Job
from app.pools.models import DemandPool
from app.pools.services import PoolInput, open_pool, price_for
from tests.factories import login, make_business, make_creator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def pool_input(**overrides: object) -> PoolInput:
    values: dict[str, object] = {
        "title": "Stock photo pack: coffee shops",
        "description": "Forty photos of independent coffee shops.",
        "category": "Design & Creative",
        "currency": "EUR",
        "deadline": T0 + timedelta(days=7),
        "min_pledges": 2,
        "tiers": [(2, 8000), (3, 6000), (5, 4500)],
    }
    values.update(overrides)
    return PoolInput(**values)  # type: ignore[arg-type]


def test_open_pool_stores_tiers_cluster_timer_and_publishes(session, frozen) -> None:
    seen: list[events.Event] = []
    events.subscribe(events.PoolOpened.NAME, lambda _s, e: seen.append(e))
    creator = make_creator(session)
    pool = open_pool(session, creator, pool_input(), source_cluster="cluster-7")
    assert pool.state == "open" and pool.source_cluster == "cluster-7"
    assert [(t.min_pledges, t.price_minor) for t in pool.tiers] == [
        (2, 8000),
        (3, 6000),
        (5, 4500),
    ]
    assert [price_for(pool, n) for n in (1, 2, 3, 4, 5, 9)] == [None, 8000, 6000, 6000, 4500, 4500]
    mine = [e for e in seen if e.subject.pool_id == pool.id]
    assert mine and mine[0].subject.source_cluster == "cluster-7"
    job = session.scalars(select(Job).where(Job.key == f"pool-{pool.id}-close")).one()
    assert job.due_at == pool.deadline


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tiers": [(2, 8000), (3, 9000)]}, "tiers"),  # price must fall
        ({"tiers": [(2, 8000), (2, 6000)]}, "tiers"),
        ({"tiers": []}, "tiers"),
        ({"tiers": [(2, 10)]}, "tiers"),  # below Stripe's minimum charge
        ({"min_pledges": 1}, "min_pledges"),  # below the first tier: no price
        ({"deadline": T0 + timedelta(minutes=5)}, "deadline"),
        ({"deadline": T0 + timedelta(days=40)}, "deadline"),
        ({"category": "Nope"}, "category"),
        ({"currency": "XYZ"}, "currency"),
        ({"title": " "}, "title"),
        ({"min_total_minor": 0}, "min_total_minor"),
    ],
)
def test_open_pool_refuses_bad_input_and_writes_nothing(
    session, frozen, overrides: dict, field: str
) -> None:
    creator = make_creator(session)
    before = session.scalar(select(func.count()).select_from(DemandPool))
    with pytest.raises(ValidationFailed) as caught:
        open_pool(session, creator, pool_input(**overrides))
    assert field in caught.value.errors
    assert session.scalar(select(func.count()).select_from(DemandPool)) == before


def test_only_creators_open_pools(session, frozen) -> None:
    with pytest.raises(PermissionDenied):
        open_pool(session, make_business(session), pool_input())


def test_new_page_prefills_from_cluster_and_stores_it(session, client, frozen) -> None:
    creator = make_creator(session)
    login(client, creator)
    page = client.get(
        "/pools/new?title=Market+report&description=EU+coffee+market&category=Design+%26+Creative"
        "&cluster=c-42"
    )
    assert page.status_code == 200
    assert 'value="Market report"' in page.text and "EU coffee market" in page.text
    assert 'name="cluster" type="hidden" value="c-42"' in page.text
    created = client.post(
        "/pools/new",
        data={
            "title": "Market report",
            "description": "EU coffee market",
            "category": "Design & Creative",
            "delivery_promise": "A 40 page PDF",
            "delivery_days": "10",
            "currency": "EUR",
            "deadline": "2026-03-09T09:00",
            "min_pledges": "2",
            "tier1_count": "2",
            "tier1_price": "80",
            "tier2_count": "3",
            "tier2_price": "60",
            "tier3_count": "5",
            "tier3_price": "45",
            "cluster": "c-42",
        },
    )
    assert created.status_code == 303, created.text[:1500]
    pool = session.scalars(select(DemandPool).where(DemandPool.creator_id == creator.id)).one()
    assert pool.source_cluster == "c-42" and len(pool.tiers) == 3
    assert client.get(f"/pools/{pool.id}").status_code == 200
    assert "Market report" in client.get("/pools").text


def test_new_page_shows_errors_with_422(session, client, frozen) -> None:
    login(client, make_creator(session))
    bad = client.post(
        "/pools/new",
        data={
            "title": "x",
            "description": "y",
            "category": "Design & Creative",
            "delivery_days": "10",
            "currency": "EUR",
            "deadline": "2026-03-09T09:00",
            "min_pledges": "2",
            "tier1_count": "2",
            "tier1_price": "80",
            "tier2_count": "3",
            "tier2_price": "90",
        },
    )
    assert bad.status_code == 422
    assert "The price must fall" in bad.text
    assert client.get("/pools/new").status_code == 200
    client.post("/logout")
    login(client, make_business(session))
    assert client.get("/pools/new").status_code == 403
