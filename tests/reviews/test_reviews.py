"""Double-blind reviews: hidden until both are in or the 14-day window closes; one per side."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.jobs import Job, run_due
from app.payments.gateway import PaymentGateway
from app.reviews import services
from app.reviews.models import Reputation, Review, Side
from app.reviews.services import AlreadyReviewed, ReviewInput, WindowNotOpen
from app.reviews.window import REVEAL
from tests.factories import api_token, login, make_creator
from tests.payments.helpers import make_contract

from .helpers import paid_contract

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
GOOD = ReviewInput(rating=5, text="Great work, delivered early and clear.", would_work_again=True)
MEH = ReviewInput(rating=2, text="Slow answers and a late delivery.", private_feedback="Rude.")


@pytest.fixture()
def frozen() -> Iterator[None]:
    with clock.frozen_at(T0):
        yield


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Review)) or 0


def test_no_review_before_a_payout_or_the_end_of_the_contract(session: Session, frozen: None):
    contract = make_contract(session)
    with pytest.raises(WindowNotOpen):
        services.submit_review(session, contract, contract.business, GOOD)
    assert _count(session) == 0


def test_reviews_stay_hidden_until_both_are_in(session: Session, frozen: None):
    contract = paid_contract(session)
    business, creator = contract.business, contract.creator
    mine = services.submit_review(session, contract, business, GOOD)
    assert mine.revealed_at is None
    seen_by_creator = services.contract_reviews(session, contract, creator)
    assert seen_by_creator.theirs is not None and not seen_by_creator.theirs_visible
    assert services.received_reviews(session, creator.id, Side.CREATOR) == []
    # The hidden review does not count yet: the creator's score is still neutral on ratings.
    rep = session.get(Reputation, (creator.id, Side.CREATOR))
    assert rep is not None and rep.review_count == 0

    clock.advance(timedelta(days=2))
    services.submit_review(session, contract, creator, MEH)
    assert services.contract_reviews(session, contract, creator).theirs_visible
    assert services.contract_reviews(session, contract, business).theirs_visible
    assert [r.rating for r in services.received_reviews(session, creator.id, Side.CREATOR)] == [5]
    assert [r.rating for r in services.received_reviews(session, business.id, Side.BUSINESS)] == [2]
    assert session.get(Reputation, (creator.id, Side.CREATOR)).review_count == 1


def test_window_closing_reveals_a_lone_review_and_locks_the_other_side_out(
    session: Session, gateway: PaymentGateway, frozen: None
):
    contract = paid_contract(session)
    services.submit_review(session, contract, contract.business, GOOD)
    job = session.scalar(select(Job).where(Job.kind == REVEAL))
    assert job is not None and job.due_at == T0 + timedelta(minutes=4, days=14)
    run_due(session, gateway)  # the notification mails (app.notifications) leave at once

    clock.advance(timedelta(days=13, hours=23))
    assert not services.contract_reviews(session, contract, contract.creator).theirs_visible
    assert run_due(session, gateway).done == 0

    clock.advance(timedelta(hours=2))
    # Computed check: visible even before the timer runs.
    assert services.contract_reviews(session, contract, contract.creator).theirs_visible
    assert run_due(session, gateway).done == 1
    review = session.scalars(select(Review)).one()
    assert review.revealed_at == clock.now()
    rep = session.get(Reputation, (contract.creator_id, Side.CREATOR))
    assert rep is not None and rep.review_count == 1 and rep.rating_average == 5

    with pytest.raises(WindowNotOpen):
        services.submit_review(session, contract, contract.creator, MEH)
    assert _count(session) == 1


def test_one_review_per_reviewer_per_contract(session: Session, frozen: None):
    contract = paid_contract(session)
    services.submit_review(session, contract, contract.business, GOOD)
    with pytest.raises(AlreadyReviewed) as caught:
        services.submit_review(session, contract, contract.business, MEH)
    assert caught.value.status == 409
    assert _count(session) == 1


def test_only_the_parties_can_review(session: Session, frozen: None):
    contract = paid_contract(session)
    outsider = make_creator(session)
    with pytest.raises(Exception) as caught:
        services.submit_review(session, contract, outsider, GOOD)
    assert getattr(caught.value, "status", None) == 404
    assert _count(session) == 0


def test_api_reviews_round_trip(client, session: Session, frozen: None):
    contract = paid_contract(session)
    business_headers = api_token(session, contract.business)
    creator_headers = api_token(session, contract.creator)
    outsider_headers = api_token(session, make_creator(session))
    url = f"/api/v1/contracts/{contract.id}/reviews"

    bad = client.post(url, json={"rating": "5", "text": 3, "extra": 1}, headers=business_headers)
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"rating", "text", "extra"}
    assert (
        client.post(
            url, json={"rating": True, "text": "x" * 20}, headers=business_headers
        ).status_code
        == 422
    )
    assert (
        client.post(url, json={"rating": 6, "text": "x" * 20}, headers=business_headers).status_code
        == 422
    )
    assert (
        client.post(url, json={"rating": 5, "text": "x" * 20}, headers=outsider_headers).status_code
        == 404
    )
    assert client.get(url, headers=outsider_headers).status_code == 404
    assert _count(session) == 0

    body = {"rating": 4, "text": "Good collaboration overall.", "private_feedback": "ok"}
    made = client.post(url, json=body, headers=business_headers)
    assert made.status_code == 201, made.json
    assert made.json["private_feedback"] == "ok" and made.json["rating"] == 4
    again = client.post(url, json=body, headers=business_headers)
    assert again.status_code == 409 and again.json["code"] == "already_reviewed"

    theirs = client.get(url, headers=creator_headers).json
    assert theirs["items"] == [] and theirs["other_review_pending"] is True
    assert theirs["can_review"] is True
    client.post(
        url, json={"rating": 5, "text": "Clear brief, quick payment."}, headers=creator_headers
    )
    theirs = client.get(url, headers=creator_headers).json
    assert {item["rating"] for item in theirs["items"]} == {4, 5}
    other = next(i for i in theirs["items"] if i["reviewer_id"] == contract.business_id)
    # One shape per operation: the fields are there, but the reviewee never sees their values.
    assert other["private_feedback"] is None and other["would_work_again"] is None

    rep = client.get(f"/api/v1/users/{contract.creator_id}/reputation").json
    assert rep["creator"]["review_count"] == 1 and rep["creator"]["rating_average"] == 4
    assert client.get("/api/v1/users/999999/reputation").status_code == 404


def test_review_pages(client, session: Session, frozen: None):
    contract = paid_contract(session)
    login(client, contract.business)
    page = client.get(f"/contracts/{contract.id}")
    assert f"/contracts/{contract.id}/review" in page.get_data(as_text=True)
    assert client.get(f"/contracts/{contract.id}/review").status_code == 200
    bad = client.post(f"/contracts/{contract.id}/review", data={"rating": "5", "text": "short"})
    assert bad.status_code == 422 and _count(session) == 0
    done = client.post(
        f"/contracts/{contract.id}/review",
        data={"rating": "5", "text": "Lovely logo, on time.", "would_work_again": "yes"},
    )
    assert done.status_code == 302 and _count(session) == 1
    profile = client.get(f"/creators/{contract.creator_id}").get_data(as_text=True)
    assert "Lovely logo" not in profile  # still blind
    clock.advance(timedelta(days=15))
    profile = client.get(f"/creators/{contract.creator_id}").get_data(as_text=True)
    assert "Lovely logo" in profile
    reviews_page = client.get(f"/users/{contract.creator_id}/reviews").get_data(as_text=True)
    assert "Lovely logo" in reviews_page
