"""A pledge whose card was saved by Stripe.js counts even if the browser never comes back to
our return page (tab closed after 3-D Secure): Stripe's ``setup_intent.succeeded`` webhook
confirms it by the same rule as the return page, once; ``setup_intent.setup_failed`` tells the
business its card was not saved. The events are the emulator's own (as Stripe sends them)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.devtools.stripe_emulator import EmulatorProcess, unregister_webhook
from app.jobs import run_due
from app.notifications.models import Notification
from app.pools import pledging
from app.pools.models import PledgeState, PoolPledge
from tests.checkout_support import THREE_D_SECURE, stripe_js_confirm
from tests.factories import login, make_business
from tests.payments.helpers import stripe_client
from tests.payments.test_webhooks import post_event
from tests.pools.support import DEADLINE, T0, make_pool
from tests.stripe_support import WEBHOOK_SECRET, LiveServer


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _emulator_event(emulator: EmulatorProcess, event_type: str, setup_intent_id: str) -> dict:
    """The newest event the emulator made for ``setup_intent_id`` (what Stripe delivers)."""
    listed = stripe_client(emulator).v1.events.list({"limit": 100})
    found = [
        e
        for e in (item.to_dict() for item in listed.data)
        if e["type"] == event_type and e["data"]["object"]["id"] == setup_intent_id
    ]
    assert found, "the emulator sent no such event"
    return max(found, key=lambda e: e["created"])


def _saves(session: Session, pledge_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action == "pool_pledge.save",
            AuditEvent.subject_id == pledge_id,
        )
    )


def _notes(session: Session, user_id: int) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)))


def _start(session: Session, gateway, pool, business=None):  # type: ignore[no-untyped-def]
    business = business or make_business(session)
    started, setup = pledging.start_pledge(session, gateway, pool.id, business)
    assert setup is not None
    return started, setup


def test_only_the_webhook_arrives_after_3ds_and_the_pledge_counts_once(
    session: Session, client: FlaskClient, gateway, emulator: EmulatorProcess, frozen
) -> None:
    pool = make_pool(session)
    started, setup = _start(session, gateway, pool)
    # Stripe.js saves the card with 3-D Secure; then the tab is closed: no return page.
    assert stripe_js_confirm(setup.client_secret, THREE_D_SECURE)["status"] == "succeeded"
    assert started.state is PledgeState.SAVING
    event = _emulator_event(emulator, "setup_intent.succeeded", setup.id)
    assert event["data"]["object"]["status"] == "succeeded" and "account" not in event

    answer = post_event(client, event["type"], event["data"]["object"], event["id"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["status"] == f"pool pledge {started.id} saved"
    session.expire_all()
    saved = session.get(PoolPledge, started.id)
    assert saved.state is PledgeState.ACTIVE and saved.payment_method_id
    assert _saves(session, saved.id) == 1
    assert [n.kind for n in _notes(session, pool.creator_id)] == ["pool_pledge"]
    (told,) = _notes(session, saved.business_id)
    assert "counts" in told.title and told.link == f"/pools/{pool.id}"

    # Stripe redelivers, a second event for the same SetupIntent, then the browser comes back
    # after all: the pledge was saved once.
    assert post_event(client, event["type"], event["data"]["object"], event["id"]).json == {
        "status": "duplicate"
    }
    again = post_event(client, event["type"], event["data"]["object"])
    assert again.json["status"] == f"pool pledge {started.id} already active"
    login(client, saved.business)
    back = client.get(f"/pools/pledges/return?setup_intent={setup.id}")
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/pools/{pool.id}")
    session.expire_all()
    assert _saves(session, saved.id) == 1
    assert len(_notes(session, pool.creator_id)) == 1


def test_the_webhook_after_the_return_page_changes_nothing(
    session: Session, client: FlaskClient, gateway, emulator: EmulatorProcess, frozen
) -> None:
    pool = make_pool(session)
    started, setup = _start(session, gateway, pool)
    stripe_js_confirm(setup.client_secret, THREE_D_SECURE)
    pledging.confirm_pledge(session, gateway, setup.id, started.business)
    event = _emulator_event(emulator, "setup_intent.succeeded", setup.id)
    answer = post_event(client, event["type"], event["data"]["object"], event["id"])
    assert answer.json["status"] == f"pool pledge {started.id} already active"
    assert _saves(session, started.id) == 1
    # The browser path does not notify the business (it is on the page, with a flash).
    assert _notes(session, started.business_id) == []


def test_failed_3ds_webhook_keeps_the_pledge_unsaved_and_tells_the_business(
    session: Session, client: FlaskClient, gateway, emulator: EmulatorProcess, frozen
) -> None:
    pool = make_pool(session)
    started, setup = _start(session, gateway, pool)
    failed = stripe_js_confirm(setup.client_secret, THREE_D_SECURE, three_d_secure=False)
    assert failed.get("status") != "succeeded"
    event = _emulator_event(emulator, "setup_intent.setup_failed", setup.id)
    assert event["data"]["object"]["last_setup_error"]["code"] == (
        "setup_intent_authentication_failure"
    )
    answer = post_event(client, event["type"], event["data"]["object"], event["id"])
    assert answer.json["status"] == f"pool pledge {started.id} card not saved"
    session.expire_all()
    pledge = session.get(PoolPledge, started.id)
    assert pledge.state is PledgeState.SAVING and "authentication failed" in pledge.last_error
    (told,) = _notes(session, pledge.business_id)
    assert told.kind == "pool_action_needed" and told.link == f"/pools/{pool.id}/pledge"
    # The business retries on the same SetupIntent; this time the webhook saves it.
    assert stripe_js_confirm(setup.client_secret, THREE_D_SECURE)["status"] == "succeeded"
    event = _emulator_event(emulator, "setup_intent.succeeded", setup.id)
    post_event(client, event["type"], event["data"]["object"], event["id"])
    session.expire_all()
    pledge = session.get(PoolPledge, started.id)
    assert pledge.state is PledgeState.ACTIVE and pledge.last_error == ""


def test_a_webhook_after_the_pool_closed_does_not_revive_the_pledge(
    session: Session, client: FlaskClient, gateway, emulator: EmulatorProcess, frozen
) -> None:
    pool = make_pool(session)
    started, setup = _start(session, gateway, pool)
    stripe_js_confirm(setup.client_secret, THREE_D_SECURE)
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    run_due(session, gateway)  # closes (and fails) the pool: the unsaved pledge is void
    event = _emulator_event(emulator, "setup_intent.succeeded", setup.id)
    answer = post_event(client, event["type"], event["data"]["object"], event["id"])
    assert answer.status_code == 200
    assert answer.json["status"].startswith(f"pool pledge {started.id} not saved")
    session.expire_all()
    assert session.get(PoolPledge, started.id).state is PledgeState.VOID
    assert _saves(session, started.id) == 0


def test_a_forged_setup_intent_event_is_refused(
    session: Session, client: FlaskClient, gateway, emulator: EmulatorProcess, frozen
) -> None:
    answer = post_event(
        client, "setup_intent.succeeded", {"id": "seti_forged0000", "object": "setup_intent"}
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("card", [THREE_D_SECURE])
def test_emulator_delivers_setup_intent_succeeded_to_the_app(
    app: Flask,
    committed: Session,
    live_server: LiveServer,
    gateway,
    emulator: EmulatorProcess,
    card: str,
) -> None:
    hook = f"seti-{uuid.uuid4().hex[:8]}"
    emulator.register_webhook(
        live_server.url + "/stripe/webhook",
        WEBHOOK_SECRET,
        events=["setup_intent.succeeded"],
        webhook_id=hook,
    )
    try:
        session = committed
        pool = make_pool(session, deadline=clock.now() + timedelta(days=3))
        started, setup = _start(session, gateway, pool)
        session.commit()
        assert stripe_js_confirm(setup.client_secret, card)["status"] == "succeeded"
        deadline = time.monotonic() + 15
        state = PledgeState.SAVING
        while time.monotonic() < deadline and state is PledgeState.SAVING:
            time.sleep(0.2)
            session.expire_all()
            state = session.get(PoolPledge, started.id).state
            session.rollback()
        assert state is PledgeState.ACTIVE
    finally:
        unregister_webhook(emulator.api_base, hook)
