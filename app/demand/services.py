"""Expressing and withdrawing interest, and the interest vectors (stored off the request path).

An interest's text for the encoder has the shape of a brief's (``ml.text.query_text``): a
title (the skill, else the category), the business's words with the category, and the skill,
so an interest and a brief about the same thing land close together. Expressing an interest
schedules ``demand.encode_interest`` (one ``jobs.Timer``, as for brief vectors); the clusters
read only stored, current vectors and never encode on a page request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.accounts.models import User
from app.briefs.services import clean_text
from app.db import get_owned
from app.demand.models import Interest
from app.errors import Conflict, PermissionDenied, ValidationFailed
from app.matching.vectors import decode_vector, text_hash
from app.money import MoneyError, check_amount, check_currency
from app.offers.models import CATEGORIES
from ml.encoder import get_encoder
from ml.text import Query, query_text

JOB = "demand.encode_interest"
ENCODE_TIMER = jobs.Timer(JOB, "interest", "interest-{id}-vector-{digest}")
SKILL_LENGTH = (2, 80)
TEXT_LENGTH = (0, 500)
MAX_LIVE = 20  # live interests per business


@dataclass(frozen=True)
class InterestInput:
    category: str | None = None
    skill: str | None = None
    text: str = ""
    budget_min_minor: int | None = None
    budget_max_minor: int | None = None
    currency: str | None = None


def interest_text(interest: Interest) -> str:
    title = interest.skill or interest.category or ""
    category = f"Category: {interest.category}" if interest.category else ""
    words = " ".join(part for part in (interest.text, category) if part)
    skills = (interest.skill,) if interest.skill else ()
    return query_text(Query(title=title, description=words, skills=skills))


def _budget(
    data: InterestInput, errors: dict[str, list[str]]
) -> tuple[int | None, int | None, str | None]:
    given = (data.budget_min_minor, data.budget_max_minor)
    if given == (None, None):
        return None, None, None
    if None in given:
        errors["budget_max_minor" if given[1] is None else "budget_min_minor"] = [
            "Give both ends of the budget range, or neither."
        ]
        return None, None, None
    try:
        currency = check_currency(data.currency or "")
    except MoneyError as exc:
        errors["currency"] = [str(exc)]
        return None, None, None
    amounts = []
    for name, value in zip(("budget_min_minor", "budget_max_minor"), given, strict=True):
        try:
            amounts.append(check_amount(value, currency))  # type: ignore[arg-type]
        except MoneyError as exc:
            errors[name] = [str(exc)]
    if len(amounts) == 2 and amounts[0] > amounts[1]:
        errors["budget_max_minor"] = ["The maximum budget must not be below the minimum."]
    return (amounts[0], amounts[1], currency) if len(amounts) == 2 else (None, None, None)


def _validate(data: InterestInput) -> dict[str, object]:
    errors: dict[str, list[str]] = {}
    category = data.category or None
    if category is not None and category not in CATEGORIES:
        errors["category"] = ["Choose a category from the list."]
    skill = clean_text(data.skill, "skill", SKILL_LENGTH, errors) if data.skill else None
    if category is None and not skill and "skill" not in errors:
        errors["category"] = ["Choose a category, name a skill, or both."]
    text = clean_text(data.text or "", "text", TEXT_LENGTH, errors)
    low, high, currency = _budget(data, errors)
    if errors:
        raise ValidationFailed(errors)
    return {
        "category": category,
        "skill": skill.lower() if skill else None,
        "text": text,
        "budget_min_minor": low,
        "budget_max_minor": high,
        "currency": currency,
    }


def live_interests(session: Session, business_id: int) -> Sequence[Interest]:
    return session.scalars(
        select(Interest)
        .where(Interest.business_id == business_id, Interest.withdrawn_at.is_(None))
        .order_by(Interest.id.desc())
    ).all()


def express_interest(session: Session, business: User, data: InterestInput) -> Interest:
    """Record ``business``'s interest and schedule its vector.

    Raises PermissionDenied (not a business), ValidationFailed (field -> messages), Conflict
    (the same category and skill are already a live interest, or too many live interests).
    """
    if not business.is_business:
        raise PermissionDenied("Only business accounts can express interest.")
    values = _validate(data)
    live = live_interests(session, business.id)
    if any((i.category, i.skill) == (values["category"], values["skill"]) for i in live):
        raise Conflict("You already expressed this interest; withdraw it to change it.")
    if len(live) >= MAX_LIVE:
        raise Conflict(f"At most {MAX_LIVE} interests at a time; withdraw one first.")
    interest = Interest(business_id=business.id, **values)
    session.add(interest)
    session.flush()
    ENCODE_TIMER.set(session, interest.id, clock.now(), digest=text_hash(interest_text(interest)))
    return interest


def withdraw_interest(session: Session, business: User, interest_id: int) -> Interest:
    """Withdraw one of the business's interests (idempotent). Raises NotFound (not theirs)."""
    interest = get_owned(
        session,
        Interest,
        interest_id,
        business.id,
        owner="business_id",
        missing="No such interest.",
    )
    if interest.withdrawn_at is None:
        interest.withdrawn_at = clock.now()
    return interest


# --- vectors -------------------------------------------------------------------------------


def store_vector(session: Session, interest: Interest) -> bool:
    """Encode and store the interest's vector unless current; True if it wrote."""
    text = interest_text(interest)
    digest = text_hash(text)
    if interest.text_hash == digest and interest.vector is not None:
        return False
    vec = get_encoder().encode_one(text)
    interest.text_hash, interest.vector = digest, np.asarray(vec, dtype="<f4").tobytes()
    session.flush()
    return True


def current_vector(interest: Interest) -> np.ndarray | None:
    """The stored vector if it belongs to the interest's current text, else None."""
    if interest.vector is None or interest.text_hash != text_hash(interest_text(interest)):
        return None
    return decode_vector(interest.vector)


def run_encode_job(session: Session, job: jobs.Job, context: jobs.JobContext) -> str:
    """Job handler: store the interest's vector; a repeated or stale job is a no-op."""
    interest = session.get(Interest, job.subject_id)
    if interest is None or interest.withdrawn_at is not None:
        return "nothing to do"
    return "stored" if store_vector(session, interest) else "up to date"


def backfill(session: Session) -> int:
    """Store the vector of every live interest that has none or a stale one."""
    todo = [
        i
        for i in session.scalars(select(Interest).where(Interest.withdrawn_at.is_(None)))
        if current_vector(i) is None
    ]
    for interest in todo:
        store_vector(session, interest)
    return len(todo)
