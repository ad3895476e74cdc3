"""Influencer campaigns through the browser pages, funded with a test card via the emulator."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.campaigns.models import Campaign, CampaignViolation
from app.payments import ledger
from app.payments.models import Milestone
from tests.checkout_support import VISA, pay_page
from tests.factories import login, make_business, make_user, published_influencer_offer

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD = "New roast is out ☕ #ad"
URL = "https://www.instagram.com/p/Cx123abc/"


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


def _counts(session: Session) -> tuple:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)),
        session.scalar(select(func.count()).select_from(CampaignViolation)),
        session.scalar(select(func.count()).select_from(Campaign)),
        ledger.snapshot(session),
    )


def _switch(client, user) -> None:
    client.post("/logout")
    login(client, user)


def _ordered(session: Session, client) -> dict:
    offer = published_influencer_offer(session)
    business = make_business(session)
    login(client, business)
    page = client.get(f"/offers/{offer.id}")
    assert "Order sponsored content" in page.text
    response = client.post(f"/offers/{offer.id}/sponsor", data={"deliverables": ["post", "story"]})
    assert response.status_code == 303, response.text[:500]
    campaign = session.scalars(select(Campaign).where(Campaign.offer_id == offer.id)).one()
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}")
    return {"c": campaign, "business": business, "creator": offer.creator, "offer": offer}


def _funded_with_draft(session: Session, client, caption: str = GOOD) -> dict:
    ctx = _ordered(session, client)
    c = ctx["c"]
    page = client.get(f"/campaigns/{c.id}")
    assert f'href="/milestones/{c.milestone_id}/fund"' in page.text
    funded = pay_page(client, f"/milestones/{c.milestone_id}/fund", VISA)
    assert funded.status_code == 303, funded.text[:500]
    _switch(client, ctx["creator"])
    drafted = client.post(
        f"/campaigns/{c.id}/draft",
        data={
            "text": "Reel script",
            "caption": caption,
            "file": (io.BytesIO(b"draft bytes"), "draft.txt"),
        },
        content_type="multipart/form-data",
    )
    assert drafted.status_code == 303, drafted.text[:800]
    _switch(client, ctx["business"])
    return ctx


def test_full_flow_through_the_pages(session, client, frozen) -> None:
    ctx = _funded_with_draft(session, client)
    cid = ctx["c"].id
    page = client.get(f"/campaigns/{cid}")
    assert "Reel script" in page.text and "Approve the draft" in page.text
    download = client.get(f"/campaigns/{cid}/draft-file")
    assert (
        download.data == b"draft bytes" and "attachment" in download.headers["Content-Disposition"]
    )
    changes = client.post(f"/campaigns/{cid}/request-changes", data={"note": "Warmer"})
    assert changes.status_code == 303
    _switch(client, ctx["creator"])
    assert "Changes requested: Warmer" in client.get(f"/campaigns/{cid}").text
    again = client.post(f"/campaigns/{cid}/draft", data={"text": "Script v2", "caption": GOOD})
    assert again.status_code == 303
    _switch(client, ctx["business"])
    assert client.post(f"/campaigns/{cid}/approve").status_code == 303
    _switch(client, ctx["creator"])
    posted = client.post(f"/campaigns/{cid}/post", data={"post_url": URL, "caption": GOOD})
    assert posted.status_code == 303, posted.text[:800]
    assert "/campaigns" in client.get("/campaigns").text
    _switch(client, ctx["business"])
    reported = client.post(
        f"/campaigns/{cid}/violations",
        data={"kind": "content_changed", "detail": "Caption edited after posting"},
    )
    assert reported.status_code == 303
    assert "Caption edited after posting" in client.get(f"/campaigns/{cid}").text
    confirmed = client.post(f"/campaigns/{cid}/confirm")
    assert confirmed.status_code == 303
    session.expire_all()
    campaign = session.get(Campaign, cid)
    assert campaign.state == "completed"
    assert session.get(Milestone, campaign.milestone_id).state == "released"
    assert ledger.check(session).ok
    listing = client.get("/campaigns")
    assert f"/campaigns/{cid}" in listing.text


def test_missing_disclosure_shows_the_error_and_changes_nothing(session, client, frozen) -> None:
    ctx = _funded_with_draft(session, client, caption="New roast is out")
    cid = ctx["c"].id
    before = _counts(session)
    refused = client.post(f"/campaigns/{cid}/approve")
    assert refused.status_code == 422
    assert 'id="draft-caption-error" class="field-error"' in refused.text
    assert _counts(session) == before
    session.expire_all()
    assert session.get(Campaign, cid).state == "draft_submitted"


def test_bad_live_url_is_422_next_to_the_field(session, client, frozen) -> None:
    ctx = _funded_with_draft(session, client)
    cid = ctx["c"].id
    client.post(f"/campaigns/{cid}/approve")
    _switch(client, ctx["creator"])
    before = _counts(session)
    bad = client.post(
        f"/campaigns/{cid}/post", data={"post_url": "https://evil.example/x", "caption": GOOD}
    )
    assert bad.status_code == 422 and 'id="post_url-error"' in bad.text
    assert _counts(session) == before


def test_non_parties_get_404_and_nothing_changes(session, client, frozen) -> None:
    ctx = _funded_with_draft(session, client)
    cid = ctx["c"].id
    intruder = make_business(session)
    intruder.is_creator = True
    _switch(client, intruder)
    before = _counts(session)
    assert client.get(f"/campaigns/{cid}").status_code == 404
    assert client.get(f"/campaigns/{cid}/draft-file").status_code == 404
    for action, data in (
        ("approve", {}),
        ("confirm", {}),
        ("request-changes", {"note": "x"}),
        ("draft", {"caption": GOOD, "text": "x"}),
        ("post", {"post_url": URL, "caption": GOOD}),
        ("violations", {"kind": "content_changed", "detail": "x"}),
    ):
        assert client.post(f"/campaigns/{cid}/{action}", data=data).status_code == 404, action
    assert f"/campaigns/{cid}" not in client.get("/campaigns").text
    assert _counts(session) == before
    # Moderators may look, read-only.
    _switch(client, make_user(session, moderator=True))
    assert client.get(f"/campaigns/{cid}").status_code == 200
    assert client.post(f"/campaigns/{cid}/approve").status_code == 403
    assert _counts(session) == before
