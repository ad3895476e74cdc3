"""Bad input gets a clear typed error / 4xx, and the ledger (and Stripe) stay untouched."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import Milestone, MilestoneState
from tests.checkout_support import pay_milestone
from tests.factories import make_business
from tests.stripe_support import event_payload, sign

from .helpers import (
    VISA,
    delivered_milestone,
    first_milestone,
    funded_milestone,
    make_contract,
)


@pytest.mark.parametrize("amount", [0, -100])
def test_non_positive_amounts(session: Session, amount: int) -> None:
    contract = make_contract(session, amount=10_000)
    before = ledger.snapshot(session)
    plans = [services.MilestonePlan("A", 10_000 - amount), services.MilestonePlan("B", amount)]
    with pytest.raises(ValidationFailed) as caught:
        services.split(session, contract.id, plans, actor=contract.business)
    assert "milestones.1.amount" in caught.value.errors
    savepoint = session.begin_nested()
    with pytest.raises(IntegrityError):  # the CHECK constraint backs the service up
        session.add(
            Milestone(
                contract_id=contract.id, position=9, title="x", amount_minor=amount, currency="USD"
            )
        )
        session.flush()
    savepoint.rollback()
    assert ledger.snapshot(session) == before


def test_split_must_keep_the_total(session: Session) -> None:
    contract = make_contract(session, amount=10_000)
    with pytest.raises(ValidationFailed):
        services.split(
            session, contract.id, [services.MilestonePlan("A", 9_999)], actor=contract.business
        )


def test_wrong_currency_is_refused_before_any_stripe_call(
    session: Session, gateway: PaymentGateway
) -> None:
    contract = make_contract(session, currency="JPY")
    milestone = first_milestone(session, contract)
    before = ledger.snapshot(session)
    with pytest.raises(ValidationFailed):
        services.fund(session, gateway, milestone.id, business=contract.business)
    assert milestone.payment_intent_id is None and ledger.snapshot(session) == before


def test_fund_someone_elses_milestone(session: Session, gateway: PaymentGateway) -> None:
    milestone = first_milestone(session, make_contract(session))
    stranger = make_business(session)
    before = ledger.snapshot(session)
    with pytest.raises(PermissionDenied):
        pay_milestone(session, gateway, milestone.id, stranger, VISA)
    assert milestone.payment_intent_id is None  # no PaymentIntent was created
    assert milestone.state == MilestoneState.PENDING and ledger.snapshot(session) == before
    with pytest.raises(NotFound):
        services.fund(session, gateway, 10**9, business=stranger)


def test_release_twice_and_deliver_by_the_wrong_party(
    session: Session, gateway: PaymentGateway
) -> None:
    milestone = delivered_milestone(session, gateway)
    business = milestone.contract.business
    services.accept(session, milestone.id, business=business)
    before = ledger.snapshot(session)
    with pytest.raises(InvalidTransition):
        services.accept(session, milestone.id, business=business)
    assert ledger.snapshot(session) == before
    with pytest.raises(PermissionDenied):
        services.deliver(session, milestone.id, creator=business, message="hi")
    with pytest.raises(InvalidTransition):
        services.fund(session, gateway, milestone.id, business=business)


def test_webhook_bad_signature_unknown_type_and_unknown_object(
    client: FlaskClient, session: Session, gateway: PaymentGateway
) -> None:
    milestone = funded_milestone(session, gateway)
    session.commit()  # as after the funding request; a 4xx below rolls back only its own work
    before = ledger.snapshot(session)
    payload = event_payload(
        "evt_bad",
        "payment_intent.succeeded",
        {"id": milestone.payment_intent_id, "object": "payment_intent"},
    )
    bad = client.post(
        "/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, secret="whsec_wrong")},
    )
    assert bad.status_code == 400
    assert client.post("/stripe/webhook", data=payload).status_code == 400  # no signature
    tampered = payload.replace(b"evt_bad", b"evt_bae")
    assert (
        client.post(
            "/stripe/webhook", data=tampered, headers={"Stripe-Signature": sign(payload)}
        ).status_code
        == 400
    )

    unknown = event_payload("evt_unknown_type", "invoice.paid", {"id": "in_1"})
    response = client.post(
        "/stripe/webhook", data=unknown, headers={"Stripe-Signature": sign(unknown)}
    )
    assert response.status_code == 200 and response.get_json() == {"status": "ignored"}

    ghost = event_payload("evt_ghost", "payment_intent.succeeded", {"id": "pi_doesnotexist"})
    response = client.post("/stripe/webhook", data=ghost, headers={"Stripe-Signature": sign(ghost)})
    assert response.status_code == 400
    assert ledger.snapshot(session) == before
