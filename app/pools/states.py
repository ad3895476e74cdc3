"""The demand-pool state machine (app.workflow shape), the pledge machine, and their locks.

open -close_funded-> funded -confirm-> delivering -deliver-> delivered -settle-> settled
open -close_failed-> failed                 (the minimum was not met at the deadline)
funded -fall_short-> failed                 (dropouts in the grace period broke the minimum:
                                             everyone charged so far is refunded)
open/funded/delivering -cancel-> cancelled  (the creator cancels: everyone charged is refunded)

A pledge: saving -save-> active -withdraw-> withdrawn -rejoin-> active (before close);
active -charge-> charged | -need_action-> action_required -complete-> charged | -lapse-> lapsed;
charged -refund-> refunded | -release-> released; active/saving -void-> void (pool ended).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.pools.models import DemandPool, PledgeState, PoolPledge, PoolState
from app.workflow import StateMachine, lock

P = PoolState
POOL = StateMachine(
    "demand_pool",
    P,
    {
        "close_funded": ({P.OPEN}, P.FUNDED),
        "close_failed": ({P.OPEN}, P.FAILED),
        "confirm": ({P.FUNDED}, P.DELIVERING),
        "fall_short": ({P.FUNDED}, P.FAILED),
        "deliver": ({P.DELIVERING}, P.DELIVERED),
        "settle": ({P.DELIVERED}, P.SETTLED),
        "cancel": ({P.OPEN, P.FUNDED, P.DELIVERING}, P.CANCELLED),
    },
    noun="pool",
)

L = PledgeState
PLEDGE = StateMachine(
    "pool_pledge",
    L,
    {
        "save": ({L.SAVING}, L.ACTIVE),
        "withdraw": ({L.SAVING, L.ACTIVE}, L.WITHDRAWN),
        "rejoin": ({L.WITHDRAWN}, L.ACTIVE),
        "charge": ({L.ACTIVE}, L.CHARGED),
        "need_action": ({L.ACTIVE}, L.ACTION_REQUIRED),
        "complete": ({L.ACTION_REQUIRED}, L.CHARGED),
        "lapse": ({L.ACTION_REQUIRED}, L.LAPSED),
        "refund": ({L.CHARGED}, L.REFUNDED),
        "release": ({L.CHARGED}, L.RELEASED),
        "void": ({L.SAVING, L.ACTIVE, L.ACTION_REQUIRED}, L.VOID),
    },
    noun="pledge",
)


def lock_pool(session: Session, pool_id: int) -> DemandPool:
    return lock(session, DemandPool, pool_id, missing="No such pool.")


def lock_pledge(session: Session, pledge_id: int) -> PoolPledge:
    return lock(session, PoolPledge, pledge_id, missing="No such pledge.")
