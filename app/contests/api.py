"""JSON API for contests (registered on app.api.bp), each operation declared once.

Funded contests are public to signed-in users; drafts only to their business (404 otherwise).
Entries are shown to the business and to each entry's own creator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import Field
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Role, User
from app.api import api_user, bp, schema
from app.api.schema import Id, In, Int, Moment, NoFields, Out, Text, operation
from app.contests import services
from app.contests.models import AwardState, Contest, ContestState
from app.contests.services import JUDGING_DAYS, MAX_TEXT, MAX_TITLE, MIN_PRIZE_MINOR
from app.contests.timers import judging_ends
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES
from app.payments.gateway import gateway_for


class ContestIn(In):
    title: Annotated[Text, Field(min_length=1, max_length=MAX_TITLE)]
    description: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT)]
    category: Literal[tuple(CATEGORIES)]
    prize_minor: Annotated[Int, Field(ge=MIN_PRIZE_MINOR, le=MAX_AMOUNT_MINOR)]
    currency: Literal[SUPPORTED_CURRENCIES]
    deadline: Moment
    judging_days: Annotated[Int, Field(ge=JUDGING_DAYS[0], le=JUDGING_DAYS[1])] = 7


class EntryIn(In):
    text: Annotated[Text, Field(min_length=1, max_length=MAX_TEXT)]
    file: Annotated[Text, Field(min_length=1, max_length=255)] = Field(  # type: ignore[assignment]
        default=None, description="A file uploaded on the web page."
    )


class FinalistsIn(In):
    entry_ids: Annotated[list[Id], Field(min_length=1, max_length=200)]


class WinnerIn(In):
    entry_id: Id


class Entry(Out):
    id: int
    creator_id: int
    text: str
    file: str | None
    is_finalist: bool
    created_at: datetime


class Award(Out):
    creator_id: int
    amount_minor: int
    fee_minor: int
    state: Literal[tuple(s.value for s in AwardState)]
    clears_at: datetime


class ContestOut(Out):
    """A contest; ``entries`` and ``awards`` list all of them for its business, and only the
    caller's own for a creator."""

    id: int
    business_id: int
    title: str
    description: str
    category: str
    prize_minor: int
    currency: str
    deadline: datetime
    judging_ends_at: datetime
    state: Literal[tuple(s.value for s in ContestState)]
    entry_count: int
    entries: list[Entry]
    awards: list[Award]
    payment_intent_id: str | None
    charge_id: str | None


class ContestFunding(ContestOut):
    """The contest after the call: ``client_secret`` confirms its PaymentIntent with Stripe.js
    (then POST /payments/{payment_intent_id}/sync, or wait for the webhook)."""

    client_secret: str | None
    publishable_key: str | None


class ContestList(Out):
    items: list[ContestOut]


PROBLEMS = {
    403: "Wrong role, or not the contest's business / an eligible creator",
    404: "No such contest, or not visible to the caller",
    409: "Not possible in the contest's state",
}
PAYMENT = schema.GATEWAY_PROBLEM


def contest_json(contest: Contest, user: User) -> dict[str, Any]:
    owner = user.id == contest.business_id
    return {
        "id": contest.id,
        "business_id": contest.business_id,
        "title": contest.title,
        "description": contest.description,
        "category": contest.category,
        "prize_minor": contest.prize_minor,
        "currency": contest.currency,
        "deadline": contest.deadline.isoformat(),
        "judging_ends_at": judging_ends(contest).isoformat(),
        "payment_intent_id": contest.payment_intent_id,
        "charge_id": contest.charge_id,
        "state": contest.state.value,
        "entry_count": len(contest.entries),
        "entries": [
            {
                "id": e.id,
                "creator_id": e.creator_id,
                "text": e.text,
                "file": e.file_name,
                "is_finalist": e.is_finalist,
                "created_at": e.created_at.isoformat(),
            }
            for e in contest.entries
            if owner or e.creator_id == user.id
        ],
        "awards": [
            {
                "creator_id": a.creator_id,
                "amount_minor": a.amount_minor,
                "fee_minor": a.fee_minor,
                "state": a.state.value,
                "clears_at": a.clears_at.isoformat(),
            }
            for a in contest.awards
            if owner or a.creator_id == user.id
        ],
    }


def _judge(
    contest_id: int, pick: Callable[[Session, int, User, Any], Contest], picked: Any
) -> dict[str, Any]:
    """The contest's business picks entries (``pick``: finalists or the winner); the contest
    must be visible to it first (404)."""
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    return contest_json(pick(db.session(), contest_id, user, picked), user)


@bp.post("/contests")
@operation(
    tag="contests",
    body=ContestIn,
    created=ContestOut,
    role=Role.BUSINESS,
    links={"get_contest": "contest_id", "fund_contest": "contest_id"},
)
def create_contest(body: ContestIn) -> tuple[Any, int, dict[str, str]]:
    """Create a draft contest with its prize (business)"""
    user = api_user(Role.BUSINESS)
    contest = services.create(db.session(), user, services.ContestInput(**body.model_dump()))
    return contest_json(contest, user), 201, {"Location": f"/api/v1/contests/{contest.id}"}


@bp.get("/contests")
@operation(tag="contests", ok=ContestList)
def list_contests() -> dict[str, Any]:
    """Funded contests, and your own drafts (newest first, up to 100)"""
    user = api_user()
    contests = db.session.scalars(
        select(Contest)
        .where(
            or_(
                Contest.business_id == user.id,
                Contest.state.not_in([ContestState.DRAFT, ContestState.CANCELLED]),
            )
        )
        .order_by(Contest.id.desc())
        .limit(100)
    )
    return {"items": [contest_json(c, user) for c in contests]}


@bp.get("/contests/<int:contest_id>")
@operation(tag="contests", ok=ContestOut, problems=PROBLEMS)
def get_contest(contest_id: int) -> dict[str, Any]:
    """One contest"""
    user = api_user()
    return contest_json(services.visible(db.session(), contest_id, user), user)


@bp.post("/contests/<int:contest_id>/fund")
@schema.payment_operation(tag="contests", ok=ContestFunding, problems=PROBLEMS)
def fund_contest(contest_id: int, body: NoFields) -> dict[str, Any]:
    """Pay the prize into escrow (business): returns the contest with the PaymentIntent's
    client secret and the publishable key, to confirm with Stripe.js (the same PaymentIntent
    on every call)"""
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    session, gateway = db.session(), gateway_for(current_app)
    intent_id = services.fund(session, gateway, contest_id, user)
    intent = gateway.retrieve_payment_intent(intent_id)
    contest = services.visible(session, contest_id, user)
    return {
        **contest_json(contest, user),
        "payment_intent_id": intent.id,
        "client_secret": intent.client_secret,
        "publishable_key": gateway.publishable_key,
    }


@bp.post("/contests/<int:contest_id>/confirm-funding")
@operation(tag="contests", ok=ContestOut, role=Role.BUSINESS, problems={**PROBLEMS, **PAYMENT})
def confirm_contest_funding(contest_id: int) -> dict[str, Any]:
    """Check the PaymentIntent with Stripe and open the contest once it succeeded"""
    user = api_user(Role.BUSINESS)
    services.visible(db.session(), contest_id, user)
    contest = services.confirm_funding(db.session(), gateway_for(current_app), contest_id, user)
    return contest_json(contest, user)


@bp.post("/contests/<int:contest_id>/entries")
@operation(tag="contests", body=EntryIn, created=ContestOut, role=Role.CREATOR, problems=PROBLEMS)
def enter_contest(contest_id: int, body: EntryIn) -> tuple[Any, int, dict[str, str]]:
    """Enter an open contest (creator)"""
    user = api_user(Role.CREATOR)
    services.visible(db.session(), contest_id, user)
    entry = services.enter(db.session(), contest_id, user, text=body.text, file_name=body.file)
    return contest_json(entry.contest, user), 201, {"Location": f"/api/v1/contests/{contest_id}"}


@bp.post("/contests/<int:contest_id>/finalists")
@operation(tag="contests", body=FinalistsIn, ok=ContestOut, role=Role.BUSINESS, problems=PROBLEMS)
def pick_contest_finalists(contest_id: int, body: FinalistsIn) -> dict[str, Any]:
    """Pick the finalists among the entries (business)"""
    return _judge(contest_id, services.pick_finalists, body.entry_ids)


@bp.post("/contests/<int:contest_id>/winner")
@operation(tag="contests", body=WinnerIn, ok=ContestOut, role=Role.BUSINESS, problems=PROBLEMS)
def pick_contest_winner(contest_id: int, body: WinnerIn) -> dict[str, Any]:
    """Pick the winner: the prize goes to their creator through the hold (business)"""
    return _judge(contest_id, services.pick_winner, body.entry_id)
