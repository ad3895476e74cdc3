"""Matching through the app: index freshness, ranking rules, explanations, the API."""

from datetime import timedelta

import pytest

from app import clock
from app.matching import index, services
from app.offers import services as offers
from tests.factories import api_token, make_brief, make_business, make_creator, make_offer

pytestmark = pytest.mark.slow

PHOTO = {
    "title": "Wedding photography and engagement shoots",
    "description": "Documentary wedding photographer covering ceremonies, portraits and "
    "receptions, with edited high-resolution photos delivered in two weeks.",
    "tags": ["wedding photography", "portraits", "Lightroom"],
}
BACKEND = {
    "title": "Python backend and REST API development",
    "description": "I build secure Flask and Django back-ends with PostgreSQL, tests and "
    "deployment pipelines for startups.",
    "tags": ["Python", "Flask", "PostgreSQL"],
}


def wedding_brief(session, business, **overrides):
    values = {
        "title": "Photographer for our wedding in June",
        "description": "We are looking for a wedding photographer to cover the ceremony and "
        "the reception, and to deliver edited portraits.",
        "skills": ["wedding photography"],
        "category": "Photography",
    }
    values.update(overrides)
    return make_brief(session, business, **values)


def ranked_creators(session, brief, limit=10):
    return [r.creator.id for r in services.recommend_creators(session, brief, limit=limit)]


def test_published_offers_are_recommended_and_pausing_or_removing_hides_them(session, matching):
    photographer, developer = make_creator(session), make_creator(session)
    photo_offer = make_offer(session, photographer, status="published", **PHOTO)
    make_offer(session, developer, status="published", **BACKEND)
    draft_author = make_creator(session)
    make_offer(session, draft_author, status="draft", **PHOTO)
    brief = wedding_brief(session, make_business(session))

    ranking = ranked_creators(session, brief)
    assert ranking[0] == photographer.id
    assert draft_author.id not in ranking

    offers.pause(session, photo_offer, photographer)
    assert photographer.id not in ranked_creators(session, brief)
    offers.publish(session, photo_offer, photographer)
    assert ranked_creators(session, brief)[0] == photographer.id
    offers.remove(session, photo_offer, photographer)
    assert photographer.id not in ranked_creators(session, brief)


def test_rebuild_and_snapshot_bump_the_version_and_keep_results(session, matching):
    creator = make_creator(session)
    make_offer(session, creator, status="published", **PHOTO)
    assert index.rebuild(session) == 1
    state_version = index.live_index().version
    assert not index.persist(session)  # nothing changed since the rebuild
    make_offer(session, make_creator(session), status="published", **BACKEND)
    assert index.persist(session)
    assert index.live_index().version == state_version + 1
    assert (matching / "CURRENT").exists()
    brief = wedding_brief(session, make_business(session))
    assert ranked_creators(session, brief)[0] == creator.id


def test_over_budget_creator_ranks_below_an_equal_creator_within_budget(session, matching):
    expensive, affordable = make_creator(session), make_creator(session)
    # Created first, so a pure tie would favour the expensive one (ties break by id).
    make_offer(session, expensive, status="published", **PHOTO, packages=_packages(250_000))
    make_offer(session, affordable, status="published", **PHOTO, packages=_packages(30_000))
    brief = wedding_brief(
        session, make_business(session), budget_min_minor=20_000, budget_max_minor=50_000
    )
    results = services.recommend_creators(session, brief, limit=5)
    order = [r.creator.id for r in results]
    assert order.index(affordable.id) < order.index(expensive.id)
    over = next(r for r in results if r.creator.id == expensive.id)
    assert any("budget" in reason for reason in over.reasons)


def test_offer_kind_not_wanted_ranks_lower(session, matching):
    stock, service = make_creator(session), make_creator(session)
    make_offer(session, stock, kind="stock_media", status="published", **PHOTO)
    make_offer(session, service, kind="service", status="published", **PHOTO)
    brief = wedding_brief(session, make_business(session), offer_kinds=["service"])
    order = ranked_creators(session, brief)
    assert order.index(service.id) < order.index(stock.id)


def test_late_delivery_ranks_lower(session, matching):
    slow, fast = make_creator(session), make_creator(session)
    make_offer(session, slow, status="published", **PHOTO, packages=_packages(30_000, days=60))
    make_offer(session, fast, status="published", **PHOTO, packages=_packages(30_000, days=5))
    brief = wedding_brief(
        session, make_business(session), deadline=clock.now().date() + timedelta(days=14)
    )
    order = ranked_creators(session, brief)
    assert order.index(fast.id) < order.index(slow.id)


def test_explanations_name_terms_that_are_really_shared(session, matching):
    creator = make_creator(session)
    make_offer(session, creator, status="published", **PHOTO)
    brief = wedding_brief(session, make_business(session))
    (best,) = services.recommend_creators(session, brief, limit=1)
    assert best.matched_terms
    offer_text = (PHOTO["title"] + " " + PHOTO["description"] + " ".join(PHOTO["tags"])).lower()
    brief_text = (brief.title + " " + brief.description + " ".join(brief.skills)).lower()
    for term in best.matched_terms:
        assert term.lower()[:5] in offer_text and term.lower() in brief_text
    assert "wedding" in [t.lower() for t in best.matched_terms]


def test_brief_owner_is_not_recommended_to_themselves(session, matching):
    both = make_creator(session)
    both.is_business = True
    make_offer(session, both, status="published", **PHOTO)
    brief = wedding_brief(session, both)
    assert both.id not in ranked_creators(session, brief)


def test_matches_api_for_owner_only(client, session, matching):
    creator = make_creator(session)
    make_offer(session, creator, status="published", **PHOTO)
    owner, other = make_business(session), make_business(session)
    brief = wedding_brief(session, owner)

    response = client.get(
        f"/api/v1/briefs/{brief.id}/matches?limit=3", headers=api_token(session, owner)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["matches"][0]["creator"]["id"] == creator.id
    assert body["matches"][0]["rank"] == 1
    assert "wedding" in [t.lower() for t in body["matches"][0]["matched_terms"]]

    assert client.get(f"/api/v1/briefs/{brief.id}/matches").status_code == 401
    not_yours = client.get(f"/api/v1/briefs/{brief.id}/matches", headers=api_token(session, other))
    assert not_yours.status_code == 404
    assert not_yours.mimetype == "application/problem+json"
    creator_call = client.get(
        f"/api/v1/briefs/{brief.id}/matches", headers=api_token(session, creator)
    )
    assert creator_call.status_code == 403
    bad_limit = client.get(
        f"/api/v1/briefs/{brief.id}/matches?limit=0", headers=api_token(session, owner)
    )
    assert bad_limit.status_code == 400


def test_recommendations_page_for_owner_only(client, session, matching):
    from tests.factories import login

    creator = make_creator(session, headline="Wedding photographer in Lisbon")
    make_offer(session, creator, status="published", **PHOTO)
    owner, other = make_business(session), make_business(session)
    brief = wedding_brief(session, owner)
    login(client, owner)
    page = client.get(f"/briefs/{brief.id}/recommendations")
    assert page.status_code == 200
    assert creator.display_name in page.get_data(as_text=True)
    client.post("/logout")
    login(client, other)
    assert client.get(f"/briefs/{brief.id}/recommendations").status_code == 404


def test_briefs_for_you_ranks_fitting_briefs_first(client, session, matching):
    from tests.factories import login

    photographer = make_creator(session)
    make_offer(session, photographer, status="published", **PHOTO)
    business = make_business(session)
    fitting = wedding_brief(session, business)
    make_brief(
        session,
        business,
        title="Backend developer for our booking API",
        description="Build a Flask REST API with PostgreSQL for restaurant bookings.",
        category="Programming & Tech",
        skills=["Python"],
    )
    suggestions = services.briefs_for_creator(session, photographer)
    assert suggestions[0].brief.id == fitting.id
    login(client, photographer)
    page = client.get("/my/briefs-for-you")
    assert page.status_code == 200 and fitting.title in page.get_data(as_text=True)


def _packages(price_minor, days=5):
    from app.offers.validation import PackageInput

    return [PackageInput("basic", price_minor, days, 1, "Full-day coverage, 300 edited photos")]
