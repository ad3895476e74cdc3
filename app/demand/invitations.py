"""Inviting the businesses of a demand cluster to the pool a creator started from it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import events
from app.demand import clusters
from app.errors import NotFound
from app.notifications import services as notifications
from app.notifications.models import Notification
from app.pools.models import DemandPool

KIND = "pool_invitation"


def invite_cluster_businesses(session: Session, pool_id: int, cluster_key: str) -> list[int]:
    """Notify every business whose open brief or live interest is in the cluster named by
    ``cluster_key``, with a link to the pool; never the pool's creator, never twice per pool.

    Returns the ids of the businesses notified now (empty when the cluster is gone). Raises
    NotFound when there is no such pool. Writes notifications (and their mail jobs).
    """
    pool = session.get(DemandPool, pool_id)
    if pool is None:
        raise NotFound("No such pool.")
    cluster = clusters.members_of(session, cluster_key)
    if cluster is None:
        return []
    already = set(
        session.scalars(
            select(Notification.user_id).where(
                Notification.kind == KIND,
                Notification.subject_type == "demand_pool",
                Notification.subject_id == pool.id,
            )
        )
    )
    invited: list[int] = []
    link = notifications.path_for("pools.detail", pool_id=pool.id)
    for business_id in sorted(cluster.business_ids - already - {pool.creator_id}):
        notifications.notify(
            session,
            business_id,
            KIND,
            title=f"A demand pool matches what you asked for: {pool.title}",
            body="A creator started a pool from briefs and interests like yours. Pledge to "
            "join; the price falls as more businesses commit.",
            link=link,
            subject=("demand_pool", pool.id),
        )
        invited.append(business_id)
    return invited


def on_pool_opened(session: Session, event: events.Event) -> None:
    opened: events.PoolOpened = event.subject
    if opened.source_cluster:
        invite_cluster_businesses(session, opened.pool_id, opened.source_cluster)
