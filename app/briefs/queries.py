"""Read-only queries: the public board of open briefs, and each user's own lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, joinedload, load_only

from app.accounts.models import User
from app.briefs.models import Brief, BriefInvitation, BriefStatus, Proposal, Visibility
from app.briefs.services import is_storable
from app.db import ResultPage
from app.errors import ValidationFailed
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES, OfferKind

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# Deeper pages are useless and an unbounded OFFSET overflows the databases' integers.
MAX_PAGE = 10_000


@dataclass(frozen=True)
class BoardFilters:
    category: str | None = None
    kind: str | None = None
    budget_min_minor: int | None = None
    budget_max_minor: int | None = None
    currency: str | None = None
    q: str | None = None

    def check(self) -> None:
        """Raises ValidationFailed for values no brief could match or the database refuses."""
        errors: dict[str, list[str]] = {}
        if self.category is not None and self.category not in CATEGORIES:
            errors["category"] = ["Unknown category."]
        if self.kind is not None and self.kind not in {k.value for k in OfferKind}:
            errors["kind"] = [f"Use one of: {', '.join(k.value for k in OfferKind)}."]
        if self.currency is not None and self.currency not in SUPPORTED_CURRENCIES:
            errors["currency"] = [f"Use one of: {', '.join(SUPPORTED_CURRENCIES)}."]
        for name in ("budget_min_minor", "budget_max_minor"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_AMOUNT_MINOR:
                errors[name] = [f"Use a whole number of cents from 0 to {MAX_AMOUNT_MINOR}."]
        if self.q is not None and (len(self.q) > MAX_QUERY_LENGTH or not is_storable(self.q)):
            errors["q"] = [f"Search for at most {MAX_QUERY_LENGTH} plain characters."]
        if errors:
            raise ValidationFailed(errors)


def _wants_kind(session: Session, kind: str) -> Any:
    """``offer_kinds`` (a JSON list) contains ``kind``, in each backend's own JSON dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(Brief.offer_kinds, JSONB).contains([kind])
    element = func.json_each(Brief.offer_kinds).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value == kind))


def _matches_terms(query: str) -> Any:
    """Every word appears in the title, description or skills (case-insensitive LIKE)."""
    conditions = []
    for term in query.split()[:MAX_TERMS]:
        conditions.append(
            or_(
                Brief.title.icontains(term, autoescape=True),
                Brief.description.icontains(term, autoescape=True),
                cast(Brief.skills, String).icontains(term, autoescape=True),
            )
        )
    return conditions


# What a brief card (templates/briefs/_card.html) shows: the board page loads only these.
CARD_COLUMNS = (
    Brief.id,
    Brief.category,
    Brief.status,
    Brief.title,
    Brief.budget_min_minor,
    Brief.budget_max_minor,
    Brief.currency,
    Brief.deadline,
    Brief.offer_kinds,
    Brief.skills,
    Brief.published_at,
)


def board(
    session: Session, filters: BoardFilters, *, page: int, per_page: int, cards: bool = False
) -> ResultPage:
    """Public open briefs matching ``filters``, newest first. Raises ValidationFailed.

    ``cards``: load only what a card shows (the board page), not the whole brief and owner.
    """
    filters.check()
    if not 1 <= page <= MAX_PAGE:
        raise ValidationFailed({"page": [f"Use a page from 1 to {MAX_PAGE}."]})
    conditions: list[Any] = [
        Brief.status == BriefStatus.OPEN,
        Brief.visibility == Visibility.PUBLIC,
        Brief.hidden_at.is_(None),
    ]
    if filters.category:
        conditions.append(Brief.category == filters.category)
    if filters.kind:
        conditions.append(_wants_kind(session, filters.kind))
    if filters.currency:
        conditions.append(Brief.currency == filters.currency)
    # Budget filters select briefs whose budget range overlaps the requested one.
    if filters.budget_min_minor is not None:
        conditions.append(Brief.budget_max_minor >= filters.budget_min_minor)
    if filters.budget_max_minor is not None:
        conditions.append(Brief.budget_min_minor <= filters.budget_max_minor)
    if filters.q and filters.q.strip():
        conditions.extend(_matches_terms(filters.q))
    total = session.scalar(select(func.count()).select_from(Brief).where(*conditions)) or 0
    # Columns only for cards (no raiseload: see app.offers.catalog.card_loading).
    loading = [load_only(*CARD_COLUMNS)] if cards else [joinedload(Brief.business)]
    items = session.scalars(
        select(Brief)
        .where(*conditions)
        .options(*loading)
        .order_by(Brief.published_at.desc(), Brief.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return ResultPage(items=items, total=total, page=page, per_page=per_page)


def briefs_of(session: Session, business: User) -> Sequence[Brief]:
    return session.scalars(
        select(Brief).where(Brief.business_id == business.id).order_by(Brief.id.desc())
    ).all()


def proposal_counts(session: Session, briefs: Sequence[Brief]) -> dict[int, int]:
    if not briefs:
        return {}
    rows = session.execute(
        select(Proposal.brief_id, func.count())
        .where(Proposal.brief_id.in_([brief.id for brief in briefs]))
        .group_by(Proposal.brief_id)
    ).all()
    return {brief_id: count for brief_id, count in rows}


def proposals_of(session: Session, creator: User) -> Sequence[Proposal]:
    return session.scalars(
        select(Proposal)
        .where(Proposal.creator_id == creator.id)
        .options(joinedload(Proposal.brief))
        .order_by(Proposal.id.desc())
    ).all()


def invitations_of(session: Session, creator: User) -> Sequence[BriefInvitation]:
    """Invitations to briefs the creator can act on or follow (drafts stay hidden)."""
    return session.scalars(
        select(BriefInvitation)
        .join(Brief, Brief.id == BriefInvitation.brief_id)
        .where(BriefInvitation.creator_id == creator.id, Brief.status != BriefStatus.DRAFT)
        .options(joinedload(BriefInvitation.brief))
        .order_by(BriefInvitation.id.desc())
    ).all()
