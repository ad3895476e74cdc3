"""Contests: create, fund the prize up front (Stripe PaymentIntent -> contest escrow), take
entries until the deadline, pick finalists, then a winner (paid through the normal hold).

Services take a Session, flush, never commit; typed errors; the contest row is locked while it
moves (app.contests.states). Timers (app.contests.timers) close, refund and split.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.contests import CLOSE_TIMER, SETTLE_TIMER, escrow
from app.contests.models import Contest, ContestEntry, ContestState
from app.contests.states import CONTEST, lock_contest
from app.contests.timers import judging_ends
from app.db import MAX_ID
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.money import MoneyError, check_amount, check_currency
from app.offers.models import CATEGORIES
from app.payments import ledger, purchases
from app.payments.gateway import PaymentGateway
from app.payments.purchases import Landing, payment_intent_for
from app.settlement import escrow as sale_escrow

C = ContestState
MAX_DEADLINE_DAYS = 45  # deadline + judging + hold stay inside Stripe's ~90 day window
MAX_TEXT = 5000
MAX_TITLE = 120
JUDGING_DAYS = (1, 14)
MIN_PRIZE_MINOR = 100


@dataclass(frozen=True)
class ContestInput:
    title: str
    description: str
    category: str
    prize_minor: int
    currency: str
    deadline: datetime
    judging_days: int = 7


def _check(data: ContestInput) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip() or len(data.title) > 120:
        errors["title"] = ["Give a title of at most 120 characters."]
    if not data.description.strip() or len(data.description) > MAX_TEXT:
        errors["description"] = [f"Describe the brief in at most {MAX_TEXT} characters."]
    if data.category not in CATEGORIES:
        errors["category"] = ["Choose one of the catalog's categories."]
    try:
        check_amount(data.prize_minor, data.currency if isinstance(data.currency, str) else None)
        if data.prize_minor < MIN_PRIZE_MINOR:
            raise MoneyError("The prize must be at least 1.00.")
    except MoneyError as exc:
        errors["prize_minor"] = [str(exc)]
    try:
        check_currency(data.currency)
    except MoneyError as exc:
        errors["currency"] = [str(exc)]
    now = clock.now()
    if data.deadline.tzinfo is None or not (
        now + timedelta(hours=1) <= data.deadline <= now + timedelta(days=MAX_DEADLINE_DAYS)
    ):
        errors["deadline"] = [f"Set a deadline between 1 hour and {MAX_DEADLINE_DAYS} days ahead."]
    days = data.judging_days
    low, high = JUDGING_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        errors["judging_days"] = ["Judging lasts 1 to 14 days."]
    if errors:
        raise ValidationFailed(errors)


def create(session: Session, business: User, data: ContestInput) -> Contest:
    """A draft contest (not visible to creators until its prize is paid)."""
    if not business.is_business:
        raise PermissionDenied("Only business accounts can run contests.")
    _check(data)
    contest = Contest(
        business_id=business.id,
        title=data.title.strip(),
        description=data.description.strip(),
        category=data.category,
        prize_minor=data.prize_minor,
        currency=check_currency(data.currency),
        deadline=data.deadline,
        judging_days=data.judging_days,
    )
    session.add(contest)
    session.flush()
    CONTEST.record(
        session, contest, "created", actor_id=business.id, prize_minor=contest.prize_minor
    )
    return contest


def visible(session: Session, contest_id: int, user: User | None) -> Contest:
    """Funded contests are public; a draft only for its business. NotFound otherwise."""
    contest = session.get(Contest, contest_id) if 0 < contest_id <= MAX_ID else None
    if contest is None or (
        contest.state in (C.DRAFT, C.CANCELLED) and (user is None or user.id != contest.business_id)
    ):
        raise NotFound("No such contest.")
    return contest


def _own(session: Session, contest_id: int, business: User) -> Contest:
    contest = visible(session, contest_id, business)
    if contest.business_id != business.id:
        raise NotFound("No such contest.")
    return lock_contest(session, contest.id)


# --- funding -------------------------------------------------------------------------------


def fund(session: Session, gateway: PaymentGateway, contest_id: int, business: User) -> str:
    """Start (or resume) paying the prize; returns the PaymentIntent id. Raises NotFound,
    InvalidTransition (already funded), GatewayError."""
    contest = _own(session, contest_id, business)
    if contest.state is not C.DRAFT:
        raise InvalidTransition(f"This contest is already {contest.state.value}.")
    if contest.deadline <= clock.now() + timedelta(hours=1):
        raise ValidationFailed({"deadline": ["The deadline is too close; create a new contest."]})
    intent = payment_intent_for(
        session,
        gateway,
        contest,
        key=f"contest-{contest.id}",
        amount=contest.prize_minor,
        currency=contest.currency,
        transfer_group=f"contest-{contest.id}",
        metadata={"contest_id": str(contest.id), "business_id": str(business.id)},
        description=f"Contest {contest.id} prize: {contest.title}",
    )
    return intent.id


def _landing(contest: Contest) -> Landing:
    """Where the business pays this prize and lands once paid."""
    return Landing(
        kind="contest",
        buyer_id=contest.business_id,
        pay_url=url_for("contests.fund", contest_id=contest.id),
        done_url=url_for("contests.detail", contest_id=contest.id),
        paid_message="Prize paid: the contest is open for entries.",
    )


landing = purchases.locator(Contest, _landing)
paid_charges = purchases.paid_charges(Contest, Contest.funded_at)  # every funded prize's charge


def confirm_from_webhook(
    session: Session, gateway: PaymentGateway, payment_intent_id: str
) -> str | None:
    """Webhook entry (payments.webhooks): open the contest whose prize ``payment_intent_id``
    paid, if it is a contest's; Stripe.js payments are confirmed this way."""
    contest = purchases.by_payment_intent(session, Contest, payment_intent_id)
    if contest is None:
        return None
    opened = confirm_funding(session, gateway, contest.id, contest.business)
    return f"contest {opened.id} {opened.state}"


def confirm_funding(
    session: Session, gateway: PaymentGateway, contest_id: int, business: User
) -> Contest:
    """Open the contest once its PaymentIntent (re-fetched from Stripe) succeeded. Idempotent.

    Books customer_payments -> escrow:contest and schedules the close and settle timers.
    Raises NotFound, Conflict (amount mismatch, not paid yet).
    """
    contest = _own(session, contest_id, business)
    if contest.state is not C.DRAFT:
        return contest
    if contest.payment_intent_id is None:
        raise Conflict("Start the payment first.")
    intent = gateway.retrieve_payment_intent(contest.payment_intent_id)
    if intent.status != "succeeded":
        raise Conflict("The prize has not been paid yet.")
    if (intent.amount, intent.currency) != (contest.prize_minor, contest.currency):
        raise Conflict("The payment amount does not match the prize.")
    CONTEST.move(session, contest, "fund", actor_id=business.id, payment_intent=intent.id)
    contest.charge_id, contest.funded_minor = intent.charge_id, intent.amount
    contest.funded_at = clock.now()
    sale_escrow.book_charge(
        session,
        gateway,
        intent,
        account=ledger.escrow_contest(contest.id),
        key=f"contest-{contest.id}-fund",
        currency=contest.currency,
    )
    CLOSE_TIMER.set(session, contest.id, contest.deadline)
    SETTLE_TIMER.set(session, contest.id, judging_ends(contest))
    return contest


# --- entries, finalists, winner ------------------------------------------------------------


def enter(
    session: Session, contest_id: int, creator: User, *, text: str, file_name: str | None = None
) -> ContestEntry:
    """Submit an entry (one per creator) before the deadline. Raises NotFound,
    PermissionDenied, ValidationFailed, Conflict (closed, already entered)."""
    if not creator.is_creator:
        raise PermissionDenied("Only creators can enter contests.")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise ValidationFailed({"text": [f"Describe your entry in at most {MAX_TEXT} characters."]})
    if file_name is not None and (not file_name.strip() or len(file_name) > 255):
        raise ValidationFailed({"file": ["Give a file name of at most 255 characters."]})
    contest = visible(session, contest_id, creator)
    if contest.business_id == creator.id:
        raise PermissionDenied("You cannot enter your own contest.")
    contest = lock_contest(session, contest.id)
    if contest.state is not C.OPEN or contest.deadline <= clock.now():
        raise Conflict("This contest no longer takes entries.")
    if session.scalar(
        select(ContestEntry.id).where(
            ContestEntry.contest_id == contest.id, ContestEntry.creator_id == creator.id
        )
    ):
        raise Conflict("You have already entered this contest.")
    entry = ContestEntry(
        contest_id=contest.id, creator_id=creator.id, text=text.strip(), file_name=file_name
    )
    session.add(entry)
    session.flush()
    CONTEST.record(session, contest, "entered", actor_id=creator.id, entry_id=entry.id)
    return entry


def _entry(contest: Contest, entry_id: int) -> ContestEntry:
    entry = next((e for e in contest.entries if e.id == entry_id), None)
    if entry is None:
        raise ValidationFailed({"entry_id": ["No such entry in this contest."]})
    return entry


def pick_finalists(
    session: Session, contest_id: int, business: User, entry_ids: list[int]
) -> Contest:
    """Mark entries as finalists (open or judging). Raises NotFound, ValidationFailed,
    InvalidTransition."""
    contest = _own(session, contest_id, business)
    if contest.state not in (C.OPEN, C.JUDGING):
        raise InvalidTransition(f"Cannot pick finalists in a contest that is {contest.state}.")
    if not entry_ids:
        raise ValidationFailed({"entry_ids": ["Pick at least one entry."]})
    entries = [_entry(contest, ident) for ident in entry_ids]
    for entry in entries:
        entry.is_finalist = True
    CONTEST.record(
        session, contest, "finalists", actor_id=business.id, entry_ids=sorted(e.id for e in entries)
    )
    return contest


def pick_winner(session: Session, contest_id: int, business: User, entry_id: int) -> Contest:
    """After the deadline, the business picks the winner among the finalists: the whole prize
    is released to them (fee and hold from their reputation). Raises NotFound,
    ValidationFailed (not a finalist), InvalidTransition (not judging)."""
    contest = _own(session, contest_id, business)
    if contest.state is C.OPEN and contest.deadline <= clock.now():
        CONTEST.move(session, contest, "close", actor_id=None, entries=len(contest.entries))
    if contest.state is not C.JUDGING:
        raise InvalidTransition(
            "Pick the winner after the deadline, while the contest is judging."
            if contest.state is C.OPEN
            else f"This contest is {contest.state.value}."
        )
    entry = _entry(contest, entry_id)
    if not entry.is_finalist:
        raise ValidationFailed({"entry_id": ["Pick the winner among your finalists."]})
    CONTEST.move(session, contest, "award", actor_id=business.id, entry_id=entry.id)
    escrow.award(session, contest, entry, contest.prize_minor)
    return contest
