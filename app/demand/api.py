"""JSON API: a business's interests, and the demand clusters a creator sees (on app.api.bp)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import In, Minor, Out, Text, operation
from app.briefs.api import Category, Currency
from app.demand import clusters, services
from app.extensions import db


class InterestCreate(In):
    category: Category | None = None
    skill: Annotated[Text, Field(max_length=services.SKILL_LENGTH[1])] | None = None
    text: Annotated[Text, Field(max_length=services.TEXT_LENGTH[1])] = ""
    budget_min_minor: Minor | None = None
    budget_max_minor: Minor | None = None
    currency: Currency | None = Field(default=None, description="Required with a budget.")


class InterestOut(Out):
    id: int
    category: str | None
    skill: str | None
    text: str
    budget_min_minor: int | None
    budget_max_minor: int | None
    currency: str | None


class InterestList(Out):
    items: list[InterestOut]


class BudgetRange(Out):
    currency: str
    min_minor: int
    max_minor: int


class ClusterOut(Out):
    key: str
    title: str
    category: str | None
    briefs: int
    interests: int
    businesses: int
    budgets: list[BudgetRange]
    brief_ids: list[int]
    start_pool_url: str


class ClusterList(Out):
    items: list[ClusterOut]


@bp.get("/interests")
@operation(tag="interests", ok=InterestList, role=Role.BUSINESS)
def list_interests() -> InterestList:
    """The calling business's live interests, newest first"""
    live = services.live_interests(db.session(), api_user(Role.BUSINESS).id)
    return InterestList(items=[InterestOut.model_validate(i) for i in live])


@bp.post("/interests")
@operation(
    tag="interests",
    body=InterestCreate,
    created=InterestOut,
    role=Role.BUSINESS,
    problems={409: "The same interest is already live, or too many live interests"},
)
def express_interest(body: InterestCreate) -> tuple[InterestOut, int]:
    """Express interest in a category and/or skill (businesses), optionally with a budget"""
    interest = services.express_interest(
        db.session(), api_user(Role.BUSINESS), services.InterestInput(**body.model_dump())
    )
    return InterestOut.model_validate(interest), 201


@bp.post("/interests/<int:interest_id>/withdraw")
@operation(tag="interests", ok=InterestOut, role=Role.BUSINESS, problems={404: "No such interest"})
def withdraw_interest(interest_id: int) -> InterestOut:
    """Withdraw one of the calling business's interests (repeating it is harmless)"""
    interest = services.withdraw_interest(db.session(), api_user(Role.BUSINESS), interest_id)
    return InterestOut.model_validate(interest)


@bp.get("/insights/clusters")
@operation(tag="insights", ok=ClusterList, role=Role.CREATOR)
def list_demand_clusters() -> ClusterList:
    """Clusters of similar open briefs and interests, largest first, with the link that
    starts a demand pool from each (pre-filled; its businesses are invited)"""
    api_user(Role.CREATOR)
    found = clusters.clusters(db.session())
    return ClusterList(items=[_cluster_out(c) for c in found])


def _cluster_out(cluster: clusters.Cluster) -> ClusterOut:
    return ClusterOut(
        key=cluster.key,
        title=cluster.title,
        category=cluster.category,
        briefs=cluster.briefs,
        interests=cluster.interests,
        businesses=cluster.businesses,
        budgets=[
            BudgetRange(currency=c, min_minor=low, max_minor=high)
            for c, (low, high) in cluster.budgets.items()
        ],
        brief_ids=[m.id for m in cluster.members if m.kind == "brief"],
        start_pool_url=clusters.start_pool_url(cluster),
    )
