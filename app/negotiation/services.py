"""Name-your-price: a business proposes its own price and terms on a published offer; the two
sides accept, decline or counter in turns until one round is accepted (-> a contract), declined,
or left to expire.

Two explicit transition tables (rounds, negotiations); every move writes an audit row. Each
round expires after ``NEGOTIATION_ROUND_HOURS`` (default 72 h): answering is refused from that
moment (checked with clock.now() at answer time), and a durable timer marks it expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.contracts import services as contracts
from app.contracts.models import Contract
from app.db import MAX_ID
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount
from app.negotiation import EXPIRE_TIMER
from app.negotiation.models import (
    Negotiation,
    NegotiationRound,
    NegotiationState,
    RoundStatus,
    Side,
)
from app.offers.models import Offer
from app.offers.services import is_listed
from app.workflow import StateMachine, lock

DEFAULT_ROUND_HOURS = 72
MAX_TERMS = 5000
R, N = RoundStatus, NegotiationState

ROUND = StateMachine(
    "negotiation_round",
    R,
    {
        "accept": ({R.PENDING}, R.ACCEPTED),
        "decline": ({R.PENDING}, R.DECLINED),
        "counter": ({R.PENDING}, R.COUNTERED),
        "expire": ({R.PENDING}, R.EXPIRED),
    },
    field="status",
    refusal="This offer is already {state}.",
)
NEGOTIATION = StateMachine(
    "negotiation",
    N,
    {
        "accept": ({N.OPEN}, N.ACCEPTED),
        "decline": ({N.OPEN}, N.DECLINED),
        "expire": ({N.OPEN}, N.EXPIRED),
    },
    refusal="This negotiation is already {state}.",
)


class OfferExpired(Conflict):
    code = "offer_expired"


@dataclass(frozen=True)
class TermsInput:
    price_minor: int
    delivery_days: int
    terms: str = ""

    def check(self) -> TermsInput:
        errors: dict[str, list[str]] = {}
        try:
            check_amount(self.price_minor)
        except MoneyError as exc:
            errors["price_minor"] = [str(exc)]
        days = self.delivery_days
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            errors["delivery_days"] = ["Use a whole number of days from 1 to 365."]
        if not isinstance(self.terms, str) or len(self.terms) > MAX_TERMS:
            errors["terms"] = [f"At most {MAX_TERMS} characters."]
        if errors:
            raise ValidationFailed(errors)
        return self


def round_window() -> timedelta:
    hours = DEFAULT_ROUND_HOURS
    if has_app_context():
        hours = int(current_app.config.get("NEGOTIATION_ROUND_HOURS", DEFAULT_ROUND_HOURS))
    return timedelta(hours=max(1, hours))


def latest(negotiation: Negotiation) -> NegotiationRound:
    return max(negotiation.rounds, key=lambda r: r.number)


def side_of(negotiation: Negotiation, user: User) -> Side | None:
    if user.id == negotiation.business_id:
        return Side.BUSINESS
    if user.id == negotiation.creator_id:
        return Side.CREATOR
    return None


# --- transitions ---------------------------------------------------------------------------


def _move_round(session: Session, rnd: NegotiationRound, action: str, actor_id: int | None) -> None:
    ROUND.move(session, rnd, action, actor_id=actor_id, negotiation_id=rnd.negotiation_id)
    rnd.answered_at = clock.now()


def _add_round(
    session: Session, negotiation: Negotiation, side: Side, author: User, terms: TermsInput
) -> NegotiationRound:
    now = clock.now()
    number = max((r.number for r in negotiation.rounds), default=0) + 1
    rnd = NegotiationRound(
        negotiation_id=negotiation.id,
        number=number,
        side=side,
        author_id=author.id,
        price_minor=terms.price_minor,
        currency=negotiation.offer.currency,
        delivery_days=terms.delivery_days,
        terms=terms.terms.strip(),
        created_at=now,
        expires_at=now + round_window(),
    )
    session.add(rnd)
    session.flush()
    negotiation.rounds.append(rnd)
    EXPIRE_TIMER.set(session, rnd.id, rnd.expires_at)
    ROUND.record(
        session,
        rnd,
        "proposed",
        actor_id=author.id,
        negotiation_id=negotiation.id,
        side=side.value,
        price_minor=rnd.price_minor,
        delivery_days=rnd.delivery_days,
    )
    return rnd


# --- services ------------------------------------------------------------------------------


def propose(session: Session, offer: Offer, business: User, terms: TermsInput) -> Negotiation:
    """Open a negotiation: the business's own price and terms on a published offer.

    Raises PermissionDenied (not a business, own offer), NotFound (offer not listed),
    ValidationFailed (terms), Conflict (this business already negotiates on this offer).
    """
    terms.check()
    if not business.is_business:
        raise PermissionDenied("Only business accounts can make an offer.")
    if not is_listed(offer):
        raise NotFound("No such offer.")
    if offer.creator_id == business.id:
        raise PermissionDenied("You cannot negotiate on your own offer.")
    existing = session.scalar(
        select(Negotiation.id).where(
            Negotiation.offer_id == offer.id,
            Negotiation.business_id == business.id,
            Negotiation.state == N.OPEN,
        )
    )
    if existing is not None:
        raise Conflict("You already have an open negotiation on this offer.", negotiation=existing)
    negotiation = Negotiation(
        offer_id=offer.id, business_id=business.id, creator_id=offer.creator_id
    )
    session.add(negotiation)
    session.flush()
    NEGOTIATION.record(session, negotiation, "opened", actor_id=business.id, offer_id=offer.id)
    _add_round(session, negotiation, Side.BUSINESS, business, terms)
    return negotiation


def lock_negotiation(session: Session, negotiation_id: int) -> Negotiation:
    return lock(session, Negotiation, negotiation_id, missing="No such negotiation.")


def visible(session: Session, negotiation_id: int, user: User) -> Negotiation:
    """The negotiation if ``user`` is one of its two parties; NotFound for anyone else."""
    found = session.get(Negotiation, negotiation_id) if 0 < negotiation_id <= MAX_ID else None
    if found is None or side_of(found, user) is None:
        raise NotFound("No such negotiation.")
    return found


def respond(
    session: Session,
    negotiation_id: int,
    user: User,
    action: str,
    terms: TermsInput | None = None,
) -> Negotiation:
    """Accept, decline or counter the pending round (only the side that did not write it).

    Raises NotFound (not a party), PermissionDenied (answering one's own offer),
    InvalidTransition (nothing pending), OfferExpired (the round's time is up), ValidationFailed
    (counter terms). Accepting creates the contract (with its pending milestone).
    """
    if action not in ("accept", "decline", "counter"):
        raise ValidationFailed({"action": ["Use accept, decline or counter."]})
    if action == "counter":
        if terms is None:
            raise ValidationFailed({"price_minor": ["A counter-offer needs a price."]})
        terms.check()
    visible(session, negotiation_id, user)
    negotiation = lock_negotiation(session, negotiation_id)
    side = side_of(negotiation, user)
    assert side is not None
    if negotiation.state is not N.OPEN:
        raise InvalidTransition(f"This negotiation is {negotiation.state.value}.")
    rnd = latest(negotiation)
    if rnd.side is side:
        raise PermissionDenied("Wait for the other side to answer your offer.")
    if rnd.status is R.PENDING and rnd.expires_at <= clock.now():
        raise OfferExpired("This offer has expired and can no longer be answered.")
    _move_round(session, rnd, action, user.id)
    if action == "counter":
        assert terms is not None
        _add_round(session, negotiation, side, user, terms)
    elif action == "decline":
        NEGOTIATION.move(session, negotiation, "decline", actor_id=user.id)
    else:
        NEGOTIATION.move(session, negotiation, "accept", actor_id=user.id)
        negotiation.contract_id = _contract(session, negotiation, rnd).id
    session.flush()
    return negotiation


def _contract(session: Session, negotiation: Negotiation, rnd: NegotiationRound) -> Contract:
    offer = negotiation.offer
    business = session.get(User, negotiation.business_id)
    assert business is not None
    return contracts.create_from_terms(
        session,
        offer,
        business=business,
        title=f"{offer.title} (negotiated)",
        scope=rnd.terms or offer.description,
        total_minor=rnd.price_minor,
        delivery_days=rnd.delivery_days,
        origin={"negotiation_id": negotiation.id, "round": rnd.number},
    )


def expire_round(session: Session, round_id: int) -> bool:
    """Mark a pending round whose time is up as expired (and its negotiation); False if not."""
    rnd = session.get(NegotiationRound, round_id)
    if rnd is None:
        return False
    negotiation = lock_negotiation(session, rnd.negotiation_id)
    session.refresh(rnd)
    if rnd.status is not R.PENDING or rnd.expires_at > clock.now():
        return False
    _move_round(session, rnd, "expire", None)
    NEGOTIATION.move(session, negotiation, "expire", actor_id=None)
    return True


def run_expire_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    return "expired" if expire_round(session, job.subject_id) else "nothing to do"


def mine(session: Session, user: User) -> list[Negotiation]:
    from sqlalchemy import or_

    return list(
        session.scalars(
            select(Negotiation)
            .where(or_(Negotiation.business_id == user.id, Negotiation.creator_id == user.id))
            .order_by(Negotiation.id.desc())
            .limit(200)
        )
    )


def as_dict(negotiation: Negotiation, user: User) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": negotiation.id,
        "offer_id": negotiation.offer_id,
        "business_id": negotiation.business_id,
        "creator_id": negotiation.creator_id,
        "state": negotiation.state.value,
        "contract_id": negotiation.contract_id,
        "role": (side_of(negotiation, user) or Side.BUSINESS).value,
        "rounds": [
            {
                "number": r.number,
                "side": r.side.value,
                "price_minor": r.price_minor,
                "currency": r.currency,
                "delivery_days": r.delivery_days,
                "terms": r.terms,
                "status": r.status.value,
                "expires_at": r.expires_at.isoformat(),
                "expired": r.status is R.EXPIRED or (r.status is R.PENDING and r.expires_at <= now),
                "created_at": r.created_at.isoformat(),
            }
            for r in sorted(negotiation.rounds, key=lambda r: r.number)
        ],
    }
