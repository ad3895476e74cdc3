"""The rest of what a party can do to a contract on its page, as API operations: order an
offer's package, split a contract into milestones, cancel a pending milestone, refund one,
and (creators) start payout onboarding. Declared once each, like app.payments.api."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import current_app, url_for
from pydantic import Field

from app.accounts.models import Role
from app.api import api_user, bp
from app.api.schema import Day, In, Int, Out, Text, operation
from app.contracts.services import create_from_package
from app.extensions import db
from app.money import MAX_AMOUNT_MINOR
from app.offers.models import PackageTier
from app.offers.services import visible_offer
from app.payments import services
from app.payments.api import (
    CONTRACT_404,
    MILESTONE,
    ContractOut,
    MilestoneList,
    MilestoneOut,
    contract_out,
    milestone_action,
    milestone_out,
    party_contract,
    party_milestone,
)

GATEWAY = {502: "The payment provider refused the request or could not be reached"}


class OrderIn(In):
    tier: Literal[tuple(t.value for t in PackageTier)] = Field(description="The package to order.")


@bp.post("/offers/<int:offer_id>/orders")
@operation(
    tag="contracts",
    body=OrderIn,
    created=ContractOut,
    role=Role.BUSINESS,
    problems={
        403: "Ordering from oneself",
        404: "No such published offer",
        422: "The offer has no such package (or is not a service)",
    },
    links={
        "get_contract": "contract_id",
        "list_milestones": "contract_id",
        "split_contract": "contract_id",
    },
)
def order_package(offer_id: int, body: OrderIn) -> tuple[Any, int, dict[str, str]]:
    """Order one package of a published service offer: a contract with one pending milestone"""
    user = api_user(Role.BUSINESS)
    session = db.session()
    contract = create_from_package(
        session, visible_offer(session, offer_id, user), body.tier, business=user
    )
    location = url_for("api.get_contract", contract_id=contract.id)
    return contract_out(contract, user), 201, {"Location": location}


class MilestonePlanIn(In):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    amount_minor: Annotated[Int, Field(ge=1, le=MAX_AMOUNT_MINOR)]
    due_date: Day | None = None


class SplitIn(In):
    milestones: Annotated[
        list[MilestonePlanIn],
        Field(min_length=1, max_length=20, description="Amounts must add up to the total."),
    ]


@bp.put("/contracts/<int:contract_id>/milestones")
@operation(
    tag="contracts",
    body=SplitIn,
    ok=MilestoneList,
    role=Role.BUSINESS,
    problems={
        **CONTRACT_404,
        403: "Not a party of the contract",
        409: "A milestone is funded or has a payment started, or the contract ended",
    },
)
def split_contract(contract_id: int, body: SplitIn) -> MilestoneList:
    """Replace the contract's milestones (same total), before anything is paid (its business)"""
    user = api_user(Role.BUSINESS)
    contract = party_contract(contract_id, user)
    plans = [services.MilestonePlan(**plan.model_dump()) for plan in body.milestones]
    milestones = services.split(db.session(), contract.id, plans, actor=user)
    return MilestoneList(items=[milestone_out(m) for m in milestones])


@bp.post("/milestones/<int:milestone_id>/cancel")
@operation(tag="milestones", ok=MilestoneOut, problems={**MILESTONE, **GATEWAY})
def cancel_milestone(milestone_id: int) -> MilestoneOut:
    """Cancel a milestone that was never paid (either party); its PaymentIntent is cancelled"""
    gateway = services.gateway_for(current_app)
    return milestone_action(
        milestone_id,
        None,
        lambda user, mid: services.cancel(db.session(), gateway, mid, actor=user),
    )


class RefundIn(In):
    reason: Annotated[Text, Field(max_length=500)] = ""


@bp.post("/milestones/<int:milestone_id>/refund")
@operation(tag="milestones", body=RefundIn, ok=MilestoneOut, problems={**MILESTONE, **GATEWAY})
def refund_milestone(milestone_id: int, body: RefundIn) -> MilestoneOut:
    """Refund a paid milestone to the business (its creator, before the payout)"""
    user = api_user()
    milestone = party_milestone(milestone_id, user)
    services.refund(
        db.session(),
        services.gateway_for(current_app),
        milestone.id,
        actor=user,
        reason=body.reason.strip(),
    )
    return milestone_out(milestone)


class OnboardingOut(Out):
    account_id: str = Field(description="The creator's Stripe connected account.")
    url: str = Field(description="Stripe's onboarding page; open it in a browser (expires).")


@bp.post("/payouts/onboarding")
@operation(tag="earnings", ok=OnboardingOut, role=Role.CREATOR, problems=GATEWAY)
def start_payout_onboarding() -> OnboardingOut:
    """Set up payouts: a fresh Stripe onboarding link for the creator's connected account"""
    link = services.start_onboarding(
        db.session(),
        services.gateway_for(current_app),
        creator=api_user(Role.CREATOR),
        refresh_url=url_for("payments.earnings", _external=True),
        return_url=url_for("payments.onboarding_return", _external=True),
    )
    return OnboardingOut(account_id=link.account_id, url=link.url)
