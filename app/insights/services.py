"""Demand insights: what businesses ask for (briefs by category and skill over time, budget
ranges) and how the creator's own offers fare (viewed, shortlisted, hired).

Views are counted per offer detail page view (HTML or API), excluding the offer's creator and
clients whose User-Agent looks like a bot. "Shortlisted" counts the creator's proposals that a
business shortlisted (from the proposal audit trail, so later acceptance still counts); "hired"
counts the creator's contracts (per offer for contracts made from an offer).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock, events
from app.accounts.models import User
from app.audit import AuditEvent
from app.briefs.models import Brief, BriefStatus, Proposal, Visibility
from app.contracts.models import Contract
from app.insights.models import OfferView
from app.offers.models import Offer, OfferStatus

BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|curl|wget|python-|httpclient|headless|scrapy|monitor|preview"
    r"|facebookexternalhit|embedly|lighthouse|pingdom",
    re.IGNORECASE,
)
# Budget buckets in major units (upper bounds); the last bucket is open-ended.
BUDGET_BOUNDS = (100, 250, 500, 1_000, 2_500)
TOP_CATEGORIES = 5
TOP_SKILLS = 10


def is_bot(user_agent: str | None) -> bool:
    """No User-Agent, or one that names a crawler, preview fetcher or HTTP library."""
    return not user_agent or bool(BOT_PATTERN.search(user_agent))


def record_view(
    session: Session, offer: Offer, viewer: User | None, user_agent: str | None
) -> OfferView | None:
    """Count one detail view of ``offer``; None when it is the owner's own view or a bot."""
    if is_bot(user_agent) or (viewer is not None and viewer.id == offer.creator_id):
        return None
    view = OfferView(offer_id=offer.id, viewer_id=viewer.id if viewer else None)
    session.add(view)
    if viewer is not None:
        events.publish(session, "offer.viewed", offer, actor_id=viewer.id)
    return view


def week_start(moment: datetime | date) -> date:
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


@dataclass
class OfferStats:
    offer_id: int
    title: str
    views: int = 0
    hires: int = 0


@dataclass
class Insights:
    weeks: list[date]
    briefs_by_category: dict[str, list[int]] = field(default_factory=dict)
    open_by_category: dict[str, int] = field(default_factory=dict)
    top_skills: list[tuple[str, int]] = field(default_factory=list)
    budget_ranges: list[tuple[str, int]] = field(default_factory=list)
    views_by_week: list[int] = field(default_factory=list)
    offers: list[OfferStats] = field(default_factory=list)
    viewed: int = 0
    shortlisted: int = 0
    hired: int = 0


def _budget_label(index: int) -> str:
    if index == 0:
        return f"< {BUDGET_BOUNDS[0]:,}"
    if index == len(BUDGET_BOUNDS):
        return f"{BUDGET_BOUNDS[-1]:,}+"
    return f"{BUDGET_BOUNDS[index - 1]:,}–{BUDGET_BOUNDS[index]:,}"


def _bucket(budget_max_minor: int) -> int:
    major = budget_max_minor // 100
    return next((i for i, bound in enumerate(BUDGET_BOUNDS) if major < bound), len(BUDGET_BOUNDS))


def demand(session: Session, creator: User, *, weeks: int = 12) -> Insights:
    """The creator's insights over the last ``weeks`` weeks (read-only)."""
    this_week = week_start(clock.now())
    starts = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = datetime.combine(starts[0], datetime.min.time(), tzinfo=clock.now().tzinfo)
    index = {start: i for i, start in enumerate(starts)}
    result = Insights(weeks=starts)
    _briefs(session, result, since, index)
    _offers(session, result, creator, since, index)
    return result


def _briefs(session: Session, result: Insights, since: datetime, index: dict[date, int]) -> None:
    public = Brief.visibility == Visibility.PUBLIC
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(index))
    budgets = [0] * (len(BUDGET_BOUNDS) + 1)
    for category, published_at, budget_max in session.execute(
        select(Brief.category, Brief.published_at, Brief.budget_max_minor).where(
            public, Brief.published_at.is_not(None), Brief.published_at >= since
        )
    ):
        slot = index.get(week_start(published_at)) if published_at else None
        if slot is not None:
            series[category][slot] += 1
        budgets[_bucket(budget_max)] += 1
    top = sorted(series, key=lambda c: (-sum(series[c]), c))[:TOP_CATEGORIES]
    result.briefs_by_category = {category: series[category] for category in top}
    result.budget_ranges = [(_budget_label(i), n) for i, n in enumerate(budgets)]
    skills: Counter[str] = Counter()
    open_counts: Counter[str] = Counter()
    for category, brief_skills in session.execute(
        select(Brief.category, Brief.skills).where(public, Brief.status == BriefStatus.OPEN)
    ):
        open_counts[category] += 1
        skills.update({str(s).strip().lower() for s in brief_skills or [] if str(s).strip()})
    result.open_by_category = dict(open_counts.most_common())
    result.top_skills = skills.most_common(TOP_SKILLS)


def _offers(
    session: Session, result: Insights, creator: User, since: datetime, index: dict[date, int]
) -> None:
    offers = session.scalars(
        select(Offer)
        .where(Offer.creator_id == creator.id, Offer.status != OfferStatus.REMOVED)
        .order_by(Offer.id)
    ).all()
    stats = {offer.id: OfferStats(offer.id, offer.title) for offer in offers}
    result.views_by_week = [0] * len(index)
    if stats:
        for offer_id, viewed_at in session.execute(
            select(OfferView.offer_id, OfferView.viewed_at).where(
                OfferView.offer_id.in_(stats), OfferView.viewed_at >= since
            )
        ):
            stats[offer_id].views += 1
            slot = index.get(week_start(viewed_at))
            if slot is not None:
                result.views_by_week[slot] += 1
    for hired_offer, count in session.execute(
        select(Contract.offer_id, func.count())
        .where(Contract.creator_id == creator.id, Contract.offer_id.is_not(None))
        .group_by(Contract.offer_id)
    ):
        if hired_offer is not None and hired_offer in stats:
            stats[hired_offer].hires = int(count)
    result.offers = list(stats.values())
    result.viewed = sum(s.views for s in result.offers)
    result.hired = (
        session.scalar(
            select(func.count()).select_from(Contract).where(Contract.creator_id == creator.id)
        )
        or 0
    )
    proposal_ids = select(Proposal.id).where(Proposal.creator_id == creator.id)
    shortlisted = session.scalars(
        select(AuditEvent.subject_id)
        .where(
            AuditEvent.subject_type == "proposal",
            AuditEvent.to_state == "shortlisted",
            AuditEvent.subject_id.in_(proposal_ids),
        )
        .distinct()
    ).all()
    result.shortlisted = len(shortlisted)
