"""JSON API for contracts, milestones and earnings (registered on app.api.bp).

Only the two parties of a contract see it or its milestones; anyone else gets 404. Role checks
come first (403), as on the other endpoints. Each operation is declared once
(``app.api.schema.operation``); its models validate the body and shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal

from flask import current_app
from pydantic import Field
from sqlalchemy import func, or_, select

from app import settlement
from app.accounts.models import Role, User
from app.api import api_user, bp
from app.api.schema import In, NoFields, Out, Paged, PageInfo, Text, operation
from app.contracts.models import Contract, ContractStatus
from app.db import MAX_ID
from app.errors import NotFound
from app.extensions import db
from app.money import SUPPORTED_CURRENCIES
from app.payments import checkout, services
from app.payments.delivery import MAX_MESSAGE
from app.payments.models import Milestone, MilestoneState

# --- what the API returns -------------------------------------------------------------------


class Party(Out):
    id: int
    display_name: str


class ContractOut(Out):
    id: int
    title: str
    scope: str
    status: Literal[tuple(s.value for s in ContractStatus)]
    role: Literal["business", "creator"] = Field(description="The caller's side.")
    business: Party
    creator: Party
    total_minor: int
    currency: str
    delivery_days: int
    brief_id: int | None
    proposal_id: int | None
    offer_id: int | None
    package_tier: str | None
    created_at: datetime


class ContractPage(PageInfo):
    items: list[ContractOut]


class MilestoneOut(Out):
    id: int
    contract_id: int
    position: int
    title: str
    amount_minor: int
    currency: str
    due_date: date | None
    state: Literal[tuple(s.value for s in MilestoneState)]
    revisions_used: int
    max_revisions: int
    funded_minor: int
    released_minor: int
    refunded_minor: int
    fee_minor: int
    delivery_message: str
    delivery_files: list[str] = Field(description="Original names of the latest delivery.")
    payment_intent_id: str | None = Field(description="Stripe PaymentIntent that funds it.")
    charge_id: str | None = Field(description="Stripe charge of that PaymentIntent.")
    transfer_id: str | None = Field(description="Stripe transfer that paid the creator.")
    funded_at: datetime | None
    delivered_at: datetime | None
    review_due_at: datetime | None
    released_at: datetime | None
    clears_at: datetime | None
    paid_out_at: datetime | None


class MilestoneList(Out):
    items: list[MilestoneOut]


class Funding(MilestoneOut):
    """The milestone, still pending: ``client_secret`` confirms its PaymentIntent with
    Stripe.js initialised with ``publishable_key`` (3-D Secure included); then
    POST /payments/{payment_intent_id}/sync, or wait for the webhook. Card details never
    reach this API:

    ```js
    const stripe = Stripe(body.publishable_key);  // <script src="https://js.stripe.com/v3/">
    const card = stripe.elements().create('card');
    card.mount('#card-element');
    const {paymentIntent, error} = await stripe.confirmCardPayment(body.client_secret, {
      payment_method: {card},
    });
    if (error) showError(error.message);  // declined, or 3-D Secure failed: try another card
    else await fetch(`/api/v1/payments/${paymentIntent.id}/sync`,
                     {method: 'POST', headers: {Authorization: `Bearer ${token}`}});
    ```

    Calling the endpoint again returns the same PaymentIntent (never a second charge)."""

    client_secret: str | None
    publishable_key: str | None


class PaymentSync(Out):
    payment_intent_id: str
    paid: bool
    message: str = Field(
        description="What the buyer is told (a decline or 3-D Secure failure says so; "
        "nothing was charged then)."
    )


CurrencyAmounts = Annotated[
    dict[str, int], Field(description="Minor units for every supported currency (0 if none).")
]


class Clearing(Out):
    kind: Literal["milestone", "media_license", "contest_award", "campaign_order"]
    subject_id: int
    milestone_id: int | None
    title: str
    net_minor: int
    currency: str
    clears_at: datetime | None
    waiting_because: str | None


class FeeTerms(Out):
    score: float = Field(ge=0, le=1)
    fee_bp: int
    fee_percent: str
    hold_hours: int
    hold_days: float
    formula: str


class Earnings(Out):
    creator_id: int
    currencies: list[str] = Field(description="The keys of every amount map, in this order.")
    pending: CurrencyAmounts
    paid: CurrencyAmounts
    in_escrow: CurrencyAmounts
    clearing: list[Clearing]
    terms: FeeTerms
    payouts_ready: bool


# --- what clients send ----------------------------------------------------------------------


NotBlank = Annotated[Text, Field(pattern=r"\S")]


class DeliverIn(In):
    message: Annotated[NotBlank, Field(max_length=MAX_MESSAGE)]


class ChangesIn(In):
    note: Annotated[NotBlank, Field(min_length=1, description="Stored up to 2000 characters.")]


# --- serialisation --------------------------------------------------------------------------


def contract_out(contract: Contract, user: User) -> ContractOut:
    return ContractOut(
        id=contract.id,
        title=contract.title,
        scope=contract.scope,
        status=str(contract.status),
        role="business" if user.id == contract.business_id else "creator",
        business=Party(id=contract.business_id, display_name=contract.business.display_name),
        creator=Party(id=contract.creator_id, display_name=contract.creator.display_name),
        total_minor=contract.total_minor,
        currency=contract.currency,
        delivery_days=contract.delivery_days,
        brief_id=contract.brief_id,
        proposal_id=contract.proposal_id,
        offer_id=contract.offer_id,
        package_tier=contract.package_tier,
        created_at=contract.created_at,
    )


def milestone_out(milestone: Milestone) -> MilestoneOut:
    payout = settlement.payout_for(db.session(), "milestone", milestone.id)
    return MilestoneOut.model_validate(
        {
            **{name: getattr(milestone, name) for name in MILESTONE_COLUMNS},
            "state": str(milestone.state),
            "delivery_files": [n.partition("_")[2] or n for n in milestone.delivery_files],
            "transfer_id": payout.stripe_transfer_id if payout else None,
        }
    )


MILESTONE_COLUMNS = [
    name
    for name in MilestoneOut.model_fields
    if name not in {"state", "delivery_files", "transfer_id"}
]


def earnings_out(report: services.Earnings) -> Earnings:
    currencies = sorted({*SUPPORTED_CURRENCIES, *report.pending, *report.paid, *report.in_escrow})

    def every(values: dict[str, int]) -> dict[str, int]:
        return {currency: values.get(currency, 0) for currency in currencies}

    return Earnings(
        creator_id=report.creator_id,
        currencies=currencies,
        pending=every(report.pending),
        paid=every(report.paid),
        in_escrow=every(report.in_escrow),
        clearing=[
            Clearing(
                kind=item.subject_type,  # type: ignore[arg-type]
                subject_id=item.subject_id,
                milestone_id=item.subject_id if item.subject_type == "milestone" else None,
                title=item.title,
                net_minor=item.net_minor,
                currency=item.currency,
                clears_at=item.clears_at,
                waiting_because=item.blocked_reason or None,
            )
            for item in report.clearing
        ],
        terms=FeeTerms(**report.terms.as_dict()),
        payouts_ready=report.payouts_ready,
    )


# --- loading --------------------------------------------------------------------------------


def party_contract(contract_id: int, user: User) -> Contract:
    contract = db.session.get(Contract, contract_id) if contract_id <= MAX_ID else None
    if contract is None or user.id not in (contract.business_id, contract.creator_id):
        raise NotFound("No such contract.")
    return contract


def party_milestone(milestone_id: int, user: User) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id) if milestone_id <= MAX_ID else None
    if milestone is None or user.id not in (
        milestone.contract.business_id,
        milestone.contract.creator_id,
    ):
        raise NotFound("No such milestone.")
    return milestone


def milestone_action(
    milestone_id: int, role: Role | None, act: Callable[[User, int], Milestone]
) -> MilestoneOut:
    """A milestone button over the API: the caller (in ``role``, when one is required) must be
    a party of the milestone's contract; ``act(caller, milestone id)`` is the service call."""
    user = api_user(role)
    milestone = party_milestone(milestone_id, user)
    return milestone_out(act(user, milestone.id))


CONTRACT_404 = {404: "No such contract, or the caller is not one of its parties"}
MILESTONE = {
    403: "Wrong role for this endpoint, or not the party who may do this",
    404: "No such milestone, or the caller is not one of its parties",
    409: "Conflict with the milestone's state (e.g. not pending, not delivered, revision limit)",
}

# --- contracts ------------------------------------------------------------------------------


@bp.get("/contracts")
@operation(tag="contracts", query=Paged, ok=ContractPage)
def list_contracts(query: Paged) -> ContractPage:
    """Your contracts, as business or creator, newest first"""
    user = api_user()
    mine = or_(Contract.business_id == user.id, Contract.creator_id == user.id)
    session = db.session()
    total = session.scalar(select(func.count()).select_from(Contract).where(mine)) or 0
    contracts = session.scalars(
        select(Contract)
        .where(mine)
        .order_by(Contract.id.desc())
        .limit(query.size)
        .offset(query.offset)
    )
    return ContractPage(
        items=[contract_out(c, user) for c in contracts],
        page=query.page,
        per_page=query.size,
        total=total,
    )


@bp.get("/contracts/<int:contract_id>")
@operation(tag="contracts", ok=ContractOut, problems=CONTRACT_404)
def get_contract(contract_id: int) -> ContractOut:
    """One of your contracts (its two parties only)"""
    user = api_user()
    return contract_out(party_contract(contract_id, user), user)


@bp.get("/contracts/<int:contract_id>/milestones")
@operation(tag="contracts", ok=MilestoneList, problems=CONTRACT_404)
def list_milestones(contract_id: int) -> MilestoneList:
    """The contract's milestones, in order (its two parties only)"""
    contract = party_contract(contract_id, api_user())
    milestones = services.milestones_of(db.session(), contract.id)
    return MilestoneList(items=[milestone_out(m) for m in milestones])


# --- milestones -----------------------------------------------------------------------------


@bp.post("/milestones/<int:milestone_id>/fund")
@operation(
    tag="milestones",
    body=NoFields,
    body_optional=True,
    ok=Funding,
    role=Role.BUSINESS,
    problems={
        **MILESTONE,
        502: "The payment provider (Stripe) refused the request or could not be reached",
    },
)
def fund_milestone(milestone_id: int, body: NoFields) -> Funding:
    """Start (or resume) paying a pending milestone (the contract's business): returns it
    with its PaymentIntent's client secret to confirm with Stripe.js"""
    user = api_user(Role.BUSINESS)
    milestone = party_milestone(milestone_id, user)
    session, gateway = db.session(), services.gateway_for(current_app)
    intent = services.fund(session, gateway, milestone.id, business=user)
    return Funding(
        **milestone_out(milestone).model_dump(),
        client_secret=intent.client_secret,
        publishable_key=intent.publishable_key,
    )


@bp.post("/payments/<payment_intent_id>/sync")
@operation(
    tag="milestones",
    ok=PaymentSync,
    problems={
        404: "No purchase of yours has this PaymentIntent",
        409: "The purchase can no longer take this payment",
        502: "The payment provider (Stripe) refused the request or could not be reached",
    },
)
def sync_payment(payment_intent_id: str) -> PaymentSync:
    """After confirming with Stripe.js: apply the PaymentIntent to its purchase (milestone,
    licence or contest prize) now and say whether it is paid. Idempotent, like the
    payment_intent.succeeded webhook that does the same"""
    outcome = checkout.finish(
        db.session(), services.gateway_for(current_app), payment_intent_id, buyer=api_user()
    )
    return PaymentSync(
        payment_intent_id=payment_intent_id, paid=outcome.paid, message=outcome.message
    )


@bp.post("/milestones/<int:milestone_id>/deliver")
@operation(tag="milestones", body=DeliverIn, ok=MilestoneOut, role=Role.CREATOR, problems=MILESTONE)
def deliver_milestone(milestone_id: int, body: DeliverIn) -> MilestoneOut:
    """Deliver work for review (the contract's creator; funded or changes requested)"""
    return milestone_action(
        milestone_id,
        Role.CREATOR,
        lambda user, mid: services.deliver(db.session(), mid, creator=user, message=body.message),
    )


@bp.post("/milestones/<int:milestone_id>/accept")
@operation(tag="milestones", ok=MilestoneOut, role=Role.BUSINESS, problems=MILESTONE)
def accept_milestone(milestone_id: int) -> MilestoneOut:
    """Accept a delivery and release the payment to the creator (the contract's business)"""
    return milestone_action(
        milestone_id,
        Role.BUSINESS,
        lambda user, mid: services.accept(db.session(), mid, business=user),
    )


@bp.post("/milestones/<int:milestone_id>/request-changes")
@operation(
    tag="milestones", body=ChangesIn, ok=MilestoneOut, role=Role.BUSINESS, problems=MILESTONE
)
def request_milestone_changes(milestone_id: int, body: ChangesIn) -> MilestoneOut:
    """Ask for a revision of a delivery (the contract's business; limited revisions)"""
    return milestone_action(
        milestone_id,
        Role.BUSINESS,
        lambda user, mid: services.request_changes(
            db.session(), mid, business=user, note=body.note
        ),
    )


# --- earnings -------------------------------------------------------------------------------


@bp.get("/earnings")
@operation(tag="earnings", ok=Earnings, role=Role.CREATOR)
def get_earnings() -> Earnings:
    """Your earnings as a creator: balances in every currency, clearing payments, fee terms"""
    user = api_user(Role.CREATOR)
    return earnings_out(services.earnings(db.session(), user.id))
