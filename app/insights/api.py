"""JSON API for a creator's demand insights (registered on app.api.bp)."""

from __future__ import annotations

from datetime import date

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import Out, operation
from app.extensions import db
from app.insights import services


class SkillCount(Out):
    skill: str
    briefs: int


class BudgetRangeCount(Out):
    range: str
    briefs: int


class OfferInsight(Out):
    offer_id: int
    title: str
    views: int
    hires: int


class Funnel(Out):
    viewed: int
    shortlisted: int
    hired: int


class Insights(Out):
    weeks: list[date]
    briefs_by_category: dict[str, list[int]]
    open_by_category: dict[str, int]
    top_skills: list[SkillCount]
    budget_ranges: list[BudgetRangeCount]
    views_by_week: list[int]
    offers: list[OfferInsight]
    funnel: Funnel


@bp.get("/insights")
@operation(tag="insights", ok=Insights, role=Role.CREATOR)
def get_insights() -> Insights:
    """Demand insights for the calling creator: new briefs per week by category, skills and
    budgets of open briefs, and views/shortlists/hires of the creator's offers"""
    data = services.demand(db.session(), api_user(Role.CREATOR))
    return Insights(
        weeks=data.weeks,
        briefs_by_category=data.briefs_by_category,
        open_by_category=data.open_by_category,
        top_skills=[SkillCount(skill=s, briefs=n) for s, n in data.top_skills],
        budget_ranges=[BudgetRangeCount(range=r, briefs=n) for r, n in data.budget_ranges],
        views_by_week=data.views_by_week,
        offers=[OfferInsight.model_validate(o) for o in data.offers],
        funnel=Funnel(viewed=data.viewed, shortlisted=data.shortlisted, hired=data.hired),
    )
