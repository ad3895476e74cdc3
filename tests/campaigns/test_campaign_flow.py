"""Influencer campaigns end to end over the JSON API, funded through the Stripe emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.campaigns.content import check_post_url, has_disclosure
from app.campaigns.models import Campaign, CampaignViolation
from app.errors import ValidationFailed
from app.jobs import run_due
from app.payments import ledger
from app.payments.models import Milestone, MilestoneState
from tests.checkout_support import VISA, api_pay_milestone
from tests.factories import api_token, make_business, make_user, published_influencer_offer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD = "New roast is out ☕ #ad"
URL = "https://www.instagram.com/p/Cx123abc/"


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _setup(session: Session, client) -> dict:
    offer = published_influencer_offer(session)
    business = make_business(session)
    biz, creator = api_token(session, business), api_token(session, offer.creator)
    response = client.post(
        f"/api/v1/offers/{offer.id}/campaigns",
        json={"deliverables": ["post", "story"]},
        headers=biz,
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["state"] == "ordered" and body["platform"] == "instagram"
    return {"offer": offer, "business": business, "biz": biz, "cr": creator, "c": body}


def _fund(client, ctx) -> None:
    intent, synced = api_pay_milestone(client, ctx["c"]["milestone_id"], ctx["biz"], VISA)
    assert synced["paid"] is True and intent["amount_minor"] == 55_000


def _draft(client, ctx, caption: str = GOOD) -> None:
    response = client.post(
        f"/api/v1/campaigns/{ctx['c']['id']}/draft",
        json={"text": "Reel script", "caption": caption, "file": "draft.mp4"},
        headers=ctx["cr"],
    )
    assert response.status_code == 200, response.json


def _counts(session: Session) -> tuple:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)),
        session.scalar(select(func.count()).select_from(CampaignViolation)),
        ledger.snapshot(session),
    )


def test_full_flow_confirmed_by_business(session, client, frozen) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    # Drafts wait for the money.
    early = client.post(
        f"/api/v1/campaigns/{cid}/draft", json={"caption": GOOD, "text": "x"}, headers=ctx["cr"]
    )
    assert early.status_code == 409
    _fund(client, ctx)
    _draft(client, ctx)
    changes = client.post(
        f"/api/v1/campaigns/{cid}/request-changes", json={"note": "Warmer"}, headers=ctx["biz"]
    )
    assert changes.json["state"] == "changes_requested"
    _draft(client, ctx)
    approved = client.post(f"/api/v1/campaigns/{cid}/approve", headers=ctx["biz"])
    assert approved.status_code == 200 and approved.json["approved_caption"] == GOOD
    posted = client.post(
        f"/api/v1/campaigns/{cid}/post", json={"post_url": URL, "caption": GOOD}, headers=ctx["cr"]
    )
    assert posted.status_code == 200, posted.json
    assert posted.json["state"] == "posted" and posted.json["violations"] == []
    due = datetime.fromisoformat(posted.json["confirm_due_at"])
    assert due == T0 + timedelta(days=3)
    milestone = session.get(Milestone, ctx["c"]["milestone_id"])
    session.refresh(milestone)
    assert milestone.state == MilestoneState.DELIVERED
    done = client.post(f"/api/v1/campaigns/{cid}/confirm", headers=ctx["biz"])
    assert done.json["state"] == "completed"
    session.refresh(milestone)
    assert milestone.state == MilestoneState.RELEASED and milestone.fee_minor == 5_500
    creator_id = ctx["offer"].creator_id
    assert ledger.balance(session, ledger.creator_pending(creator_id), "USD") == 49_500
    assert ledger.check(session).ok


def test_silence_confirms_after_three_days_via_the_job(session, client, gateway, frozen) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    _fund(client, ctx)
    _draft(client, ctx)
    client.post(f"/api/v1/campaigns/{cid}/approve", headers=ctx["biz"])
    client.post(
        f"/api/v1/campaigns/{cid}/post", json={"post_url": URL, "caption": GOOD}, headers=ctx["cr"]
    )
    clock.advance(timedelta(days=2, hours=23))
    run_due(session, gateway)
    assert session.get(Campaign, cid).state == "posted"
    clock.advance(timedelta(hours=1))
    run_due(session, gateway)
    session.expire_all()
    assert session.get(Campaign, cid).state == "completed"
    milestone = session.get(Milestone, ctx["c"]["milestone_id"])
    assert milestone.state == MilestoneState.RELEASED
    assert ledger.balance(session, ledger.escrow(milestone.id), "USD") == 0
    # The payments auto-accept timer of the delivery is a no-op later on.
    clock.advance(timedelta(days=7))
    run_due(session, gateway)
    assert ledger.check(session).ok
    releases = session.scalar(
        select(func.count())
        .select_from(ledger.JournalEntry)
        .where(
            ledger.JournalEntry.kind == "release", ledger.JournalEntry.milestone_id == milestone.id
        )
    )
    assert releases == 1


def test_approval_refused_without_disclosure_and_nothing_changes(session, client, frozen) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    _fund(client, ctx)
    _draft(client, ctx, caption="New roast is out, love it #adventure")
    before = _counts(session)
    refused = client.post(f"/api/v1/campaigns/{cid}/approve", headers=ctx["biz"])
    assert refused.status_code == 422
    assert "disclose" in refused.json["errors"]["caption"][0]
    assert _counts(session) == before
    assert session.get(Campaign, cid).state == "draft_submitted"


def test_posting_before_approval_and_changed_caption_are_recorded(
    session, client, gateway, frozen
) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    _fund(client, ctx)
    _draft(client, ctx)
    early = client.post(
        f"/api/v1/campaigns/{cid}/post",
        json={"post_url": URL, "caption": GOOD + " edited"},
        headers=ctx["cr"],
    )
    assert early.status_code == 200
    kinds = [v["kind"] for v in early.json["violations"]]
    assert kinds == ["posted_before_approval"]
    # Both parties and moderators see the flag; silence does not release the money.
    moderator = make_user(session, moderator=True)
    seen = client.get(f"/api/v1/campaigns/{cid}", headers=api_token(session, moderator))
    assert (
        seen.status_code == 200 and seen.json["violations"][0]["kind"] == "posted_before_approval"
    )
    clock.advance(timedelta(days=4))
    run_due(session, gateway)
    session.expire_all()
    assert session.get(Campaign, cid).state == "posted"
    assert session.get(Milestone, ctx["c"]["milestone_id"]).state == MilestoneState.DELIVERED
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "campaign.violation")
    ).all()
    assert [e.subject_id for e in events] == [cid]


def test_changed_caption_after_approval_is_a_violation(session, client, frozen) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    _fund(client, ctx)
    _draft(client, ctx)
    client.post(f"/api/v1/campaigns/{cid}/approve", headers=ctx["biz"])
    posted = client.post(
        f"/api/v1/campaigns/{cid}/post",
        json={"post_url": URL, "caption": "Buy now!"},
        headers=ctx["cr"],
    )
    assert [v["kind"] for v in posted.json["violations"]] == ["content_changed"]


def test_non_parties_get_404_and_nothing_changes(session, client, frozen) -> None:
    ctx = _setup(session, client)
    cid = ctx["c"]["id"]
    _fund(client, ctx)
    _draft(client, ctx)
    intruder = make_business(session)
    intruder.is_creator = True
    headers = api_token(session, intruder)
    before = _counts(session)
    for path, body in [
        ("approve", None),
        ("request-changes", {"note": "x"}),
        ("draft", {"caption": GOOD, "text": "x"}),
        ("post", {"post_url": URL, "caption": GOOD}),
        ("confirm", None),
        ("violations", {"kind": "content_changed", "detail": "x"}),
    ]:
        response = client.post(f"/api/v1/campaigns/{cid}/{path}", json=body, headers=headers)
        assert response.status_code == 404, (path, response.status_code)
    assert client.get(f"/api/v1/campaigns/{cid}", headers=headers).status_code == 404
    assert _counts(session) == before


def test_disclosure_and_url_rules() -> None:
    assert has_disclosure("Love it #AD", "x")
    assert has_disclosure("Paid partnership with @roastery", "instagram")
    assert has_disclosure("Includes paid promotion", "youtube")
    assert not has_disclosure("Includes paid promotion", "instagram")
    assert not has_disclosure("#adventure time", "tiktok")
    assert check_post_url("https://vm.tiktok.com/ZM123/", "tiktok")
    for bad in (
        "http://instagram.com/p/1",
        "https://instagram.com.evil.example/p/1",
        "https://evil.example/instagram.com/p/1",
        "https://instagram.com/",
        "https://user@instagram.com/p/1",
    ):
        with pytest.raises(ValidationFailed):
            check_post_url(bad, "instagram")
