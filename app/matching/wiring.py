"""Start-up registration of matchmaking with the kernel (called by create_app): the outcome
log of recommendations follows what businesses do, through domain events, so no domain
imports matchmaking to report a step."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import events, jobs
from app.accounts.models import User
from app.contracts.models import Contract
from app.matching import outcomes, vectors


def register() -> None:
    # A brief's vector is computed when its text may have changed, by the worker (off the
    # request path), and stored; the matches views only read it (app.matching.vectors).
    jobs.register(vectors.JOB, vectors.run_encode_job)
    for action in ("created", "updated", "publish"):
        events.subscribe(f"brief.{action}", vectors.on_brief_changed)
    events.subscribe("offer.viewed", on_offer_viewed)
    events.subscribe("profile.viewed", on_profile_viewed)
    events.subscribe("brief.creator_invited", on_invited)
    events.subscribe("proposal.submitted", on_proposed)
    events.subscribe("proposal.accept", on_hired)
    events.subscribe("review.submitted", on_reviewed)


def _business(session: Session, user_id: int | None) -> int | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.id if user is not None and user.is_business else None


def on_offer_viewed(session: Session, event: events.Event) -> None:
    if (business := _business(session, event.actor_id)) is not None:
        outcomes.creator_viewed(session, business, event.subject.creator_id)


def on_profile_viewed(session: Session, event: events.Event) -> None:
    if (business := _business(session, event.actor_id)) is not None:
        outcomes.creator_viewed(session, business, event.subject.id)


def on_invited(session: Session, event: events.Event) -> None:
    outcomes.creator_invited(session, event.subject.id, int(event.data["creator_id"]))


def on_proposed(session: Session, event: events.Event) -> None:
    outcomes.creator_proposed(session, event.subject.brief_id, event.subject.creator_id)


def on_hired(session: Session, event: events.Event) -> None:
    outcomes.creator_hired(session, event.subject.brief_id, event.subject.creator_id)


def on_reviewed(session: Session, event: events.Event) -> None:
    """Only the business's review of the creator says how the hire went."""
    review = event.subject
    contract = session.get(Contract, review.contract_id)
    if contract is None or contract.brief_id is None or review.reviewer_id != contract.business_id:
        return
    outcomes.creator_reviewed(session, contract.brief_id, contract.creator_id, review.rating)
