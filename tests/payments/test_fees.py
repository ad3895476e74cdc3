"""The published fee/hold formula: bounds, monotonicity, neutral values, Stripe's window."""

from __future__ import annotations

import math

import pytest

from app.payments import fees

SCORES = [i / 100 for i in range(101)]


def test_neutral_values() -> None:
    terms = fees.terms_for_score(None)
    assert (terms.score, terms.fee_bp, terms.hold_hours) == (0.5, 1000, 8 * 24)
    assert terms.fee_percent == "10.00%" and terms.hold_days == 8
    assert fees.terms_for_score(math.nan).fee_bp == 1000


def test_bounds_and_clamping() -> None:
    assert (fees.fee_bp(0), fees.fee_bp(1)) == (1500, 500)
    assert (fees.hold_hours(0), fees.hold_hours(1)) == (14 * 24, 2 * 24)
    assert fees.fee_bp(-3) == 1500 and fees.fee_bp(7) == 500
    for score in SCORES:
        assert 500 <= fees.fee_bp(score) <= 1500
        assert 48 <= fees.hold_hours(score) <= 14 * 24


def test_monotone_better_reputation_never_costs_more() -> None:
    for low, high in zip(SCORES, SCORES[1:], strict=False):
        assert fees.fee_bp(high) <= fees.fee_bp(low)
        assert fees.hold_hours(high) <= fees.hold_hours(low)
    assert fees.fee_bp(0.25) > fees.fee_bp(0.75)  # continuous, not a step at 0.5


def test_hold_plus_review_window_stays_well_inside_stripe_limit() -> None:
    from app.payments.settings import review_window

    longest = fees.hold(0) + review_window()
    assert longest.days < fees.STRIPE_WINDOW_DAYS / 2


@pytest.mark.parametrize(
    ("amount", "bp", "fee"),
    [
        (10_000, 1000, 1000),
        (1, 1500, 0),
        (3, 1500, 0),
        (4, 1500, 1),
        (999, 1000, 100),
        (12_345, 750, 926),
    ],
)
def test_fee_is_integer_and_rounded_half_up(amount: int, bp: int, fee: int) -> None:
    assert fees.fee_for(amount, bp) == fee
