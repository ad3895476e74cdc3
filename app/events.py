"""In-process domain events, run inside the unit of work that raised them.

A domain says what happened (``publish(session, "milestone.accept", milestone, actor_id=7)``);
other domains react without the publisher importing them (reviews recompute reputation,
disputes open a case for a chargeback, notifications tell people). Every state machine move
publishes ``"<subject>.<action>"`` (app.workflow); other events are published explicitly.

Subscribers are registered at start-up (``create_app`` -> each domain's ``wiring.register``)
and run synchronously, in registration order, with the publisher's session: what they write
commits or rolls back with the change that caused it. A subscriber that raises aborts the
whole unit of work, so subscribers only do what must be consistent with the change; work that
leaves the process (mail) is queued as a job.

Names may be subscribed exactly ("dispute.resolve_refund") or by subject ("dispute.*").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Event:
    name: str
    subject: Any
    actor_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        return self.name.partition(".")[0]

    @property
    def action(self) -> str:
        return self.name.partition(".")[2]


Subscriber = Callable[[Session, Event], None]
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


def subscribe(name: str, subscriber: Subscriber | None = None) -> Any:
    """Register ``subscriber`` for ``name`` (usable as a decorator); registering twice is a
    no-op, so building several apps in one process does not double reactions."""

    def register(fn: Subscriber) -> Subscriber:
        if fn not in _subscribers[name]:
            _subscribers[name].append(fn)
        return fn

    return register(subscriber) if subscriber is not None else register


def subscribers(name: str) -> list[Subscriber]:
    subject = name.partition(".")[0]
    return [*_subscribers.get(name, ()), *_subscribers.get(f"{subject}.*", ())]


def publish(
    session: Session, name: str, subject: Any = None, *, actor_id: int | None = None, **data: Any
) -> Event:
    """Run every subscriber of ``name`` now, inside the caller's unit of work."""
    event = Event(name=name, subject=subject, actor_id=actor_id, data=data)
    for subscriber in subscribers(name):
        subscriber(session, event)
    return event


# --- typed events other domains subscribe to by name ---------------------------------------


@dataclass(frozen=True)
class PoolOpened:
    """A creator opened a demand pool (app.pools.services.open_pool), possibly from a
    demand-signal cluster: ``publish(session, PoolOpened.NAME, PoolOpened(...))``; subscribers
    (e.g. inviting the businesses of that cluster) read ``event.subject``."""

    NAME: ClassVar[str] = "demand_pool.opened"
    pool_id: int
    source_cluster: str | None
