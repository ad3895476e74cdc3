"""Catalog search by meaning from the search form, and what recommendation cards say."""

from __future__ import annotations

import pytest

from app import fx
from app.matching import services
from tests.factories import make_brief, make_business, make_creator, make_offer

pytestmark = pytest.mark.slow

BOOKKEEPING = {
    "title": "Bookkeeping and monthly reconciliation",
    "description": "Accurate bookkeeping in Xero or QuickBooks: bank reconciliation, expense "
    "categorisation and a monthly profit and loss report for small businesses.",
    "category": "Business & Finance",
    "tags": ["bookkeeping", "Xero", "QuickBooks"],
}
LOGO = {
    "title": "Minimalist logo design",
    "description": "A clean, memorable logo with three concepts and a small brand sheet.",
    "category": "Design & Creative",
    "tags": ["logo design", "branding"],
}
WEDDING = {
    "title": "Wedding photography and portraits",
    "description": "Documentary wedding photography with 400 edited photos in two weeks.",
    "category": "Photography",
    "tags": ["wedding photography", "portraits"],
}


def _titles(html: str) -> list[str]:
    titles = [t for t in (BOOKKEEPING["title"], LOGO["title"], WEDDING["title"]) if t in html]
    return sorted(titles, key=html.index)


@pytest.fixture()
def shelf(session, matching):
    for values in (BOOKKEEPING, LOGO, WEDDING):
        make_offer(session, make_creator(session), status="published", **values)


def test_a_query_ranks_by_meaning_with_relevance_selected(client, shelf):
    html = client.get("/offers?q=brand+identity+for+my+cafe").get_data(as_text=True)
    assert _titles(html)[0] == LOGO["title"]
    assert '<option selected value="relevance">Relevance</option>' in html
    # What the search form sends (sort=relevance) ranks by meaning too.
    sent = client.get("/offers?q=brand+identity+for+my+cafe&sort=relevance&kind=")
    assert _titles(sent.get_data(as_text=True))[0] == LOGO["title"]
    # Without a query, "relevance" lists the newest first.
    assert client.get("/offers?sort=relevance").status_code == 200


def test_a_query_nothing_matches_closely_shows_the_nearest_offers_with_a_note(client, shelf):
    html = client.get("/offers?q=help+me+with+my+taxes&sort=relevance").get_data(as_text=True)
    assert "No offers match “help me with my taxes” closely" in html
    assert _titles(html)[0] == BOOKKEEPING["title"]


def test_a_literal_keyword_hit_is_kept_next_to_the_meaning_ranking(client, shelf):
    html = client.get("/offers?q=QuickBooks").get_data(as_text=True)
    assert BOOKKEEPING["title"] in _titles(html)


def test_cards_show_only_skills_the_brief_asked_for_and_converted_prices(session, matching):
    creator = make_creator(session, skills=["logo design", "illustration", "branding"])
    make_offer(session, creator, status="published", currency="EUR", **LOGO)
    brief = make_brief(session, make_business(session), skills=["logo design"], currency="USD")
    (card,) = services.recommend_creators(session, brief, limit=1)
    assert card.asked_skills == ["logo design"]  # not "branding": the brief never asked
    expected = fx.convert(card.offer.price_from_minor, "EUR", "USD")
    assert card.price_in_brief_currency == expected != card.offer.price_from_minor
    assert any("within budget" in r or "over budget" in r for r in card.reasons)
    assert any(f"({card.offer.price_from_minor / 100:,.2f} EUR)" in r for r in card.reasons)
    assert card.track.review_count == 0 and card.track.level == "New"


def test_influencer_briefs_rank_by_audience_with_reasons(session, matching):
    def influencer(regions, size, engagement_bp):
        return make_offer(
            session,
            make_creator(session),
            kind="influencer",
            status="published",
            audience_regions=regions,
            audience_size=size,
            engagement_rate_bp=engagement_bp,
        )

    fits = influencer(["DE", "AT"], 40_000, 400)
    misses = influencer(["BR"], 2_000_000, 90)
    brief = make_brief(
        session,
        make_business(session),
        offer_kinds=["influencer"],
        audience_regions=["Germany"],
        audience_min_followers=10_000,
        audience_max_followers=100_000,
        audience_min_engagement_bp=200,
    )
    assert brief.audience_regions == ["DE"]
    cards = services.recommend_creators(session, brief, limit=5)
    order = [card.offer.id for card in cards]
    assert order.index(fits.id) < order.index(misses.id)
    good = cards[order.index(fits.id)]
    assert "audience in Germany" in good.reasons
    assert good.components["audience_fit"] == 1.0
    bad = cards[order.index(misses.id)]
    assert "audience outside the regions asked for" in bad.reasons
    assert bad.components["audience_fit"] < 0.5
