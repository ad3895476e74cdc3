"""Builders for payments tests: contracts through the real contracts service, funding through
the real Stripe flow (a test card confirmed on the emulator as Stripe.js does)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import stripe
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.audit import AuditEvent
from app.contracts import services as contracts
from app.contracts.models import Contract
from app.devtools.stripe_emulator import EmulatorProcess
from app.jobs import run_due
from app.offers.models import Offer, OfferKind, OfferStatus, ServicePackage
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone, MilestoneState
from tests import checkout_support
from tests.factories import make_business, make_creator

_n = itertools.count(1)
VISA = checkout_support.VISA
DECLINED = checkout_support.DECLINED_AT_CHARGE
pay_milestone = checkout_support.pay_milestone


def make_contract(
    session: Session,
    *,
    amount: int = 10_000,
    currency: str = "USD",
    business: User | None = None,
    creator: User | None = None,
) -> Contract:
    creator = creator or make_creator(session)
    business = business or make_business(session)
    offer = Offer(
        creator_id=creator.id,
        kind=OfferKind.SERVICE,
        status=OfferStatus.PUBLISHED,
        title=f"Logo design {next(_n)}",
        description="A logo.",
        category="design",
        currency=currency,
    )
    offer.packages.append(
        ServicePackage(tier="basic", price_minor=amount, delivery_days=5, includes="1 logo")
    )
    session.add(offer)
    session.flush()
    return contracts.create_from_package(session, offer, "basic", business=business)


def first_milestone(session: Session, contract: Contract) -> Milestone:
    return services.milestones_of(session, contract.id)[0]


def funded_milestone(session: Session, gateway: PaymentGateway, **kwargs: Any) -> Milestone:
    contract = make_contract(session, **kwargs)
    milestone = first_milestone(session, contract)
    pay_milestone(session, gateway, milestone.id, contract.business, VISA)
    return milestone


def delivered_milestone(session: Session, gateway: PaymentGateway, **kwargs: Any) -> Milestone:
    milestone = funded_milestone(session, gateway, **kwargs)
    services.deliver(
        session,
        milestone.id,
        creator=milestone.contract.creator,
        message="Here it is",
        files=["logo.svg"],
    )
    return milestone


def onboard(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess, creator: User
) -> str:
    link = services.start_onboarding(
        session,
        gateway,
        creator=creator,
        refresh_url="http://localhost/refresh",
        return_url="http://localhost/return",
        country="FR",
    )
    emulator.complete_onboarding(link.account_id)
    services.refresh_account(session, gateway, link.account_id)
    return link.account_id


def paid_out_milestone(
    session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> Milestone:
    """A 100.00 milestone delivered, accepted and paid out to an onboarded creator after its
    clearance hold (the test's clock must be frozen: it moves 9 days), committed."""
    milestone = delivered_milestone(session, gateway, amount=10_000)
    onboard(session, gateway, emulator, milestone.contract.creator)
    services.accept(session, milestone.id, business=milestone.contract.business)
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    session.refresh(milestone)
    assert milestone.state == MilestoneState.PAID_OUT
    session.commit()
    return milestone


def event_count(session: Session) -> int:
    rows = select(func.count()).select_from(AuditEvent)
    return session.scalar(rows.where(AuditEvent.subject_type == "milestone")) or 0


def stripe_client(emulator: EmulatorProcess) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_payments", base_addresses={"api": emulator.api_base}, max_network_retries=0
    )


def assert_ledger_ok(session: Session) -> None:
    report = ledger.check(session)
    assert report.ok, report.problems
