"""Contests through the browser pages: create, pay the prize with a test card (emulator),
enter, pick finalists and the winner."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.contests.models import Contest, ContestAward, ContestEntry
from app.payments import ledger
from tests.checkout_support import DECLINED, VISA, pay_page
from tests.factories import login, make_business, make_creator

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _counts(session: Session) -> tuple:
    session.expire_all()
    return (
        *(
            session.scalar(select(func.count()).select_from(model))
            for model in (Contest, ContestEntry, ContestAward, AuditEvent)
        ),
        ledger.snapshot(session),
    )


def _switch(client, user) -> None:
    client.post("/logout")
    login(client, user)


FORM = {
    "title": "Logo for a roastery",
    "description": "A bold, simple mark.",
    "category": "Design & Creative",
    "prize": "300",
    "currency": "USD",
    "deadline": "2026-03-12T09:00",
    "judging_days": "5",
}


def _open_contest(session: Session, client) -> tuple[Contest, object]:
    business = make_business(session)
    login(client, business)
    assert client.get("/contests/new").status_code == 200
    created = client.post("/contests/new", data=FORM)
    assert created.status_code == 303, created.text[:800]
    contest = session.scalars(select(Contest).where(Contest.business_id == business.id)).one()
    assert created.headers["Location"].endswith(f"/contests/{contest.id}/fund")
    assert 'id="card-element"' in client.get(f"/contests/{contest.id}/fund").text
    paid = pay_page(client, f"/contests/{contest.id}/fund", VISA)
    assert paid.status_code == 303, paid.text[:800]
    assert paid.headers["Location"].endswith(f"/contests/{contest.id}")
    session.expire_all()
    assert session.get(Contest, contest.id).state == "open"
    assert ledger.balance(session, ledger.escrow_contest(contest.id), "USD") == 30_000
    return contest, business


def test_create_fund_enter_and_award(session, client, frozen) -> None:
    contest, business = _open_contest(session, client)
    cid = contest.id
    client.post("/logout")
    board = client.get("/contests")
    assert board.status_code == 200 and "Logo for a roastery" in board.text
    public = client.get(f"/contests/{cid}")
    assert (
        public.status_code == 200 and "$300.00" in public.text and "Sign in to enter" in public.text
    )
    entrants = []
    for i in range(2):
        creator = make_creator(session)
        login(client, creator)
        entered = client.post(
            f"/contests/{cid}/entries",
            data={"text": f"Concept {i}", "file": (io.BytesIO(b"<svg/>"), f"logo{i}.svg")},
            content_type="multipart/form-data",
        )
        assert entered.status_code == 303, entered.text[:800]
        page = client.get(f"/contests/{cid}")
        # A creator sees their own entry only, never another entrant's.
        assert f"Concept {i}" in page.text and f"Concept {1 - i}" not in page.text
        twice = client.post(f"/contests/{cid}/entries", data={"text": "again"})
        assert twice.status_code == 409
        entrants.append(creator)
        client.post("/logout")
    entries = session.scalars(select(ContestEntry).where(ContestEntry.contest_id == cid)).all()
    login(client, business)
    page = client.get(f"/contests/{cid}")
    assert "Concept 0" in page.text and "Concept 1" in page.text
    download = client.get(f"/contests/{cid}/entries/{entries[0].id}/file")
    assert download.data == b"<svg/>" and "attachment" in download.headers["Content-Disposition"]
    picked = client.post(f"/contests/{cid}/finalists", data={"entry_ids": [str(entries[0].id)]})
    assert picked.status_code == 303, picked.text[:800]
    early = client.post(f"/contests/{cid}/winner", data={"entry_id": str(entries[0].id)})
    assert early.status_code == 409  # the winner is picked after the deadline
    clock.advance(timedelta(days=10))
    won = client.post(f"/contests/{cid}/winner", data={"entry_id": str(entries[0].id)})
    assert won.status_code == 303, won.text[:800]
    session.expire_all()
    assert session.get(Contest, cid).state == "awarded"
    award = session.scalars(select(ContestAward).where(ContestAward.contest_id == cid)).one()
    assert award.creator_id == entrants[0].id
    assert ledger.check(session).ok


def test_declined_card_and_bad_input_change_nothing(session, client, frozen) -> None:
    business = make_business(session)
    login(client, business)
    before = _counts(session)
    bad = client.post(
        "/contests/new", data={**FORM, "prize": "0.5", "deadline": "2026-03-02T09:30"}
    )
    assert (
        bad.status_code == 422
        and 'id="prize-error"' in bad.text
        and 'id="deadline-error"' in bad.text
    )
    assert _counts(session) == before
    client.post("/contests/new", data=FORM)
    contest = session.scalars(select(Contest).where(Contest.business_id == business.id)).one()
    before = _counts(session)
    declined = pay_page(client, f"/contests/{contest.id}/fund", DECLINED)
    assert declined.headers["Location"].endswith(f"/contests/{contest.id}/fund")
    assert "declined" in client.get(declined.headers["Location"]).text
    # No card is ever posted to us.
    assert (
        client.post(f"/contests/{contest.id}/fund", data={"card_number": VISA}).status_code == 405
    )
    session.expire_all()
    assert session.get(Contest, contest.id).state == "draft"
    assert _counts(session) == before


def test_drafts_are_private_and_non_owners_get_404(session, client, frozen) -> None:
    contest, business = _open_contest(session, client)
    client.post("/contests/new", data=FORM)
    draft = session.scalars(
        select(Contest).where(Contest.business_id == business.id, Contest.state == "draft")
    ).one()
    creator = make_creator(session)
    _switch(client, creator)
    client.post(f"/contests/{contest.id}/entries", data={"text": "Mine"})
    entry = session.scalars(select(ContestEntry).where(ContestEntry.contest_id == contest.id)).one()
    intruder = make_business(session)
    intruder.is_creator = True
    _switch(client, intruder)
    before = _counts(session)
    assert client.get(f"/contests/{draft.id}").status_code == 404
    assert client.get(f"/contests/{draft.id}/fund").status_code == 404
    assert client.get(f"/contests/{draft.id}/fund").status_code == 404
    assert client.post(f"/contests/{draft.id}/entries", data={"text": "x"}).status_code == 404
    page = client.get(f"/contests/{contest.id}")
    assert page.status_code == 200 and "Mine" not in page.text  # entries stay private
    assert client.get(f"/contests/{contest.id}/entries/{entry.id}/file").status_code == 404
    data = {"entry_ids": [str(entry.id)]}
    assert client.post(f"/contests/{contest.id}/finalists", data=data).status_code == 404
    data = {"entry_id": str(entry.id)}
    assert client.post(f"/contests/{contest.id}/winner", data=data).status_code == 404
    assert _counts(session) == before
    client.post("/logout")
    assert client.get(f"/contests/{draft.id}").status_code == 404
    assert "Logo for a roastery" in client.get("/contests").text


def test_entries_after_the_deadline_are_refused(session, client, frozen) -> None:
    contest, _business = _open_contest(session, client)
    _switch(client, make_creator(session))
    clock.advance(timedelta(days=10))
    before = _counts(session)
    late = client.post(f"/contests/{contest.id}/entries", data={"text": "Late"})
    assert late.status_code == 409 and "no longer takes entries" in late.text
    assert _counts(session) == before
