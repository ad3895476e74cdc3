"""The dated exchange-rate table and the country list behind human-readable values."""

from __future__ import annotations

import pytest

from app import countries, fx
from app.briefs.services import BriefInput, validate_brief
from app.errors import ValidationFailed
from app.money import SUPPORTED_CURRENCIES
from app.templating import country_name, label


def test_every_supported_currency_has_a_rate_and_conversion_is_exact_integer_math():
    assert set(SUPPORTED_CURRENCIES) <= set(fx.RATES)
    assert fx.convert(10_000, "USD", "USD") == 10_000
    assert fx.convert(11_600, "USD", "EUR") == 10_000
    assert fx.convert(10_000, "EUR", "GBP") == 8_770
    there = fx.convert(12_345, "GBP", "USD")
    assert isinstance(there, int) and abs(fx.convert(there, "USD", "GBP") - 12_345) <= 1
    with pytest.raises(fx.UnknownCurrency):
        fx.convert(100, "USD", "XYZ")


@pytest.mark.parametrize(
    ("text", "code"),
    [("SE", "SE"), ("se", "SE"), ("Sweden", "SE"), ("germany", "DE"), ("Atlantis", None)],
)
def test_countries_parse_codes_and_names(text, code):
    assert countries.parse(text) == code


def test_templates_name_countries_and_enum_values():
    assert country_name("SE") == "Sweden" and country_name("KR") == "South Korea"
    assert label("stock_media") == "Stock media"


def _brief(**audience):
    return BriefInput(
        title="Sponsored posts for our juice brand",
        description="Three sponsored posts about our cold-pressed juices this summer.",
        category="Marketing & Social Media",
        skills=[],
        offer_kinds=["influencer"],
        budget_min_minor=10_000,
        budget_max_minor=50_000,
        currency="EUR",
        deadline=None,
        **audience,
    )


def test_brief_audience_is_validated_and_regions_become_codes():
    values = validate_brief(_brief(audience_regions=["Germany", "fr", "DE"]))
    assert values["audience_regions"] == ["DE", "FR"]
    with pytest.raises(ValidationFailed) as error:
        validate_brief(
            _brief(
                audience_regions=["Narnia"],
                audience_min_followers=50_000,
                audience_max_followers=1_000,
                audience_min_engagement_bp=20_000,
            )
        )
    assert error.value.errors["audience_regions"] == ["Unknown countries: Narnia."]
    assert "audience_min_engagement_bp" in error.value.errors
