"""Briefs, disputes, reviews, negotiations, contests, media and campaigns tell the right
person, and nobody else (one test per notification kind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.briefs import services as briefs
from app.disputes import services as disputes
from app.jobs import run_due
from app.media import services as media
from app.payments import services as payments
from app.reviews import services as reviews
from tests.checkout_support import api_pay_milestone, pay_licence
from tests.contests.test_contest_flow import DEADLINE, _contest, _enter
from tests.disputes.helpers import moderator, open_on, under_review
from tests.factories import (
    api_token,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
    make_user,
    published_influencer_offer,
)
from tests.media.helpers import published_asset, upload
from tests.payments.helpers import delivered_milestone, funded_milestone

from .helpers import Told

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture()
def frozen() -> object:
    with clock.frozen_at(T0):
        yield


# --- briefs ------------------------------------------------------------------------------


def test_invitation_tells_the_invited_creator_only(session: Session) -> None:
    business, creator = make_business(session), make_creator(session)
    brief = make_brief(session, business)
    told = Told(session)
    briefs.invite_creator(session, brief, creator, business)
    assert told.since() == {(creator.id, "invitation")}


def test_proposal_tells_the_business_only(session: Session) -> None:
    business, creator = make_business(session), make_creator(session)
    brief = make_brief(session, business)
    told = Told(session)
    make_proposal(session, brief, creator)
    assert told.since() == {(business.id, "proposal")}


def test_accepting_a_proposal_tells_its_creator_only(session: Session) -> None:
    business, creator, other = make_business(session), make_creator(session), make_creator(session)
    brief = make_brief(session, business)
    proposal = make_proposal(session, brief, creator)
    make_proposal(session, brief, other)
    told = Told(session)
    briefs.accept_proposal(session, proposal, business)
    assert told.since() == {(creator.id, "proposal_accepted")}


# --- disputes ----------------------------------------------------------------------------


def test_dispute_opened_tells_the_other_party_only(session: Session, gateway) -> None:
    milestone = funded_milestone(session, gateway)
    contract = milestone.contract
    told = Told(session)
    open_on(session, milestone, by="business")
    assert told.since() == {(contract.creator_id, "dispute_opened")}


def test_dispute_answered_tells_the_opener_only(session: Session, gateway) -> None:
    milestone = funded_milestone(session, gateway)
    contract = milestone.contract
    dispute = open_on(session, milestone, by="creator")
    told = Told(session)
    disputes.respond(session, dispute.id, user=contract.business, response="We disagree.")
    assert told.since() == {(contract.creator_id, "dispute_answered")}


def test_dispute_decided_tells_both_parties_not_the_moderator(session: Session, gateway) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    dispute = under_review(session, milestone)
    staff = moderator(session)
    told = Told(session)
    disputes.resolve(
        session, gateway, dispute.id, moderator=staff, outcome="release", note="Work delivered."
    )
    found = told.since()
    assert {
        (contract.business_id, "dispute_decided"),
        (contract.creator_id, "dispute_decided"),
    } <= found
    assert staff.id not in {user for user, _kind in found}
    assert {kind for _user, kind in found} <= {"dispute_decided", "accepted"}


# --- reviews -----------------------------------------------------------------------------


def test_review_received_tells_the_reviewee_only(session: Session, gateway) -> None:
    milestone = delivered_milestone(session, gateway)
    contract = milestone.contract
    payments.accept(session, milestone.id, business=contract.business)
    told = Told(session)
    reviews.submit_review(
        session,
        contract,
        contract.business,
        reviews.ReviewInput(rating=5, text="Great work, on time and clear."),
    )
    [note] = told.rows()
    assert (note.user_id, note.kind) == (contract.creator_id, "review_received")
    assert "Great work" not in note.title + note.body  # double-blind: no content leaks


# --- negotiations ------------------------------------------------------------------------


def test_offers_and_counter_offers_tell_the_other_side(session: Session, client) -> None:
    creator, business = make_creator(session), make_business(session)
    offer = make_offer(session, creator, status="published")
    told = Told(session)
    opened = client.post(
        f"/api/v1/offers/{offer.id}/negotiations",
        json={"price_minor": 7_000, "delivery_days": 6, "terms": "Two concepts"},
        headers=api_token(session, business),
    )
    assert opened.status_code == 201, opened.json
    assert told.since() == {(creator.id, "counter_offer")}
    countered = client.post(
        f"/api/v1/negotiations/{opened.json['id']}/counter",
        json={"price_minor": 9_000, "delivery_days": 5, "terms": "Three concepts"},
        headers=api_token(session, creator),
    )
    assert countered.status_code == 200, countered.json
    assert told.since() == {(business.id, "counter_offer")}


# --- contests ----------------------------------------------------------------------------


def test_contest_entry_finalist_and_winner(session: Session, client, gateway, frozen) -> None:
    contest, biz, business = _contest(session, client)
    cid = contest["id"]
    told = Told(session)
    (winner, win_entry), (loser, lose_entry), (third, _third_entry) = _enter(
        session, client, cid, 3
    )
    assert told.since() == {(business.id, "contest_entry")}
    picked = client.post(
        f"/api/v1/contests/{cid}/finalists",
        json={"entry_ids": [win_entry, lose_entry]},
        headers=biz,
    )
    assert picked.status_code == 200, picked.json
    assert told.since() == {(winner.id, "contest_finalist"), (loser.id, "contest_finalist")}
    clock.advance(DEADLINE - T0 + timedelta(minutes=1))
    won = client.post(f"/api/v1/contests/{cid}/winner", json={"entry_id": win_entry}, headers=biz)
    assert won.status_code == 200, won.json
    assert told.since() == {(winner.id, "contest_winner")}
    assert third.id  # entrants who were not picked hear nothing


# --- media -------------------------------------------------------------------------------


def test_media_approved_and_rejected_tell_the_creator_only(session: Session, storage) -> None:
    creator = make_creator(session)
    staff = make_user(session, moderator=True)
    first = upload(session, storage, creator, seed=1)
    second = upload(session, storage, creator, seed=2)
    told = Told(session)
    media.approve(session, first.id, moderator=staff)
    assert told.since() == {(creator.id, "media_approved")}
    media.reject(session, second.id, moderator=staff, reason="Blurry")
    [note] = told.rows()
    assert (note.user_id, note.kind, note.body) == (creator.id, "media_rejected", "Blurry")


def test_licence_sold_tells_the_creator_only(session: Session, storage, gateway) -> None:
    asset = published_asset(session, storage)
    buyer = make_business(session)
    told = Told(session)
    pay_licence(session, gateway, asset.id, buyer)
    assert told.since() == {(asset.creator_id, "licence_sold")}


# --- campaigns ---------------------------------------------------------------------------


def test_campaign_order_draft_and_approval(session: Session, client) -> None:
    offer = published_influencer_offer(session)
    business = make_business(session)
    biz, cr = api_token(session, business), api_token(session, offer.creator)
    told = Told(session)
    ordered = client.post(
        f"/api/v1/offers/{offer.id}/campaigns", json={"deliverables": ["post"]}, headers=biz
    )
    assert ordered.status_code == 201, ordered.json
    assert told.since() == {(offer.creator_id, "order_placed")}
    campaign = ordered.json
    _, synced = api_pay_milestone(client, campaign["milestone_id"], biz)
    assert synced["paid"], synced
    assert told.since() == {(offer.creator_id, "order_funded")}
    drafted = client.post(
        f"/api/v1/campaigns/{campaign['id']}/draft",
        json={"text": "Reel script", "caption": "New roast ☕ #ad", "file": "draft.mp4"},
        headers=cr,
    )
    assert drafted.status_code == 200, drafted.json
    assert told.since() == {(business.id, "campaign_draft")}
    approved = client.post(f"/api/v1/campaigns/{campaign['id']}/approve", headers=biz)
    assert approved.status_code == 200, approved.json
    assert told.since() == {(offer.creator_id, "campaign_approved")}


def test_suspended_users_get_no_mail(session: Session, app) -> None:
    from app import mail
    from app.notifications.services import notify

    creator = make_creator(session)
    creator.suspended_at = clock.now()
    note = notify(
        session, creator.id, "payout_held", title="Held", link="/earnings", subject=("user", 1)
    )
    outbox = mail.outbox(app)
    outbox.clear()
    assert run_due(session).outcomes == ["no recipient"]
    assert [m for m in outbox if m.to == creator.email] == []
    assert note is not None and note.emailed_at is None
    assert isinstance(session.get(User, creator.id), User)
