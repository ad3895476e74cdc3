"""GET /api/v1/briefs/<id>/matches: ranked creators for a brief, for its owner only;
POST /api/v1/brief-assistant: suggestions for a brief being written. Declared once each."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import current_app
from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import In, Out, Query, Text, operation
from app.briefs.models import Brief
from app.db import get_owned
from app.extensions import db
from app.matching import assistant, services
from app.matching.delegation import ranking_view
from app.money import SUPPORTED_CURRENCIES

OFF = {503: "Matching is switched off on this server"}


class MatchQuery(Query):
    limit: Annotated[int, Field(ge=1, le=services.MAX_LIMIT)] = 10


class CreatorRef(Out):
    id: int
    display_name: str


class MatchedOffer(Out):
    id: int
    title: str
    kind: Literal["service", "stock_media", "influencer"]
    price_from_minor: int | None
    currency: str
    delivery_days_min: int | None


class CreatorMatch(Out):
    rank: int = Field(ge=1)
    creator: CreatorRef
    score: float
    relevance: float
    components: dict[str, float]
    offer: MatchedOffer
    matched_terms: list[str]
    matched_skills: list[str]
    reasons: list[str]
    explored: bool
    invited: bool


class BriefMatches(Out):
    brief_id: int
    matches: list[CreatorMatch]


@bp.get("/briefs/<int:brief_id>/matches")
@ranking_view()
@operation(
    tag="matching",
    query=MatchQuery,
    ok=BriefMatches,
    role=Role.BUSINESS,
    problems={400: "limit out of bounds", 404: "No such brief of yours", **OFF},
)
def brief_matches(brief_id: int, query: MatchQuery) -> BriefMatches:
    """Creators ranked for your brief, with the reasons"""
    user = api_user(Role.BUSINESS)
    session = db.session()
    brief = get_owned(
        session, Brief, brief_id, user.id, owner="business_id", missing="No such brief."
    )
    if not current_app.config["MATCHING_ENABLED"]:
        raise services.MatchingUnavailable("Matching is switched off on this server.")
    results = services.recommend_creators(session, brief, limit=query.limit)
    services.log_shown(session, brief, results, surface="api")
    return BriefMatches(
        brief_id=brief.id,
        matches=[
            CreatorMatch(
                rank=rank,
                creator=CreatorRef(id=r.creator.id, display_name=r.creator.display_name),
                score=round(r.score, 4),
                relevance=round(r.relevance, 4),
                components={k: round(v, 4) for k, v in r.components.items()},
                offer=MatchedOffer(
                    id=r.offer.id,
                    title=r.offer.title,
                    kind=r.offer.kind.value,
                    price_from_minor=r.offer.price_from_minor,
                    currency=r.offer.currency,
                    delivery_days_min=r.offer.delivery_days_min,
                ),
                matched_terms=r.matched_terms,
                matched_skills=r.matched_skills,
                reasons=r.reasons,
                explored=r.explored,
                invited=r.invited,
            )
            for rank, r in enumerate(results, start=1)
        ],
    )


class DraftBrief(In):
    title: Annotated[Text, Field(max_length=120)] = ""
    description: Annotated[Text, Field(max_length=5000)] = ""
    skills: Annotated[list[Annotated[Text, Field(max_length=100)]], Field(max_length=20)] = []
    category: Annotated[Text, Field(max_length=100)] = ""
    currency: Literal[SUPPORTED_CURRENCIES] = "USD"
    offer_kinds: Annotated[list[Annotated[Text, Field(max_length=40)]], Field(max_length=3)] = []


class Suggestion(Out):
    value: str
    why: str = Field(description="Where the suggestion comes from")


class Estimate(Out):
    """A range read off past contracts (or, with too few, published offers)."""

    data_points: int = Field(ge=0)
    source: Literal["contracts", "offers"]
    why: str


class MoneyRange(Estimate):
    currency: str
    low_minor: int
    typical_minor: int
    high_minor: int


class DaysRange(Estimate):
    low: int
    typical: int
    high: int


class CreatorCount(Out):
    count: int = Field(ge=0)
    why: str


class BriefAssistance(Out):
    skills: list[Suggestion]
    category: Suggestion | None
    budget: MoneyRange | None
    delivery_days: DaysRange | None
    matching_creators: CreatorCount
    similar_offers: list[str]
    notes: list[str]


def _range(r: assistant.Range | None, money: str | None) -> dict[str, Any] | None:
    if r is None:
        return None
    suffix = "_minor" if money else ""
    out: dict[str, Any] = {"currency": money} if money else {}
    out |= {f"low{suffix}": r.low, f"typical{suffix}": r.typical, f"high{suffix}": r.high}
    return out | {"data_points": r.data_points, "source": r.source, "why": r.why}


@bp.post("/brief-assistant")
@operation(
    tag="matching",
    body=DraftBrief,
    ok=BriefAssistance,
    role=Role.BUSINESS,
    problems={422: "Too little text, or fields of the wrong type", **OFF},
)
def brief_assistant(body: DraftBrief) -> dict[str, Any]:
    """Suggestions for a brief being written: skills, category, budget, delivery. Skills and
    category used by similar offers and briefs; a budget range from agreed prices of similar
    past work in the brief's currency (at least 3 data points, else the similar offers'
    starting prices); typical delivery time; how many available creators match well. Each
    with an explanation; nothing is saved."""
    user = api_user(Role.BUSINESS)
    draft = assistant.check_draft(
        assistant.Draft(
            body.title.strip(),
            body.description.strip(),
            tuple(s.strip() for s in body.skills if s.strip()),
            body.category.strip(),
            body.currency,
            tuple(k.strip() for k in body.offer_kinds if k.strip()),
        )
    )
    if not current_app.config["MATCHING_ENABLED"]:
        raise services.MatchingUnavailable("Matching is switched off on this server.")
    help_ = assistant.assist(db.session(), draft, user)
    return {
        "skills": [{"value": s.value, "why": s.why} for s in help_.skills],
        "category": help_.category and {"value": help_.category.value, "why": help_.category.why},
        "budget": _range(help_.budget, draft.currency),
        "delivery_days": _range(help_.delivery_days, None),
        "matching_creators": {"count": help_.matching_creators, "why": help_.matching_why},
        "similar_offers": help_.similar_offers,
        "notes": help_.notes,
    }
