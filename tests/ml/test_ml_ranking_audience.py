"""The ranking's audience fit, the far-over-budget penalty and converted-price reasons."""

from __future__ import annotations

from ml.ranking import (
    BriefConstraints,
    CandidateMeta,
    audience_fit,
    business_adjustment,
    far_over_budget,
)

AUDIENCE = BriefConstraints(
    audience_regions=frozenset({"DE", "FR"}),
    followers_min=10_000,
    followers_max=100_000,
    min_engagement_bp=200,
    region_names=(("DE", "Germany"), ("FR", "France")),
)


def test_audience_fit_is_one_when_everything_fits_and_says_why():
    meta = CandidateMeta(
        kind="influencer",
        audience_regions=frozenset({"DE"}),
        audience_size=50_000,
        engagement_bp=350,
    )
    fit, reasons = audience_fit(meta, AUDIENCE)
    assert fit == (0.5 + 1 + 1) / 3
    assert reasons == [
        "audience in Germany",
        "50k followers, within the range asked for",
        "engagement 3.5% (at least the 2.0% asked for)",
    ]


def test_audience_fit_decays_outside_the_range_and_ignores_non_influencers():
    far = CandidateMeta(
        audience_regions=frozenset({"BR"}), audience_size=1_000_000, engagement_bp=50
    )
    fit, _ = audience_fit(far, AUDIENCE)
    assert fit < 0.2
    assert audience_fit(CandidateMeta(), AUDIENCE) == (1.0, [])
    assert audience_fit(far, BriefConstraints()) == (1.0, [])
    adj_far, comps, _ = business_adjustment(far, AUDIENCE)
    adj_none, _, _ = business_adjustment(CandidateMeta(), AUDIENCE)
    assert comps["audience_fit"] == fit and adj_far < adj_none


def test_far_over_budget_costs_extra_and_converted_prices_show_the_listed_one():
    brief = BriefConstraints(budget_max_minor=10_000, currency="USD")
    within = CandidateMeta(price_from_minor=9_000, currency="USD")
    double = CandidateMeta(price_from_minor=45_000, currency="USD")
    assert far_over_budget(within, brief) == 0.0 and far_over_budget(double, brief) == 1.0
    adj_double, comps, _ = business_adjustment(double, brief)
    assert comps["far_over_budget"] == 1.0 and adj_double < -0.4
    converted = CandidateMeta(
        price_from_minor=11_600, currency="USD", listed_price_minor=10_000, listed_currency="EUR"
    )
    _, _, reasons = business_adjustment(converted, brief)
    assert "from ≈ 116.00 USD (100.00 EUR), 16% over budget" in reasons
