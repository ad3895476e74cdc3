"""The reputation formula and where it is used: payout fee/hold, matching, profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import CreatorProfile
from app.matching.documents import candidate_meta
from app.payments import fees
from app.reviews import formula, reputation
from app.reviews.formula import Inputs, Observation
from app.reviews.models import Side
from ml.ranking import business_adjustment
from tests.factories import make_creator, make_offer

from .helpers import add_review, paid_contract

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _ratings(*pairs: tuple[float, int]) -> Inputs:
    """(stars, age in days) pairs."""
    return Inputs(ratings=[Observation(stars, NOW - timedelta(days=age)) for stars, age in pairs])


def test_newcomer_is_exactly_neutral_and_new() -> None:
    result = formula.compute(Inputs(), NOW)
    assert result.score == pytest.approx(0.5)
    assert result.level == "New" and result.rating_average is None


def test_one_five_star_review_does_not_beat_fifty_at_4_8() -> None:
    one = formula.compute(_ratings((5, 0)), NOW)
    fifty = formula.compute(_ratings(*[(5, 0)] * 40, *[(4, 0)] * 10), NOW)  # average 4.8
    assert fifty.rating_average == 4.8 and one.rating_average == 5
    assert one.components["ratings"] < fifty.components["ratings"]
    assert one.score < fifty.score


def test_old_bad_reviews_weigh_less_than_recent_good_ones() -> None:
    recovering = formula.compute(_ratings(*[(1, 720)] * 5, *[(5, 10)] * 5), NOW)
    declining = formula.compute(_ratings(*[(5, 720)] * 5, *[(1, 10)] * 5), NOW)
    assert recovering.rating_average == declining.rating_average == 3
    assert recovering.score > 0.5 > declining.score
    assert formula.decay(NOW - timedelta(days=180), NOW) == pytest.approx(0.5)


def test_levels_follow_the_published_thresholds() -> None:
    top, established, rising = formula.LEVELS
    assert formula.level_for(0.99, top.min_reviews - 1) == "Established"
    assert formula.level_for(top.min_score, top.min_reviews) == "Top"
    assert formula.level_for(top.min_score - 0.01, 100) == "Established"
    assert formula.level_for(0.1, rising.min_reviews) == "Rising"
    assert formula.level_for(0.99, rising.min_reviews - 1) == "New"


def test_disputes_lost_lower_the_score(session: Session) -> None:
    clean, loser = make_creator(session), make_creator(session)
    for creator in (clean, loser):
        for _ in range(3):
            add_review(session, paid_contract(session, creator=creator), rating=5)
    paid_contract(session, creator=clean)
    paid_contract(session, creator=loser, path=("fund", "deliver", "dispute", "refund"))
    clean_rep = reputation.recompute(session, clean.id, Side.CREATOR)
    loser_rep = reputation.recompute(session, loser.id, Side.CREATOR)
    assert loser_rep.components["disputes"] < clean_rep.components["disputes"]
    assert loser_rep.score < clean_rep.score
    # A dispute the creator won does not count against them.
    winner = make_creator(session)
    for _ in range(3):
        add_review(session, paid_contract(session, creator=winner), rating=5)
    paid_contract(
        session, creator=winner, path=("fund", "deliver", "dispute", "resolve_release", "pay_out")
    )
    winner_rep = reputation.recompute(session, winner.id, Side.CREATOR)
    assert winner_rep.components["disputes"] == clean_rep.components["disputes"]


def test_late_deliveries_and_refunds_lower_the_score(session: Session) -> None:
    punctual, late = make_creator(session), make_creator(session)
    paid_contract(session, creator=punctual)
    paid_contract(session, creator=late, late=True)
    paid_contract(session, creator=late, path=("fund", "deliver", "refund"))
    paid_contract(session, creator=punctual)
    a = reputation.recompute(session, punctual.id, Side.CREATOR)
    b = reputation.recompute(session, late.id, Side.CREATOR)
    assert b.components["on_time"] < a.components["on_time"]
    assert b.components["completion"] < a.components["completion"]
    assert b.score < a.score


def test_fee_and_hold_follow_the_stored_score(session: Session) -> None:
    good, bad = make_creator(session), make_creator(session)
    for _ in range(6):
        add_review(session, paid_contract(session, creator=good), rating=5)
        add_review(
            session,
            paid_contract(session, creator=bad, late=True),
            rating=1,
            would_work_again=False,
        )
    reputation.recompute(session, good.id, Side.CREATOR)
    reputation.recompute(session, bad.id, Side.CREATOR)
    good_score = session.get(CreatorProfile, good.id).reputation_score
    bad_score = session.get(CreatorProfile, bad.id).reputation_score
    assert bad_score < 0.5 < good_score
    good_terms, bad_terms = fees.terms_for(session, good.id), fees.terms_for(session, bad.id)
    neutral = fees.terms_for(session, make_creator(session).id)
    assert good_terms.score == pytest.approx(good_score)
    assert good_terms.fee_bp < neutral.fee_bp < bad_terms.fee_bp
    assert good_terms.hold_hours < neutral.hold_hours < bad_terms.hold_hours


def test_matching_ranks_the_higher_reputation_creator_above_an_equal_one(session: Session):
    reviewed, unknown = make_creator(session), make_creator(session)
    for _ in range(4):
        add_review(session, paid_contract(session, creator=reviewed), rating=5)
    reputation.recompute(session, reviewed.id, Side.CREATOR)
    # "unknown" has paid-out work but no reviews: matching keeps the neutral prior.
    paid_contract(session, creator=unknown)
    reputation.recompute(session, unknown.id, Side.CREATOR)
    a = make_offer(session, reviewed, status="published")
    b = make_offer(session, unknown, status="published")
    metas = candidate_meta(session, [a.id, b.id])
    assert metas[b.id].reputation is None
    assert metas[a.id].reputation is not None and metas[a.id].reputation > 0.5
    adj_a = business_adjustment(metas[a.id], None)[0]
    adj_b = business_adjustment(metas[b.id], None)[0]
    assert adj_a > adj_b
    ranked = sorted([a.id, b.id], key=lambda i: -(1.0 + business_adjustment(metas[i], None)[0]))
    assert ranked == [a.id, b.id]


def test_business_reputation_and_recompute_command(app, session: Session) -> None:
    contract = paid_contract(session)
    add_review(session, contract, by_business=False, rating=4)
    session.commit()
    result = app.test_cli_runner().invoke(args=["recompute-reputation"])
    assert result.exit_code == 0 and "Recomputed 2" in result.output
    rep = reputation.reputation_of(session, contract.business_id, Side.BUSINESS)
    assert rep is not None and rep.review_count == 1 and rep.rating_average == 4


def test_reputation_page_publishes_the_constants(client, session: Session) -> None:
    page = client.get("/reputation").get_data(as_text=True)
    for level in formula.LEVELS:
        assert level.name in page and f"{level.min_score:.2f}" in page
        assert f"<td>{level.min_reviews}</td>" in page
    assert f"{int(formula.HALF_LIFE_DAYS)} days" in page
    assert fees.FORMULA_TEXT.split(";")[0] in page


def test_recency_uses_the_clock(session: Session) -> None:
    creator = make_creator(session)
    with clock.frozen_at(NOW - timedelta(days=720)):
        for _ in range(5):
            add_review(session, paid_contract(session, creator=creator), rating=1)
    with clock.frozen_at(NOW):
        for _ in range(5):
            add_review(session, paid_contract(session, creator=creator), rating=5)
        rep = reputation.recompute(session, creator.id, Side.CREATOR)
    assert rep.rating_average == 3 and rep.components["ratings"] > 0.5
