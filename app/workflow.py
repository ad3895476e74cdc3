"""The workflow kernel: row locks taken in one order, and one shape for every state machine.

Lock order
----------
Every path that changes state locks rows with ``lock()``, and ``lock()`` takes them in one
order for the whole app: parent before child, and rows of one table in ascending id order.
Models name their parent with ``__lock_parent__ = ("contract_id", "contracts")``; locking a
milestone therefore locks its contract first, locking a dispute locks contract -> milestone ->
dispute. Two transactions that touch the same contract queue on the contract row instead of
deadlocking on its children. ``LOCK_ORDER`` ranks the tables, parents first; a row locked
after a lower-ranked row of its own family (same root), or after a higher id of its own
table, raises ``LockOrderViolation`` under tests (and is logged in production), so a new
path that breaks the rule fails its first test.

State machines
--------------
``StateMachine(subject, States, {action: (sources, target)})`` is the only shape: ``move()``
checks the table (and the action's guard) before anything is written, sets the state, writes
exactly one row in the one audit table (``app.audit``) and publishes the domain event
``"<subject>.<action>"`` (``app.events``) inside the same unit of work.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from app import audit, events
from app.db import Base
from app.errors import InvalidTransition, NotFound

log = logging.getLogger(__name__)

# Parent before child. Tables not listed are never locked through ``lock()``.
LOCK_ORDER: tuple[str, ...] = (
    "users",  # a creator's row serialises royalty tiers; suspension
    "offers",
    "briefs",
    "proposals",
    "negotiations",
    "negotiation_rounds",
    "contests",
    "contest_entries",
    "contracts",
    "campaigns",
    "milestones",
    "disputes",
    "contest_awards",
    "demand_pools",  # a pool before its pledges (close, refunds), before their payouts
    "pool_pledges",
    "media_assets",
    "media_licenses",
    "chargebacks",  # a chargeback, after the sale it belongs to, before its payout
    "payouts",
    "connected_accounts",
    "content_reports",
)
_RANK = {table: rank for rank, table in enumerate(LOCK_ORDER)}
_HELD = "workflow_held_locks"

M = TypeVar("M", bound=Base)
S = TypeVar("S", bound=enum.StrEnum)


class LockOrderViolation(RuntimeError):
    """A row was locked after one of its children (a deadlock waiting to happen)."""


def lock(session: Session, model: type[M], ident: int, *, missing: str | None = None) -> M:
    """Lock ``model`` row ``ident`` (``SELECT ... FOR UPDATE``), its parents first; fresh state.

    Raises NotFound (``missing`` or "No such <table>.") when the row does not exist.
    """
    table = model.__tablename__
    root = _lock_parents(session, model, ident, missing)
    _check_order(session, table, ident, root or (table, ident))
    row = session.scalars(
        select(model)
        .where(getattr(model, "id") == ident)  # noqa: B009 - every lockable model has an id
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        raise NotFound(missing or f"No such {table.rstrip('s').replace('_', ' ')}.")
    return row


def lock_many(session: Session, model: type[M], idents: Iterable[int]) -> list[M]:
    """Lock several rows of one table in ascending id order."""
    return [lock(session, model, ident) for ident in sorted(set(idents))]


def _lock_parents(
    session: Session, model: type[Base], ident: int, missing: str | None
) -> tuple[str, int] | None:
    """Lock the parent chain of a row, top first; returns its root (table, id), or None."""
    parent = getattr(model, "__lock_parent__", None)
    if parent is None:
        return None
    column, parent_table = parent
    parent_id = session.scalar(
        select(getattr(model, column)).where(getattr(model, "id") == ident)  # noqa: B009
    )
    if parent_id is None:
        return None
    parent_model = _model_for(parent_table)
    lock(session, parent_model, parent_id, missing=missing)
    return _root_of(session, parent_table, parent_id)


def _root_of(session: Session, table: str, ident: int) -> tuple[str, int]:
    for _rank, held_table, held_id, root in session.info.get(_HELD, []):
        if (held_table, held_id) == (table, ident):
            return root
    return (table, ident)


def _model_for(table: str) -> type[Base]:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    raise LookupError(f"no model for table {table!r}")


def _check_order(session: Session, table: str, ident: int, root: tuple[str, int]) -> None:
    """Two rules, each enough to keep two transactions from waiting on each other: within one
    family (rows under the same root) parents come before children; rows of one table come in
    ascending id order."""
    rank = _RANK.get(table)
    if rank is None:
        raise LookupError(f"table {table!r} has no place in workflow.LOCK_ORDER")
    held: list[tuple[int, str, int, tuple[str, int]]] = session.info.setdefault(_HELD, [])
    if any((t, i) == (table, ident) for _r, t, i, _root in held):
        return
    later = [
        (t, i)
        for r, t, i, other_root in held
        if (other_root == root and r > rank) or (t == table and i > ident)
    ]
    held.append((rank, table, ident, root))
    if later:
        message = f"locked {table} {ident} after {later[-1][0]} {later[-1][1]}"
        if _strict():
            raise LockOrderViolation(message)
        log.error("lock order violation: %s", message)


def _strict() -> bool:
    return has_app_context() and bool(current_app.config.get("LOCK_ORDER_STRICT"))


# Locks are held until the outermost transaction ends. SQLAlchemy's after_commit and
# after_rollback also fire for SAVEPOINTs (``attempt()``, begin_nested()): releasing one keeps
# its locks in the enclosing transaction, and rolling back to one releases only the row locks
# taken since it began (PostgreSQL), i.e. the end of the held list from its mark on.
_MARKS = "workflow_savepoint_marks"
_COMMITTED = "workflow_transaction_committed"


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_HELD, []))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info[_COMMITTED] = True  # read by _release, which follows for the same transaction


@event.listens_for(Session, "after_transaction_end")
def _release(session: Session, transaction: SessionTransaction) -> None:
    committed = session.info.pop(_COMMITTED, False)
    if transaction.parent is None:
        session.info.pop(_HELD, None)
        session.info.pop(_MARKS, None)
        return
    mark = session.info.get(_MARKS, {}).pop(transaction, None)
    if transaction.nested and not committed and mark is not None:
        del session.info.get(_HELD, [])[mark:]


# --- state machines ---------------------------------------------------------------------------

Guard = Callable[[Any], None]


@dataclass(frozen=True)
class Transition(Generic[S]):
    sources: frozenset[S]
    target: S


MACHINES: dict[str, StateMachine[Any]] = {}


class StateMachine(Generic[S]):
    """One declarative transition table for ``subject`` objects' ``field``.

    ``table`` maps each action to (allowed source states, target state). ``guards`` maps an
    action to a callable that raises a DomainError when the move must not happen; it runs
    after the table check and before anything is written. ``refusal`` formats the message of
    InvalidTransition from {action}, {state} and {subject}.
    """

    def __init__(
        self,
        subject: str,
        states: type[S],
        table: Mapping[str, tuple[Iterable[S], S]],
        *,
        field: str = "state",
        guards: Mapping[str, Guard] | None = None,
        refusal: str = "Cannot {action} a {noun} that is {state}.",
        noun: str | None = None,
    ) -> None:
        self.subject = subject
        self.states = states
        self.field = field
        self.transitions = {
            action: Transition(frozenset(states(s) for s in sources), states(target))
            for action, (sources, target) in table.items()
        }
        self.guards = dict(guards or {})
        self.refusal = refusal
        self.noun = noun or subject.replace("_", " ")
        MACHINES[subject] = self

    def state_of(self, obj: Any) -> S:
        return self.states(getattr(obj, self.field))

    def allowed(self, action: str, state: S | str) -> bool:
        """Does the table allow ``action`` from ``state`` (guards not consulted)?"""
        found = self.transitions.get(action)
        return found is not None and self.states(state) in found.sources

    def can(self, obj: Any, action: str) -> bool:
        """Table and guard: would ``move(obj, action)`` succeed right now?"""
        if not self.allowed(action, self.state_of(obj)):
            return False
        guard = self.guards.get(action)
        if guard is None:
            return True
        try:
            guard(obj)
        except Exception:
            return False
        return True

    def target(self, action: str) -> S:
        return self.transitions[action].target

    def actions_from(self, state: S | str) -> list[str]:
        return [a for a, t in self.transitions.items() if self.states(state) in t.sources]

    def record(
        self, session: Session, obj: Any, verb: str, *, actor_id: int | None, **data: Any
    ) -> audit.AuditEvent:
        """Something happened to ``obj`` that does not change its state (it was created,
        edited, got evidence): one audit row and the domain event ``"<subject>.<verb>"``."""
        state = self.state_of(obj).value
        row = audit.record(
            session,
            f"{self.subject}.{verb}",
            (self.subject, obj.id),
            actor_id=actor_id,
            from_state=state,
            to_state=state,
            **data,
        )
        events.publish(session, f"{self.subject}.{verb}", obj, actor_id=actor_id, **data)
        return row

    def move_to(self, session: Session, obj: Any, target: S | str, *, actor_id: int | None) -> bool:
        """Move ``obj`` to ``target`` by the action that leads there from its current state
        (for callers that think in states, e.g. a button per next status)."""
        current, wanted = self.state_of(obj), self.states(target)
        for action, transition in self.transitions.items():
            if transition.target is wanted and current in transition.sources:
                return self.move(session, obj, action, actor_id=actor_id)
        raise InvalidTransition(
            self.refusal.format(
                action=f"become {wanted.value}",
                state=current.value.replace("_", " "),
                noun=self.noun,
                target=wanted.value.replace("_", " "),
            ),
            state=current.value,
        )

    def move(
        self,
        session: Session,
        obj: Any,
        action: str,
        *,
        actor_id: int | None,
        idempotent: bool = False,
        **data: Any,
    ) -> bool:
        """Move ``obj`` (locked by the caller) by ``action``; False for an idempotent no-op.

        Raises InvalidTransition (unknown action, or not allowed from the current state; with
        ``idempotent=True`` an object already in the target state is left alone) or whatever
        the action's guard raises. Nothing is written when it raises. Otherwise sets the
        state, writes one audit row and publishes ``"<subject>.<action>"``.
        """
        transition = self.transitions.get(action)
        if transition is None:
            raise InvalidTransition(f"Unknown {self.noun} action {action!r}.", action=action)
        current = self.state_of(obj)
        if current not in transition.sources:
            if idempotent and current is transition.target:
                return False
            raise InvalidTransition(
                self.refusal.format(
                    action=action.replace("_", " "),
                    state=current.value.replace("_", " "),
                    noun=self.noun,
                    target=transition.target.value.replace("_", " "),
                ),
                state=current.value,
                action=action,
            )
        guard = self.guards.get(action)
        if guard is not None:
            guard(obj)
        setattr(obj, self.field, transition.target)
        audit.record(
            session,
            f"{self.subject}.{action}",
            (self.subject, obj.id),
            actor_id=actor_id,
            from_state=current.value,
            to_state=transition.target.value,
            **data,
        )
        events.publish(
            session,
            f"{self.subject}.{action}",
            obj,
            actor_id=actor_id,
            from_state=current.value,
            to_state=transition.target.value,
            **data,
        )
        return True
