"""Who hears about a demand pool's moves (subscribed by app.notifications.wiring): the
creator and every business still in the pool for the pool's transitions; the business of a
pledge for what happens to its own money (a payment to complete, a lapse, a refund)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import events
from app.money import format_minor
from app.notifications.services import notify, path_for
from app.pools.models import DemandPool, PledgeState, PoolPledge

GONE = (PledgeState.WITHDRAWN, PledgeState.SAVING)

POOL_TITLES = {
    "close_funded": "{title} reached its minimum: pledges are being charged",
    "close_failed": "{title} did not reach its minimum: nobody is charged",
    "confirm": "{title} is confirmed: the creator is making it",
    "fall_short": "{title} fell below its minimum after dropouts: everyone is refunded",
    "deliver": "{title} was delivered: accept it",
    "settle": "{title} is settled",
    "cancel": "{title} was cancelled by its creator: everyone charged is refunded",
}


def on_pool(session: Session, event: events.Event) -> None:
    pool: DemandPool = event.subject
    title = POOL_TITLES[event.action].format(title=pool.title)
    link = path_for("pools.detail", pool_id=pool.id)
    people = [pool.creator_id] + [p.business_id for p in pool.pledges if p.state not in GONE]
    for user_id in dict.fromkeys(people):
        if user_id != event.actor_id:
            notify(
                session,
                user_id,
                "pool_update",
                title=title,
                link=link,
                subject=("demand_pool", pool.id),
            )


def on_pledge(session: Session, event: events.Event) -> None:
    pledge: PoolPledge = event.subject
    pool = pledge.pool
    subject = ("demand_pool", pool.id)
    link, body = path_for("pools.detail", pool_id=pool.id), ""
    if event.action in ("save", "rejoin", "withdraw"):
        verb = "left" if event.action == "withdraw" else "pledged to"
        user_id, kind, title = pool.creator_id, "pool_pledge", f"A business {verb} {pool.title}"
        if event.data.get("via") == "webhook":
            # Saved while the business was away (tab closed after 3-D Secure): tell it too.
            notify(
                session,
                pledge.business_id,
                "pool_update",
                title=f"Your pledge to {pool.title} counts: your card is saved",
                body="You are charged only if the pool reaches its minimum at the deadline.",
                link=link,
                subject=subject,
            )
    elif event.action == "setup_failed":
        user_id, kind = pledge.business_id, "pool_action_needed"
        title = f"Your card was not saved for {pool.title}"
        body = (
            f"{event.data.get('reason', '')} Your pledge does not count until a card is "
            "saved; try again before the deadline."
        )
        link = path_for("pools.pledge", pool_id=pool.id)
    elif event.action == "need_action":
        user_id, kind = pledge.business_id, "pool_action_needed"
        title = f"Complete your payment for {pool.title}"
        body = (
            "Your bank asked for confirmation (or declined) when your saved card was "
            "charged. Complete it within the grace period or your pledge drops out."
        )
        link = path_for("pools.complete", pledge_id=pledge.id)
    else:
        amount = format_minor(pledge.amount_minor, pool.currency)
        title = {
            "lapse": f"Your pledge to {pool.title} dropped out (payment not completed)",
            "refund": f"Your {amount} for {pool.title} was refunded",
            "charge": f"You were charged {amount} for {pool.title}",
            "complete": f"Payment completed for {pool.title}",
        }[event.action]
        user_id = pledge.business_id
        kind = "refunded" if event.action == "refund" else "pool_update"
    notify(session, user_id, kind, title=title, link=link, subject=subject, body=body)


SUBSCRIPTIONS = {
    **{f"demand_pool.{action}": on_pool for action in POOL_TITLES},
    **{
        f"pool_pledge.{action}": on_pledge
        for action in (
            "save",
            "rejoin",
            "withdraw",
            "need_action",
            "lapse",
            "refund",
            "charge",
            "complete",
            "setup_failed",
        )
    },
}
