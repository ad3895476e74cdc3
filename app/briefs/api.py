"""JSON API routes for briefs and proposals (registered on app.api.bp), each declared once.

Input types are strict: amounts are JSON integers of minor units, booleans are JSON booleans,
dates are "YYYY-MM-DD" strings; anything else, and unknown fields, answer 422 with field errors.
The brief and proposal rules themselves live in app.briefs.services (shared with the forms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Annotated, Any, Literal

from flask import current_app, url_for
from pydantic import Field

from app.accounts.models import Role, User
from app.api import api_user, bp, optional_api_user
from app.api.schema import AUTH_PUBLIC, Day, In, Int, Out, Paged, PageInfo, Text, operation
from app.briefs import queries, services
from app.briefs.models import Brief, BriefStatus, Proposal, ProposalStatus, Visibility
from app.briefs.services import (
    COVER_LETTER_LENGTH,
    DELIVERY_DAYS,
    DESCRIPTION_LENGTH,
    TITLE_LENGTH,
)
from app.contracts.models import Contract
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR, SUPPORTED_CURRENCIES
from app.offers.models import CATEGORIES, OfferKind

Category = Literal[tuple(CATEGORIES)]
Currency = Literal[SUPPORTED_CURRENCIES]
Kind = Literal[tuple(k.value for k in OfferKind)]
Amount = Annotated[Int, Field(ge=1, le=MAX_AMOUNT_MINOR, description="Integer minor units.")]
VisibilityName = Literal[tuple(v.value for v in Visibility)]


class BriefUpdate(In):
    """Any subset of the brief's fields; omitted fields keep their value."""

    title: Annotated[Text, Field(min_length=TITLE_LENGTH[0], max_length=TITLE_LENGTH[1])] = None  # type: ignore[assignment]
    description: Annotated[
        Text, Field(min_length=DESCRIPTION_LENGTH[0], max_length=DESCRIPTION_LENGTH[1])
    ] = None  # type: ignore[assignment]
    category: Category = None
    skills: Annotated[list[Annotated[Text, Field(max_length=60)]], Field(max_length=20)] = None  # type: ignore[assignment]
    offer_kinds: Annotated[list[Kind], Field(min_length=1)] = None  # type: ignore[assignment]
    budget_min_minor: Amount = None  # type: ignore[assignment]
    budget_max_minor: Annotated[Amount, Field(description="At least budget_min_minor.")] = None  # type: ignore[assignment]
    currency: Currency = None
    deadline: Annotated[
        Day | None, Field(description="YYYY-MM-DD, today or later, within two years.")
    ] = None
    visibility: VisibilityName = None


class BriefCreate(BriefUpdate):
    title: Annotated[Text, Field(min_length=TITLE_LENGTH[0], max_length=TITLE_LENGTH[1])]
    description: Annotated[
        Text, Field(min_length=DESCRIPTION_LENGTH[0], max_length=DESCRIPTION_LENGTH[1])
    ]
    category: Category
    skills: Annotated[list[Annotated[Text, Field(max_length=60)]], Field(max_length=20)] = []
    offer_kinds: Annotated[list[Kind], Field(min_length=1)]
    budget_min_minor: Amount
    budget_max_minor: Annotated[Amount, Field(description="At least budget_min_minor.")]
    currency: Currency
    visibility: VisibilityName = "public"
    publish: Annotated[bool, Field(strict=True, description="Open at once, not a draft.")] = False


class ProposalCreate(In):
    cover_letter: Annotated[
        Text, Field(min_length=COVER_LETTER_LENGTH[0], max_length=COVER_LETTER_LENGTH[1])
    ]
    price_minor: Amount
    delivery_days: Annotated[Int, Field(ge=DELIVERY_DAYS[0], le=DELIVERY_DAYS[1])]
    currency: Currency = Field(default=None, description="Must be the brief's currency.")


class BriefQuery(Paged):
    q: Annotated[str, Field(max_length=200)] | None = None
    category: Category | None = None
    kind: Kind | None = None
    currency: Currency | None = None
    budget_min_minor: Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR)] | None = None
    budget_max_minor: Annotated[int, Field(ge=0, le=MAX_AMOUNT_MINOR)] | None = None


class BusinessRef(Out):
    id: int
    display_name: str


class BriefOut(Out):
    id: int
    title: str
    description: str
    category: str
    skills: list[str]
    offer_kinds: list[Kind]
    budget_min_minor: int
    budget_max_minor: int
    currency: str
    deadline: date | None
    visibility: VisibilityName
    status: Literal[tuple(s.value for s in BriefStatus)]
    business: BusinessRef
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class BriefPage(PageInfo):
    items: list[BriefOut]


class ProposalOut(Out):
    id: int
    brief_id: int
    creator_id: int
    cover_letter: str
    price_minor: int
    currency: str
    delivery_days: int
    status: Literal[tuple(s.value for s in ProposalStatus)]
    created_at: datetime
    updated_at: datetime


class ProposalPage(PageInfo):
    items: list[ProposalOut]


class AcceptedContract(Out):
    id: int
    brief_id: int | None
    proposal_id: int | None
    business_id: int
    creator_id: int
    title: str
    total_minor: int
    currency: str
    delivery_days: int
    status: str


class Acceptance(Out):
    proposal: ProposalOut
    contract: AcceptedContract


# --- serializers ----------------------------------------------------------------------------


BRIEF_404 = {404: "No such brief, or it is not visible to you"}
OWNER = {**BRIEF_404, 403: "Not your brief", 409: "Not possible in the brief's state"}
PROPOSAL = {
    403: "Not the party who may do this",
    404: "No such proposal, or it is not visible to you",
    409: "Not possible in the proposal's state",
}

# --- briefs ---------------------------------------------------------------------------------


@bp.get("/briefs")
@operation(tag="briefs", query=BriefQuery, ok=BriefPage, role=AUTH_PUBLIC)
def list_briefs(query: BriefQuery) -> BriefPage:
    """The board of open public briefs, newest first"""
    per_page = query.per_page or current_app.config["CATALOG_PAGE_SIZE"]
    filters = queries.BoardFilters(
        category=query.category,
        kind=query.kind,
        currency=query.currency,
        budget_min_minor=query.budget_min_minor,
        budget_max_minor=query.budget_max_minor,
        q=query.q,
    )
    result = queries.board(db.session(), filters, page=query.page, per_page=per_page)
    return BriefPage(
        items=[BriefOut.model_validate(b) for b in result.items],
        page=query.page,
        per_page=per_page,
        total=result.total,
    )


@bp.get("/briefs/<int:brief_id>")
@operation(tag="briefs", ok=BriefOut, role=AUTH_PUBLIC, problems=BRIEF_404)
def get_brief(brief_id: int) -> BriefOut:
    """One brief: open public ones for anyone, others for their business (and invitees)"""
    return BriefOut.model_validate(
        services.get_visible_brief(db.session(), brief_id, optional_api_user())
    )


@bp.post("/briefs")
@operation(
    tag="briefs",
    body=BriefCreate,
    created=BriefOut,
    role=Role.BUSINESS,
    links={"get_brief": "brief_id", "update_brief": "brief_id", "publish_brief": "brief_id"},
)
def create_brief(body: BriefCreate) -> tuple[BriefOut, int, dict[str, str]]:
    """Post a brief (businesses): a draft, or open at once with `publish`"""
    user = api_user(Role.BUSINESS)
    values = body.model_dump(exclude={"publish"})
    brief = services.create_brief(
        db.session(), user, services.BriefInput(**values), publish=body.publish
    )
    return (
        BriefOut.model_validate(brief),
        201,
        {"Location": url_for("api.get_brief", brief_id=brief.id)},
    )


def _owned(brief_id: int) -> tuple[User, Brief]:
    """The caller's own brief: 404 when they cannot see it, 403 when it is someone else's."""
    user = api_user()
    session = db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    services.require_owner(session, brief, user)
    return user, brief


@bp.patch("/briefs/<int:brief_id>")
@operation(tag="briefs", body=BriefUpdate, ok=BriefOut, problems=OWNER)
def update_brief(brief_id: int, body: BriefUpdate) -> BriefOut:
    """Change some fields of your brief"""
    user, brief = _owned(brief_id)
    sent = body.model_dump(include=body.model_fields_set)
    nulls = {k: ["This field cannot be null."] for k, v in sent.items() if v is None}
    nulls.pop("deadline", None)
    if nulls:
        from app.errors import ValidationFailed

        raise ValidationFailed(nulls)
    values = {**asdict(_input_of(brief)), **sent}
    services.update_brief(db.session(), brief, user, services.BriefInput(**values))
    return BriefOut.model_validate(brief)


def _input_of(brief: Brief) -> services.BriefInput:
    """The brief as it stands; a PATCH replaces only the fields it sends (the audience
    fields are not editable through the API yet and are kept as they are)."""
    kept = {name.name: getattr(brief, name.name) for name in fields(services.BriefInput)}
    return services.BriefInput(**kept)


def _brief_action(brief_id: int, action: Callable[..., None]) -> BriefOut:
    user = api_user()
    brief = services.get_visible_brief(db.session(), brief_id, user)
    action(db.session(), brief, user)
    return BriefOut.model_validate(db.session().get(Brief, brief.id) or brief)


@bp.post("/briefs/<int:brief_id>/publish")
@operation(tag="briefs", ok=BriefOut, problems=OWNER)
def publish_brief(brief_id: int) -> BriefOut:
    """Open your draft brief for proposals"""
    return _brief_action(brief_id, services.publish_brief)


@bp.post("/briefs/<int:brief_id>/close")
@operation(tag="briefs", ok=BriefOut, problems=OWNER)
def close_brief(brief_id: int) -> BriefOut:
    """Stop taking proposals"""
    return _brief_action(brief_id, services.close_brief)


@bp.post("/briefs/<int:brief_id>/cancel")
@operation(tag="briefs", ok=BriefOut, problems=OWNER)
def cancel_brief(brief_id: int) -> BriefOut:
    """Cancel your brief"""
    return _brief_action(brief_id, services.cancel_brief)


# --- proposals ------------------------------------------------------------------------------


@bp.get("/briefs/<int:brief_id>/proposals")
@operation(tag="proposals", ok=ProposalPage, problems=OWNER)
def list_brief_proposals(brief_id: int) -> ProposalPage:
    """The proposals on your brief (all on one page)"""
    user, brief = _owned(brief_id)
    proposals = services.list_proposals(db.session(), brief, user)
    return ProposalPage(
        items=[ProposalOut.model_validate(p) for p in proposals],
        page=1,
        per_page=max(1, len(proposals)),
        total=len(proposals),
    )


@bp.post("/briefs/<int:brief_id>/proposals")
@operation(
    tag="proposals",
    body=ProposalCreate,
    created=ProposalOut,
    problems={**BRIEF_404, 403: "Not a creator, or your own brief", 409: "Not open"},
    links={"shortlist_proposal": "proposal_id", "withdraw_proposal": "proposal_id"},
)
def create_proposal(brief_id: int, body: ProposalCreate) -> tuple[ProposalOut, int, dict[str, str]]:
    """Send a proposal to an open brief (creators)"""
    user = api_user()
    session = db.session()
    brief = services.get_visible_brief(session, brief_id, user)
    proposal = services.submit_proposal(
        session, brief, user, services.ProposalInput(**body.model_dump())
    )
    return ProposalOut.model_validate(proposal), 201, {"Location": url_for("api.list_my_proposals")}


@bp.get("/proposals")
@operation(tag="proposals", query=Paged, ok=ProposalPage, role=Role.CREATOR)
def list_my_proposals(query: Paged) -> ProposalPage:
    """Your proposals (creators), newest first"""
    api_user(Role.CREATOR)
    proposals = queries.proposals_of(db.session(), api_user())
    chunk = proposals[query.offset : query.offset + query.size]
    return ProposalPage(
        items=[ProposalOut.model_validate(p) for p in chunk],
        page=query.page,
        per_page=query.size,
        total=len(proposals),
    )


def _proposal_action(proposal_id: int, action: Callable[..., Any]) -> tuple[Proposal, Any]:
    user = api_user()
    session = db.session()
    proposal = services.get_proposal_for(session, proposal_id, user)
    result = action(session, proposal, user)
    return session.get(Proposal, proposal.id) or proposal, result


@bp.post("/proposals/<int:proposal_id>/shortlist")
@operation(tag="proposals", ok=ProposalOut, problems=PROPOSAL)
def shortlist_proposal(proposal_id: int) -> ProposalOut:
    """Shortlist a proposal on your brief"""
    return ProposalOut.model_validate(_proposal_action(proposal_id, services.shortlist_proposal)[0])


@bp.post("/proposals/<int:proposal_id>/decline")
@operation(tag="proposals", ok=ProposalOut, problems=PROPOSAL)
def decline_proposal(proposal_id: int) -> ProposalOut:
    """Decline a proposal on your brief"""
    return ProposalOut.model_validate(_proposal_action(proposal_id, services.decline_proposal)[0])


@bp.post("/proposals/<int:proposal_id>/withdraw")
@operation(tag="proposals", ok=ProposalOut, problems=PROPOSAL)
def withdraw_proposal(proposal_id: int) -> ProposalOut:
    """Withdraw your proposal"""
    return ProposalOut.model_validate(_proposal_action(proposal_id, services.withdraw_proposal)[0])


@bp.post("/proposals/<int:proposal_id>/accept")
@operation(tag="proposals", ok=Acceptance, problems=PROPOSAL)
def accept_proposal(proposal_id: int) -> Acceptance:
    """Accept a proposal: it becomes a contract"""
    proposal, contract = _proposal_action(proposal_id, services.accept_proposal)
    assert isinstance(contract, Contract)
    return Acceptance(
        proposal=ProposalOut.model_validate(proposal),
        contract=AcceptedContract.model_validate(contract),
    )
