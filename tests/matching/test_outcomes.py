"""Outcome log: what the recommendations showed a business, and what it did next."""

import pytest
from sqlalchemy import select

from app.briefs import services as briefs
from app.matching.models import RecommendationImpression as Impression
from app.reviews import services as reviews
from tests.factories import (
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
)
from tests.matching.test_recommendations import BACKEND, PHOTO, wedding_brief
from tests.reviews.helpers import settle

pytestmark = pytest.mark.slow


def impressions(session, brief):
    rows = session.scalars(select(Impression).where(Impression.brief_id == brief.id))
    return {row.creator_id: row for row in rows}


def test_page_logs_first_showing_and_every_later_step_of_the_funnel(client, session, matching):
    photographer, developer = make_creator(session), make_creator(session)
    photo_offer = make_offer(session, photographer, status="published", **PHOTO)
    make_offer(session, developer, status="published", **BACKEND)
    business = make_business(session)
    brief = wedding_brief(session, business)
    other_brief = wedding_brief(session, business, title="Photographer for the summer party")
    login(client, business)

    assert client.get(f"/briefs/{brief.id}/recommendations").status_code == 200
    assert client.get(f"/briefs/{brief.id}/recommendations").status_code == 200  # reload
    shown = impressions(session, brief)
    assert set(shown) == {photographer.id, developer.id}  # one row each despite the reload
    first = shown[photographer.id]
    assert (first.rank, shown[developer.id].rank) == (1, 2)
    assert first.offer_id == photo_offer.id and first.surface == "page"
    assert first.policy.startswith("weights-") and first.propensity == 1.0
    assert not first.explored and first.pool == []
    assert {"dense_main", "dense_extra", "lexical", "relevance", "price_fit"} <= set(first.features)
    assert first.score == pytest.approx(shown[photographer.id].score)
    assert first.viewed_at is None and first.invited_at is None

    assert client.get(f"/offers/{photo_offer.id}").status_code == 200
    briefs.invite_creator(session, brief, photographer, business)
    proposal = make_proposal(session, brief, photographer)
    contract = briefs.accept_proposal(session, proposal, business)
    settle(session, contract)
    reviews.submit_review(
        session, contract, business, reviews.ReviewInput(rating=4, text="Lovely photos, on time.")
    )
    session.expire_all()
    row = impressions(session, brief)[photographer.id]
    assert row.viewed_at is not None and row.invited_at is not None
    assert row.proposed_at is not None and row.hired_at is not None
    assert row.review_score == 4
    untouched = impressions(session, brief)[developer.id]
    assert (untouched.viewed_at, untouched.invited_at, untouched.hired_at) == (None, None, None)
    assert impressions(session, other_brief) == {}  # never shown: nothing to mark


def test_api_logs_with_its_surface_and_outcomes_need_an_impression(client, session, matching):
    photographer = make_creator(session)
    make_offer(session, photographer, status="published", **PHOTO)
    business = make_business(session)
    brief = wedding_brief(session, business)
    stranger = make_creator(session)  # found the brief on the board, never recommended
    make_proposal(session, brief, stranger)

    headers = api_token(session, business)
    assert client.get(f"/api/v1/briefs/{brief.id}/matches", headers=headers).status_code == 200
    rows = impressions(session, brief)
    assert set(rows) == {photographer.id} and rows[photographer.id].surface == "api"
    assert stranger.id not in rows


def test_a_business_that_is_not_the_owner_leaves_no_log(client, session, matching):
    make_offer(session, make_creator(session), status="published", **PHOTO)
    brief = make_brief(session, make_business(session))
    login(client, make_business(session))
    assert client.get(f"/briefs/{brief.id}/recommendations").status_code == 404
    assert impressions(session, brief) == {}
