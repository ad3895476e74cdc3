"""Milestones of a contract: the default single milestone, and splitting before funding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, events
from app.accounts.models import User
from app.contracts.models import Contract, ContractStatus
from app.contracts.states import CONTRACT
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount
from app.payments.models import Milestone, MilestoneState
from app.payments.settings import setting
from app.payments.states import SETTLED
from app.workflow import lock, lock_many

MAX_MILESTONES = 20


@dataclass(frozen=True)
class MilestonePlan:
    title: str
    amount_minor: int
    due_date: date | None = None


def create_for_contract(session: Session, contract: Contract) -> Milestone:
    """One pending milestone for the whole contract (called when a contract is created)."""
    milestone = Milestone(
        contract_id=contract.id,
        position=1,
        title=contract.title[:120],
        amount_minor=check_amount(contract.total_minor, contract.currency),
        currency=contract.currency,  # checked when funding (typed error there)
        due_date=(clock.now() + timedelta(days=contract.delivery_days)).date(),
        max_revisions=int(setting("PAYMENTS_MAX_REVISIONS")),
    )
    session.add(milestone)
    session.flush()
    return milestone


def milestones_of(session: Session, contract_id: int) -> list[Milestone]:
    return list(
        session.scalars(
            select(Milestone)
            .where(Milestone.contract_id == contract_id)
            .order_by(Milestone.position)
        )
    )


def _validate_plans(plans: Sequence[MilestonePlan], contract: Contract) -> None:
    errors: dict[str, list[str]] = {}
    if not plans or len(plans) > MAX_MILESTONES:
        errors["milestones"] = [f"Use between 1 and {MAX_MILESTONES} milestones."]
    for index, plan in enumerate(plans):
        if not plan.title.strip() or len(plan.title) > 120:
            errors.setdefault(f"milestones.{index}.title", []).append("Give a short title.")
        try:
            check_amount(plan.amount_minor, contract.currency)
        except MoneyError as exc:
            errors.setdefault(f"milestones.{index}.amount", []).append(str(exc))
    if not errors and sum(p.amount_minor for p in plans) != contract.total_minor:
        errors["milestones"] = ["The milestone amounts must add up to the contract total."]
    if errors:
        raise ValidationFailed(errors)


def split(
    session: Session, contract_id: int, plans: Sequence[MilestonePlan], *, actor: User
) -> list[Milestone]:
    """Replace a contract's milestones by ``plans`` (same total), before anything is funded.

    Raises NotFound, PermissionDenied (not a party), ValidationFailed (bad titles/amounts or
    a total that differs), Conflict (a milestone was already funded or has a payment started).
    """
    contract = lock(session, Contract, contract_id, missing="No such contract.")
    if actor.id not in (contract.business_id, contract.creator_id):
        raise PermissionDenied("Only the parties of a contract can change its milestones.")
    if contract.status != ContractStatus.ACTIVE:
        raise Conflict("This contract is no longer active.")
    _validate_plans(plans, contract)
    # Every milestone is locked (after the contract): a payment started in another tab either
    # committed before (its PaymentIntent is seen here) or waits for this split to finish.
    existing = lock_many(session, Milestone, [m.id for m in milestones_of(session, contract.id)])
    for milestone in existing:
        if milestone.state != MilestoneState.PENDING or milestone.payment_intent_id:
            raise Conflict("Milestones can only be split before any payment is started.")
    for milestone in existing:
        session.delete(milestone)
    session.flush()
    created = [
        Milestone(
            contract_id=contract.id,
            position=index,
            title=plan.title.strip(),
            amount_minor=plan.amount_minor,
            currency=contract.currency,
            due_date=plan.due_date,
            max_revisions=int(setting("PAYMENTS_MAX_REVISIONS")),
        )
        for index, plan in enumerate(plans, start=1)
    ]
    session.add_all(created)
    session.flush()
    CONTRACT.record(
        session,
        contract,
        "milestones_split",
        actor_id=actor.id,
        amounts=[p.amount_minor for p in plans],
    )
    return created


def complete_contract_when_settled(session: Session, event: events.Event) -> None:
    """Subscriber of the milestone moves after which no money moves any more: once every
    milestone of the contract is settled, the contract completes (or, when every one was
    cancelled, is cancelled). The contract is locked already (milestones lock it first)."""
    milestone: Milestone = event.subject
    contract = milestone.contract
    if contract.status is not ContractStatus.ACTIVE:
        return
    states = {MilestoneState(m.state) for m in milestones_of(session, contract.id)}
    if not states or not states <= set(SETTLED):
        return
    action = "cancel" if states == {MilestoneState.CANCELLED} else "complete"
    CONTRACT.move(session, contract, action, actor_id=event.actor_id, milestone_id=milestone.id)
