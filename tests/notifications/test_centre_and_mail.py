"""The notification centre (bell, list, mark read), mail preferences, the daily digest and
retries of a failing mail server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, mail
from app.jobs import Job, JobStatus, run_due
from app.notifications import services
from app.notifications.models import Notification
from tests.factories import login, make_brief, make_business, make_creator
from tests.payments.helpers import make_contract

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


@pytest.fixture()
def outbox(app: Flask):  # type: ignore[no-untyped-def]
    box = mail.outbox(app)
    box.clear()
    return box


def _note(session: Session, user_id: int) -> Notification:
    return session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    ).all()[-1]


def test_mail_leaves_only_when_the_job_runs_after_commit(session: Session, outbox) -> None:
    contract = make_contract(session)
    assert list(outbox) == []  # nothing inside the request / transaction
    run_due(session)
    [message] = [m for m in outbox if m.to == contract.creator.email]
    assert message.subject.startswith("New order:")
    assert f"/contracts/{contract.id}" in message.body
    assert message.html is not None and f"/contracts/{contract.id}" in message.html
    assert _note(session, contract.creator_id).emailed_at is not None
    run_due(session)
    assert len([m for m in outbox if m.to == contract.creator.email]) == 1  # not sent twice


def test_failed_mail_is_retried_with_backoff(
    session: Session, app: Flask, outbox, frozen, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = mail.backend(app)
    real_send = backend.send
    calls = {"n": 0}

    def flaky(message: mail.Message) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection refused")
        real_send(message)

    monkeypatch.setattr(backend, "send", flaky)
    contract = make_contract(session)
    run_due(session)
    job = session.scalars(select(Job).where(Job.kind == "notification_email")).one()
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
    assert "connection refused" in job.last_error
    assert [m for m in outbox if m.to == contract.creator.email] == []
    clock.advance(timedelta(minutes=2))
    run_due(session)
    assert [m.to for m in outbox] == [contract.creator.email]
    session.refresh(job)
    assert job.status is JobStatus.DONE


def test_kind_turned_off_by_mail_still_shows_in_the_centre(session: Session, outbox) -> None:
    creator = make_creator(session)
    services.save_preferences(
        session,
        creator.id,
        email_kinds=[k for k in services.KINDS if k != "order_placed"],
        digest=False,
    )
    make_contract(session, creator=creator)
    run_due(session)
    assert [m for m in outbox if m.to == creator.email] == []
    assert services.unread_count(session, creator.id) == 1


def test_daily_digest_gathers_the_day(session: Session, outbox, frozen) -> None:
    creator = make_creator(session)
    services.save_preferences(session, creator.id, email_kinds=list(services.KINDS), digest=True)
    business = make_business(session)
    make_contract(session, creator=creator)
    make_brief(session, business)
    from app.briefs import services as briefs

    briefs.invite_creator(session, make_brief(session, business), creator, business)
    run_due(session)
    assert [m for m in outbox if m.to == creator.email] == []  # waits for 08:00 tomorrow
    clock.advance(timedelta(days=1))
    run_due(session)
    [digest] = [m for m in outbox if m.to == creator.email]
    assert digest.subject == "Your daily summary: 2 updates"
    assert "New order" in digest.body and "invited" in digest.body


def test_unknown_kind_is_refused(session: Session) -> None:
    from app.errors import ValidationFailed

    creator = make_creator(session)
    with pytest.raises(ValidationFailed):
        services.save_preferences(session, creator.id, email_kinds=["nope"], digest=False)


def test_bell_list_open_and_mark_read(session: Session, client) -> None:
    contract = make_contract(session)
    creator = contract.creator
    login(client, creator)
    page = client.get("/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "New order" in html
    assert 'data-unread="1"' in html  # the bell in the layout
    note = _note(session, creator.id)
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 303 and opened.location.endswith(f"/contracts/{contract.id}")
    session.refresh(note)
    assert note.read_at is not None
    assert 'data-unread="0"' in client.get("/notifications").get_data(as_text=True)


def test_nobody_reads_someone_elses_notifications(session: Session, client) -> None:
    contract = make_contract(session)
    note = _note(session, contract.creator_id)
    login(client, contract.business)
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    assert client.post(f"/notifications/{note.id}/open").status_code == 404
    assert "New order" not in client.get("/notifications").get_data(as_text=True)
    session.refresh(note)
    assert note.read_at is None


def test_mark_all_read_and_preferences_page(session: Session, client) -> None:
    creator = make_creator(session)
    make_contract(session, creator=creator)
    make_contract(session, creator=creator)
    login(client, creator)
    assert client.post("/notifications/read-all").status_code == 303
    assert services.unread_count(session, creator.id) == 0
    saved = client.post(
        "/notifications/settings", data={"email": ["delivery", "payout_sent"], "delivery": "digest"}
    )
    assert saved.status_code == 303
    prefs = services.preferences(session, creator.id)
    assert prefs.digest and "order_placed" in prefs.email_off and "delivery" not in prefs.email_off
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'value="payout_sent" checked' in page and 'value="order_placed" checked' not in page
