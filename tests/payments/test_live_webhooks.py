"""The emulator delivers signed webhooks over HTTP to the app served on a real port."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

from app.devtools.stripe_emulator import EmulatorProcess
from app.payments import ledger, services
from app.payments.gateway import PaymentGateway
from app.payments.models import ConnectedAccount, Milestone, MilestoneState
from tests.stripe_support import CONNECT_WEBHOOK_SECRET, WEBHOOK_SECRET, LiveServer

from .helpers import assert_ledger_ok, first_milestone, make_contract, stripe_client


def wait_until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_emulator_webhooks_fund_and_onboard(
    app: Flask,
    committed: Session,
    live_server: LiveServer,
    gateway: PaymentGateway,
    emulator: EmulatorProcess,
) -> None:
    hook = f"live-{uuid.uuid4().hex[:8]}"
    emulator.register_webhook(
        live_server.url + "/stripe/webhook",
        WEBHOOK_SECRET,
        events=["payment_intent.succeeded"],
        webhook_id=hook,
    )
    # account.updated of a connected account comes to the Connect endpoint, its own secret.
    emulator.register_webhook(
        live_server.url + "/stripe/connect-webhook",
        CONNECT_WEBHOOK_SECRET,
        events=["account.updated"],
        webhook_id=hook + "-connect",
        connect=True,
    )
    try:
        session = committed
        contract = make_contract(session, amount=12_000)
        milestone_id = first_milestone(session, contract).id
        intent = services.fund(session, gateway, milestone_id, business=contract.business)
        link = services.start_onboarding(
            session,
            gateway,
            creator=contract.creator,
            refresh_url="http://x/r",
            return_url="http://x/ok",
        )
        session.commit()

        stripe = stripe_client(emulator)  # Stripe.js's part, outside the app
        stripe.v1.payment_intents.update(
            intent.payment_intent_id, {"payment_method": "pm_card_visa"}
        )
        stripe.v1.payment_intents.confirm(intent.payment_intent_id)
        emulator.complete_onboarding(link.account_id)

        # Each poll ends its transaction at once: no SQLite lock is held while sleeping.
        def funded() -> bool:
            session.expire_all()
            state = session.get(Milestone, milestone_id).state  # type: ignore[union-attr]
            session.rollback()
            return state == MilestoneState.FUNDED

        def ready() -> bool:
            session.expire_all()
            account = session.get(ConnectedAccount, contract.creator_id)
            is_ready = bool(account and account.ready)
            session.rollback()
            return is_ready

        wait_until(funded)
        wait_until(ready)
        assert ledger.balance(session, ledger.escrow(milestone_id), "USD") == 12_000
        assert_ledger_ok(session)
    finally:
        from app.devtools.stripe_emulator import unregister_webhook

        unregister_webhook(emulator.api_base, hook)
        unregister_webhook(emulator.api_base, hook + "-connect")
