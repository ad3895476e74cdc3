"""POST /stripe/webhook with signed payloads (the emulator's signing scheme), via the test
client: verified, stored once, re-fetched, tolerant of duplicates and out-of-order events."""

from __future__ import annotations

import uuid

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.devtools.stripe_emulator import EmulatorProcess
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount, MilestoneState
from tests.stripe_support import CONNECT_WEBHOOK_SECRET, WEBHOOK_SECRET, event_payload, sign

from .helpers import (
    assert_ledger_ok,
    first_milestone,
    funded_milestone,
    make_contract,
    stripe_client,
)


def post_event(  # type: ignore[no-untyped-def]
    client: FlaskClient,
    event_type: str,
    obj: dict,
    event_id: str | None = None,
    *,
    account: str | None = None,
    livemode: bool = False,
):
    """Post a signed event: a platform event, or with ``account`` a connected account's event
    to the Connect endpoint (signed with the Connect secret)."""
    payload = event_payload(
        event_id or f"evt_{uuid.uuid4().hex}", event_type, obj, account=account, livemode=livemode
    )
    path, secret = (
        ("/stripe/connect-webhook", CONNECT_WEBHOOK_SECRET)
        if account
        else ("/stripe/webhook", WEBHOOK_SECRET)
    )
    return client.post(
        path,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload, secret)},
    )


def test_payment_succeeded_funds_once_despite_duplicates_and_late_events(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    contract = make_contract(session, amount=7_500)
    milestone = first_milestone(session, contract)
    intent = services.fund(session, gateway, milestone.id, business=contract.business)
    stripe = stripe_client(emulator)  # the browser's part: Stripe.js confirms the payment
    stripe.v1.payment_intents.update(intent.payment_intent_id, {"payment_method": "pm_card_visa"})
    stripe.v1.payment_intents.confirm(intent.payment_intent_id)
    assert milestone.state == MilestoneState.PENDING

    # Out of order: the (stale) failure event arrives first; re-fetching shows success.
    late = post_event(
        client,
        "payment_intent.payment_failed",
        {"id": intent.payment_intent_id, "object": "payment_intent"},
    )
    assert late.status_code == 200
    session.refresh(milestone)
    assert milestone.state == MilestoneState.FUNDED
    entries = ledger.snapshot(session)

    event_id = f"evt_{uuid.uuid4().hex}"
    obj = {"id": intent.payment_intent_id, "object": "payment_intent", "status": "succeeded"}
    first = post_event(client, "payment_intent.succeeded", obj, event_id)
    again = post_event(client, "payment_intent.succeeded", obj, event_id)
    assert first.status_code == again.status_code == 200
    assert again.get_json() == {"status": "duplicate"}
    assert ledger.snapshot(session) == entries
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 7_500
    assert_ledger_ok(session)


def test_dispute_freezes_the_milestone(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = funded_milestone(session, gateway)
    dispute = emulator.open_dispute(str(milestone.charge_id))
    # The payload is not trusted: the handler re-fetches the dispute from Stripe.
    payload = {"id": dispute["id"], "object": "dispute", "charge": "ch_forged"}
    response = post_event(client, "charge.dispute.created", payload)
    assert response.status_code == 200, response.get_json()
    session.refresh(milestone)
    assert milestone.state == MilestoneState.DISPUTED
    before = ledger.snapshot(session)
    again = post_event(client, "charge.dispute.funds_withdrawn", payload)
    assert again.status_code == 200
    assert ledger.snapshot(session) == before
    forged = post_event(client, "charge.dispute.created", {"id": "dp_forged", "object": "dispute"})
    assert forged.status_code == 400
    assert ledger.snapshot(session) == before


def test_refund_made_in_the_dashboard_is_booked(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    milestone = funded_milestone(session, gateway, amount=4_000)
    stripe_client(emulator).v1.refunds.create({"charge": milestone.charge_id})
    response = post_event(
        client, "charge.refunded", {"id": milestone.charge_id, "object": "charge"}
    )
    assert response.status_code == 200
    session.refresh(milestone)
    assert milestone.state == MilestoneState.REFUNDED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    assert_ledger_ok(session)


def test_account_updated_marks_payout_readiness(
    client: FlaskClient, session: Session, gateway: PaymentGateway, emulator: EmulatorProcess
) -> None:
    contract = make_contract(session)
    link = services.start_onboarding(
        session,
        gateway,
        creator=contract.creator,
        refresh_url="http://x/r",
        return_url="http://x/ok",
    )
    assert not session.get(ConnectedAccount, contract.creator_id).ready  # type: ignore[union-attr]
    emulator.complete_onboarding(link.account_id)
    obj = {"id": link.account_id, "object": "account"}
    # Connect events are refused on the platform endpoint, and the reverse.
    wrong = client.post(
        "/stripe/webhook",
        data=(
            payload := event_payload(
                "evt_wrong_side", "account.updated", obj, account=link.account_id
            )
        ),
        content_type="application/json",
        headers={"Stripe-Signature": sign(payload)},
    )
    assert wrong.status_code == 400
    live = post_event(client, "account.updated", obj, account=link.account_id, livemode=True)
    assert live.status_code == 400  # a live event at a test deployment
    response = post_event(client, "account.updated", obj, account=link.account_id)
    assert response.status_code == 200
    account = session.get(ConnectedAccount, contract.creator_id)
    session.refresh(account)
    assert account is not None and account.ready
