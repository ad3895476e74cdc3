"""Orders, milestones and payouts tell the right person, and nobody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.jobs import Job, run_due
from app.payments import services
from app.payments.settings import review_window
from tests.checkout_support import pay_milestone
from tests.payments.helpers import (
    delivered_milestone,
    first_milestone,
    funded_milestone,
    make_contract,
    onboard,
)

from .helpers import Told

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def test_package_order_tells_the_creator_only(session: Session) -> None:
    told = Told(session)
    contract = make_contract(session)
    assert told.since() == {(contract.creator_id, "order_placed")}


def test_funding_tells_the_creator_only(session: Session, gateway) -> None:
    contract = make_contract(session)
    told = Told(session)
    milestone = first_milestone(session, contract)
    pay_milestone(session, gateway, milestone.id, contract.business)
    assert told.since() == {(contract.creator_id, "order_funded")}


def test_delivery_tells_the_business_and_warns_before_auto_accept(
    session: Session, gateway, frozen
) -> None:
    milestone = funded_milestone(session, gateway)
    contract = milestone.contract
    told = Told(session)
    services.deliver(session, milestone.id, creator=contract.creator, message="Done", files=[])
    assert told.since() == {(contract.business_id, "delivery")}
    # Nothing yet a little before the warning; one reminder a day before the window ends.
    clock.advance(review_window() - timedelta(hours=25))
    run_due(session)
    assert told.since() == set()
    clock.advance(timedelta(hours=2))
    run_due(session)
    assert told.since() == {(contract.business_id, "auto_accept_soon")}
    [note] = [n for n in _all(session) if n.kind == "auto_accept_soon"]
    assert "23 hours" in note.body
    clock.advance(timedelta(days=1))
    run_due(session)  # auto-accepted: the creator hears it, once
    assert told.since() == {(contract.creator_id, "accepted")}


def test_no_reminder_once_the_business_answered(session: Session, gateway, frozen) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    services.accept(session, milestone.id, business=contract.business)
    told = Told(session)
    clock.advance(review_window())
    run_due(session)
    assert "auto_accept_soon" not in {kind for _user, kind in told.since()}


def test_changes_requested_tell_the_creator_only(session: Session, gateway) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    told = Told(session)
    services.request_changes(
        session, milestone.id, business=contract.business, note="Bigger logo please"
    )
    [note] = told.rows()
    assert (note.user_id, note.kind) == (contract.creator_id, "changes_requested")
    assert "Bigger logo please" in note.body


def test_accept_tells_the_creator_only(session: Session, gateway) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    told = Told(session)
    services.accept(session, milestone.id, business=contract.business)
    assert told.since() == {(contract.creator_id, "accepted")}


def test_payout_sent_and_mailed_after_commit(
    session: Session, gateway, emulator, frozen, app
) -> None:
    from app import mail

    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    onboard(session, gateway, emulator, contract.creator)
    services.accept(session, milestone.id, business=contract.business)
    told = Told(session)
    outbox = mail.outbox(app)
    outbox.clear()
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    assert told.since() == {(contract.creator_id, "payout_sent")}
    sent = [m for m in outbox if m.subject.startswith("Payout sent")]
    assert [m.to for m in sent] == [contract.creator.email]
    earnings = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/earnings"
    assert earnings in sent[0].body
    assert sent[0].html and f'href="{earnings}"' in sent[0].html


def test_payout_held_tells_the_creator_once(session: Session, gateway, frozen) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    services.accept(session, milestone.id, business=contract.business)  # not onboarded
    told = Told(session)
    clock.advance(timedelta(days=9))
    run_due(session, gateway)
    assert told.since() == {(contract.creator_id, "payout_held")}
    clock.advance(timedelta(days=2))
    run_due(session, gateway)  # still held for the same reason: no second notification
    assert told.since() == set()


def _all(session: Session):  # type: ignore[no-untyped-def]
    from app.notifications.models import Notification

    return list(session.scalars(select(Notification)))


def test_notify_jobs_are_keyed_per_notification(session: Session) -> None:
    contract = make_contract(session)
    jobs = session.scalars(select(Job).where(Job.kind == "notification_email")).all()
    assert [j.subject_type for j in jobs] == ["notification"]
    assert contract.creator_id


def test_refund_request_tells_the_creator_and_the_refund_tells_the_business(
    session: Session, gateway
) -> None:
    milestone = funded_milestone(session, gateway)
    contract = milestone.contract
    told = Told(session)
    services.request_refund(session, milestone.id, business=contract.business, reason="Too late")
    [note] = told.rows()
    assert (note.user_id, note.kind) == (contract.creator_id, "refund_requested")
    assert "Too late" in note.body
    told.since()
    services.refund(session, gateway, milestone.id, actor=contract.creator, reason="Agreed")
    [note] = told.rows()
    assert (note.user_id, note.kind) == (contract.business_id, "refunded")
    assert "$100.00" in note.body
