"""JSON API for demand pools (registered on app.api.bp), each operation declared once, on the
same services as the pages. Pledging: POST /pools/{id}/pledge gives a SetupIntent's client
secret to confirm with Stripe.js (confirmCardSetup), then POST /pools/pledges/confirm."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import Field

from app.accounts.models import Role, User
from app.api import api_user, bp, schema
from app.api.schema import In, Int, Moment, NoFields, Out, Text, operation
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES
from app.payments.gateway import gateway_for
from app.pools import delivery, pledging, services
from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState
from app.pools.services import MAX_CLUSTER, MAX_PLEDGES, MAX_TEXT, MAX_TIERS, MAX_TITLE


class PoolTierIn(In):
    min_pledges: Annotated[Int, Field(ge=1, le=MAX_PLEDGES)]
    price_minor: Annotated[Int, Field(ge=1, le=MAX_AMOUNT_MINOR)]


class PoolIn(In):
    title: Annotated[Text, Field(min_length=1, max_length=MAX_TITLE)]
    description: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT)]
    category: Literal[tuple(CATEGORIES)]
    currency: Literal[SUPPORTED_CURRENCIES]
    deadline: Moment
    min_pledges: Annotated[Int, Field(ge=1, le=MAX_PLEDGES)]
    tiers: Annotated[list[PoolTierIn], Field(min_length=1, max_length=MAX_TIERS)]
    min_total_minor: Annotated[Int, Field(ge=1, le=MAX_AMOUNT_MINOR)] | None = None
    delivery_promise: Annotated[Text, Field(max_length=MAX_TEXT)] = ""
    delivery_days: Annotated[Int, Field(ge=1, le=90)] = 14
    source_cluster: Annotated[Text, Field(max_length=MAX_CLUSTER)] | None = None


class PoolPledgeConfirmIn(In):
    setup_intent_id: Annotated[Text, Field(min_length=6, max_length=64, pattern=r"^seti_\w+$")]


class PoolDeliverIn(In):
    note: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT)]


class PoolTierOut(Out):
    min_pledges: int
    price_minor: int


class PoolPledgeOut(Out):
    id: int
    pool_id: int
    business_id: int
    state: Literal[tuple(s.value for s in PledgeState)]
    amount_minor: int
    refunded_minor: int
    payment_intent_id: str | None


class PoolOut(Out):
    """A pool; ``my_pledge`` is the caller's own pledge (businesses)."""

    id: int
    creator_id: int
    title: str
    description: str
    category: str
    currency: str
    deadline: datetime
    min_pledges: int
    min_total_minor: int | None
    tiers: list[PoolTierOut]
    state: Literal[tuple(s.value for s in PoolState)]
    pledge_count: int
    price_minor: int | None
    source_cluster: str | None
    my_pledge: PoolPledgeOut | None


class PoolList(Out):
    items: list[PoolOut]


class PoolPledgeSetup(PoolPledgeOut):
    """Confirm ``client_secret`` with Stripe.js's confirmCardSetup (``None`` when a card saved
    earlier was reused), then POST /pools/pledges/confirm."""

    setup_intent_id: str | None
    client_secret: str | None
    publishable_key: str


class PoolPledgeCompletion(PoolPledgeOut):
    """Confirm ``client_secret`` with Stripe.js's confirmCardPayment and the saved
    ``payment_method``, then POST /payments/{payment_intent_id}/sync."""

    client_secret: str | None
    payment_method: str | None
    publishable_key: str


PROBLEMS = {
    403: "Wrong role, or not the pool's creator / your own pool",
    404: "No such pool or pledge",
    409: "Not possible in the pool's or pledge's state",
}
PAYMENT = schema.GATEWAY_PROBLEM


def pledge_json(pledge: PoolPledge) -> dict[str, Any]:
    return {
        "id": pledge.id,
        "pool_id": pledge.pool_id,
        "business_id": pledge.business_id,
        "state": pledge.state.value,
        "amount_minor": pledge.amount_minor,
        "refunded_minor": pledge.refunded_minor,
        "payment_intent_id": pledge.payment_intent_id,
    }


def pool_json(pool: DemandPool, user: User) -> dict[str, Any]:
    mine = next((p for p in pool.pledges if p.business_id == user.id), None)
    return {
        "id": pool.id,
        "creator_id": pool.creator_id,
        "title": pool.title,
        "description": pool.description,
        "category": pool.category,
        "currency": pool.currency,
        "deadline": pool.deadline.isoformat(),
        "min_pledges": pool.min_pledges,
        "min_total_minor": pool.min_total_minor,
        "tiers": [{"min_pledges": t.min_pledges, "price_minor": t.price_minor} for t in pool.tiers],
        "state": pool.state.value,
        "pledge_count": len(services.pledges_in(pool, services.COUNTING + services.HELD)),
        "price_minor": pool.price_minor,
        "source_cluster": pool.source_cluster,
        "my_pledge": pledge_json(mine) if mine else None,
    }


@bp.post("/pools")
@operation(
    tag="pools", body=PoolIn, created=PoolOut, role=Role.CREATOR, links={"get_pool": "pool_id"}
)
def create_pool(body: PoolIn) -> tuple[Any, int, dict[str, str]]:
    """Open a demand pool with its price tiers (creator)"""
    user = api_user(Role.CREATOR)
    data = body.model_dump()
    cluster = data.pop("source_cluster")
    data["tiers"] = [(t["min_pledges"], t["price_minor"]) for t in data["tiers"]]
    pool = services.open_pool(
        db.session(), user, services.PoolInput(**data), source_cluster=cluster
    )
    return pool_json(pool, user), 201, {"Location": f"/api/v1/pools/{pool.id}"}


@bp.get("/pools")
@operation(tag="pools", ok=PoolList)
def list_pools() -> dict[str, Any]:
    """Open pools, your own pools, and the pools you pledged to (up to 100 each)"""
    user = api_user()
    session = db.session()
    pools = {p.id: p for p in services.open_pools(session)}
    pools.update({p.id: p for p in services.pools_of_creator(session, user.id)})
    pools.update({p.pool.id: p.pool for p in services.pledges_of_business(session, user.id)})
    return {"items": [pool_json(p, user) for p in sorted(pools.values(), key=lambda p: -p.id)]}


@bp.get("/pools/<int:pool_id>")
@operation(tag="pools", ok=PoolOut, problems=PROBLEMS)
def get_pool(pool_id: int) -> dict[str, Any]:
    """One pool"""
    user = api_user()
    return pool_json(services.get_pool(db.session(), pool_id), user)


@bp.post("/pools/<int:pool_id>/pledge")
@schema.payment_operation(tag="pools", ok=PoolPledgeSetup, problems=PROBLEMS)
def pledge_pool(pool_id: int, body: NoFields) -> dict[str, Any]:
    """Pledge (business): a SetupIntent to save the card with Stripe.js; nothing is charged
    until the pool closes successfully"""
    user = api_user(Role.BUSINESS)
    gateway = gateway_for(current_app)
    pledge, setup = pledging.start_pledge(db.session(), gateway, pool_id, user)
    return {
        **pledge_json(pledge),
        "setup_intent_id": setup.id if setup else None,
        "client_secret": setup.client_secret if setup else None,
        "publishable_key": gateway.publishable_key,
    }


@bp.post("/pools/pledges/confirm")
@operation(
    tag="pools",
    body=PoolPledgeConfirmIn,
    ok=PoolPledgeOut,
    role=Role.BUSINESS,
    problems={**PROBLEMS, **PAYMENT},
)
def confirm_pool_pledge(body: PoolPledgeConfirmIn) -> dict[str, Any]:
    """Check the SetupIntent with Stripe: once the card is saved the pledge counts"""
    user = api_user(Role.BUSINESS)
    pledge = pledging.confirm_pledge(
        db.session(), gateway_for(current_app), body.setup_intent_id, user
    )
    return pledge_json(pledge)


@bp.get("/pools/pledges/<int:pledge_id>/completion")
@operation(
    tag="pools", ok=PoolPledgeCompletion, role=Role.BUSINESS, problems={**PROBLEMS, **PAYMENT}
)
def get_pledge_completion(pledge_id: int) -> dict[str, Any]:
    """The payment to complete on-session when the off-session charge needed authentication
    or was declined (within the grace period)"""
    user = api_user(Role.BUSINESS)
    gateway = gateway_for(current_app)
    pledge, intent = delivery.completion(db.session(), gateway, pledge_id, user)
    return {
        **pledge_json(pledge),
        "client_secret": intent.client_secret,
        "payment_method": pledge.payment_method_id,
        "publishable_key": gateway.publishable_key,
    }


@bp.post("/pools/<int:pool_id>/withdraw")
@operation(tag="pools", ok=PoolPledgeOut, role=Role.BUSINESS, problems=PROBLEMS)
def withdraw_pool_pledge(pool_id: int) -> dict[str, Any]:
    """Withdraw your pledge before the pool closes (business)"""
    return pledge_json(pledging.withdraw(db.session(), pool_id, api_user(Role.BUSINESS)))


@bp.post("/pools/<int:pool_id>/accept")
@operation(tag="pools", ok=PoolPledgeOut, role=Role.BUSINESS, problems=PROBLEMS)
def accept_pool_delivery(pool_id: int) -> dict[str, Any]:
    """Accept the delivery: your payment is released to the creator (business)"""
    return pledge_json(delivery.accept(db.session(), pool_id, api_user(Role.BUSINESS)))


@bp.post("/pools/<int:pool_id>/deliver")
@operation(tag="pools", body=PoolDeliverIn, ok=PoolOut, role=Role.CREATOR, problems=PROBLEMS)
def deliver_pool(pool_id: int, body: PoolDeliverIn) -> dict[str, Any]:
    """Deliver (creator): each pledger accepts, or the acceptance window does"""
    user = api_user(Role.CREATOR)
    return pool_json(delivery.deliver(db.session(), pool_id, user, note=body.note), user)


@bp.post("/pools/<int:pool_id>/cancel")
@operation(tag="pools", ok=PoolOut, role=Role.CREATOR, problems={**PROBLEMS, **PAYMENT})
def cancel_pool(pool_id: int) -> dict[str, Any]:
    """Cancel the pool (creator): everyone charged is refunded"""
    user = api_user(Role.CREATOR)
    pool = delivery.cancel_pool(db.session(), gateway_for(current_app), pool_id, user)
    return pool_json(pool, user)
