"""Demand insights: view counting (owner and bots excluded), funnel, SVG charts, API."""

from __future__ import annotations

from sqlalchemy import func, select

from app.briefs import services as briefs
from app.contracts import services as contracts
from app.insights.models import OfferView
from app.insights.services import is_bot
from tests.factories import (
    INLINE_SCRIPT,
    api_token,
    login,
    make_brief,
    make_business,
    make_creator,
    make_offer,
    make_proposal,
)

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


def _views(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(OfferView)) or 0


def test_views_exclude_owner_and_bots(session, client) -> None:
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    visitor = make_business(session)
    assert client.get(f"/offers/{offer.id}", headers=BROWSER).status_code == 200  # anonymous
    assert _views(session) == 1
    client.get(f"/offers/{offer.id}", headers={"User-Agent": "Googlebot/2.1"})
    client.get(f"/offers/{offer.id}", headers={"User-Agent": ""})
    assert _views(session) == 1
    login(client, creator)  # (same User-Agent as the login: strong session protection)
    assert client.get(f"/offers/{offer.id}").status_code == 200
    assert _views(session) == 1
    client.get(f"/api/v1/offers/{offer.id}", headers={**api_token(session, visitor), **BROWSER})
    assert _views(session) == 2
    client.get("/offers/999999", headers=BROWSER)
    assert _views(session) == 2
    assert is_bot("curl/8.0") and not is_bot(BROWSER["User-Agent"])


def test_insights_page_and_api(session, client) -> None:
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    business = make_business(session)
    brief = make_brief(session, business, skills=["logo design", "Branding"])
    make_brief(
        session,
        business,
        category="Photography",
        skills=["product photos"],
        budget_min_minor=100_000,
        budget_max_minor=300_000,
    )
    proposal = make_proposal(session, brief, creator)
    briefs.shortlist_proposal(session, proposal, business)
    contracts.create_from_package(session, offer, "basic", business=business)
    client.get(f"/offers/{offer.id}", headers=BROWSER)

    api = client.get("/api/v1/insights", headers=api_token(session, creator))
    assert api.status_code == 200
    data = api.json
    assert data["funnel"] == {"viewed": 1, "shortlisted": 1, "hired": 1}
    assert data["offers"] == [{"offer_id": offer.id, "title": offer.title, "views": 1, "hires": 1}]
    assert {"skill": "branding", "briefs": 1} in data["top_skills"]
    assert sum(data["briefs_by_category"]["Design & Creative"]) == 1
    assert {"range": "2,500+", "briefs": 1} in data["budget_ranges"]

    login(client, creator)
    page = client.get("/insights")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<svg") == 5 and "<polyline" in html and "<rect" in html
    assert not INLINE_SCRIPT.search(html) and "style=" not in html

    assert client.get("/api/v1/insights", headers=api_token(session, business)).status_code == 403


def test_a_counted_view_does_not_wait_for_the_wal_flush(session, client) -> None:
    from tests.offers.test_page_statements import counted

    offer = make_offer(session, make_creator(session), status="published")
    session.flush()
    with counted() as statements:
        assert client.get(f"/offers/{offer.id}", headers=BROWSER).status_code == 200
    async_commit = [s for s in statements if "synchronous_commit" in s]
    if session.get_bind().dialect.name == "postgresql":
        assert len(async_commit) == 1
    else:
        assert not async_commit
    path = f"/offers/{offer.id}"
    session.expire_all()  # so that loading the offer would show as a statement
    with counted() as statements:  # a bot is not counted: nothing to relax
        client.get(path, headers={"User-Agent": "Googlebot/2.1"})
    assert not [s for s in statements if "synchronous_commit" in s]
    # (Whether the crawler's page came from the cache is tests/offers/test_page_cache.py's.)
    assert _views(session) == 1
