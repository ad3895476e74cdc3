"""Demand signals: interests (page and API), clusters of similar open briefs and interests by
the real matching encoder, the creator's insights with a pre-filled Start-a-pool link, and the
cluster-to-pool invitation."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from sqlalchemy import func, select

from app import jobs
from app.demand import clusters
from app.demand.invitations import KIND, invite_cluster_businesses
from app.demand.models import Interest
from app.demand.services import InterestInput, express_interest, withdraw_interest
from app.errors import NotFound
from app.notifications.models import Notification
from app.pools.models import DemandPool
from tests.factories import api_token, login, make_brief, make_business, make_creator, make_user

PHOTO = [
    (
        "Product photos for our online shop",
        "White-background product photography for 40 skincare items for our e-commerce store.",
        ["product photography"],
        (20_000, 60_000, "EUR"),
    ),
    (
        "E-commerce product photography",
        "We need clean studio photos of our handmade candles for the web shop.",
        ["product photography", "photo editing"],
        (15_000, 40_000, "EUR"),
    ),
    (
        "Packshots for new jewellery line",
        "Studio packshot photos of rings and necklaces, white background, for Shopify.",
        ["product photography"],
        (30_000, 90_000, "USD"),
    ),
]
LOGO = [
    (
        "Logo for a coffee roastery",
        "We need a modern logo and a small brand sheet for our roastery.",
        ["logo design", "branding"],
        (20_000, 50_000, "USD"),
    ),
    (
        "Brand identity for a bakery",
        "Logo, colour palette and simple brand guidelines for a new artisan bakery.",
        ["logo design", "branding"],
        (25_000, 45_000, "USD"),
    ),
]
OTHERS = [
    (
        "Bookkeeping help for Q3",
        "Monthly bookkeeping and VAT return preparation for a small consultancy.",
        ["bookkeeping"],
        (10_000, 30_000, "GBP"),
    ),
    (
        "Translate our website into German",
        "Translate 20 pages of marketing copy from English to German.",
        ["translation"],
        (10_000, 20_000, "EUR"),
    ),
    (
        "Python script to clean CSV exports",
        "A small Python tool that deduplicates and normalises our CRM CSV exports.",
        ["python", "data cleaning"],
        (10_000, 25_000, "USD"),
    ),
]
CATEGORY = {
    "Product photos for our online shop": "Photography",
    "E-commerce product photography": "Photography",
    "Packshots for new jewellery line": "Photography",
}


def _brief(session: Any, business: Any, spec: tuple) -> Any:
    title, description, skills, (low, high, currency) = spec
    return make_brief(
        session,
        business,
        title=title,
        description=description,
        skills=skills,
        category=CATEGORY.get(title, "Design & Creative"),
        budget_min_minor=low,
        budget_max_minor=high,
        currency=currency,
    )


@pytest.fixture()
def market(session) -> dict[str, Any]:
    """Realistic open briefs from several businesses and one interest, vectors stored by the
    worker's jobs (the real all-MiniLM-L6-v2 encoder)."""
    shop, candles, jewels, roastery, bakery, misc = (make_business(session) for _ in range(6))
    # ``candles`` posts two photo briefs: distinct businesses < members.
    photo = [_brief(session, b, s) for b, s in zip((shop, candles, jewels), PHOTO, strict=True)]
    photo.append(_brief(session, candles, PHOTO[0][:3] + ((50_000, 70_000, "EUR"),)))
    logo = [_brief(session, b, s) for b, s in zip((roastery, bakery), LOGO, strict=True)]
    others = [_brief(session, misc, s) for s in OTHERS]
    fan = make_business(session)  # no brief, only an interest
    interest = express_interest(
        session,
        fan,
        InterestInput(
            category="Photography",
            skill="product photography",
            text="Photos of our products for the online store",
            budget_min_minor=10_000,
            budget_max_minor=80_000,
            currency="EUR",
        ),
    )
    return {
        "photo": photo,
        "logo": logo,
        "others": others,
        "interest": interest,
        "photo_businesses": {shop.id, candles.id, jewels.id, fan.id},
        "logo_businesses": {roastery.id, bakery.id},
        "misc": misc,
        "fan": fan,
    }


def _encode(session) -> None:
    jobs.run_due(session)
    session.expire_all()


def _keys(items: list[Any]) -> set[str]:
    return {f"brief-{b.id}" for b in items}


def test_clusters_group_similar_briefs_and_interests_and_keep_others_apart(session, market) -> None:
    assert clusters.all_clusters(session) == []  # nothing encoded yet: pages never encode
    _encode(session)
    found = clusters.all_clusters(session)
    members = [{m.key for m in c.members} for c in found]
    photo = _keys(market["photo"]) | {f"interest-{market['interest'].id}"}
    assert members == [photo, _keys(market["logo"])]
    for brief in market["others"]:
        assert all(f"brief-{brief.id}" not in m for m in members)

    pics, logos = found
    assert (pics.briefs, pics.interests, pics.businesses) == (4, 1, 4)
    assert pics.business_ids == market["photo_businesses"]
    assert pics.budgets == {"EUR": (10_000, 80_000), "USD": (30_000, 90_000)}
    assert pics.category == "Photography" and pics.key in photo
    assert pics.title in {spec[0] for spec in PHOTO}  # named by its most central brief
    assert (logos.briefs, logos.interests, logos.businesses) == (2, 0, 2)
    assert logos.budgets == {"USD": (20_000, 50_000)}
    assert logos.category == "Design & Creative"
    assert "4 businesses (4 open briefs, 1 interest)" in pics.description()


def test_grouping_is_deterministic_and_keys_survive_unrelated_demand(session, market) -> None:
    _encode(session)
    before = [(c.key, len(c.members)) for c in clusters.all_clusters(session)]
    assert before == [(c.key, len(c.members)) for c in clusters.all_clusters(session)]
    _brief(session, make_business(session), OTHERS[0])  # a second bookkeeping brief
    _encode(session)
    after = clusters.all_clusters(session)
    assert {k for k, _ in before} <= {c.key for c in after}
    assert len(after) == 3  # the two bookkeeping briefs now form their own cluster


def test_group_threshold_on_synthetic_vectors() -> None:
    a, b = np.eye(3, dtype=np.float32)[:2]
    near = (a + 0.1 * b) / np.linalg.norm(a + 0.1 * b)
    assert clusters.group(np.vstack([a, b, near])) == [[0, 2], [1]]
    assert clusters.group(np.zeros((0, 3), np.float32)) == []


def test_withdrawn_interest_leaves_its_cluster(session, market, client) -> None:
    _encode(session)
    login(client, market["fan"])
    interest = market["interest"]
    page = client.get("/interests")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(f"/interests/{interest.id}/withdraw", data={"csrf_token": token})
    assert done.status_code == 303
    pics = clusters.all_clusters(session)[0]
    assert pics.interests == 0 and market["fan"].id not in pics.business_ids


def _count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Interest)) or 0


def test_interest_page_express_and_withdraw(session, client) -> None:
    business = make_business(session)
    login(client, business)
    page = client.get("/interests")
    assert page.status_code == 200 and "Express interest" in page.text
    assert "/interests" in client.get("/dashboard").text  # reachable from the dashboard
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    base = {"csrf_token": token, "category": "", "currency": "EUR", "text": ""}
    for bad, field in (
        ({"category": "", "skill": ""}, "Choose a category, name a skill"),
        ({"category": "Nope", "skill": ""}, "Not a valid choice"),
        ({"skill": "x" * 81}, "Field cannot be longer than 80 characters"),
        (
            {"skill": "video", "budget_min_minor": "500", "budget_max_minor": "100"},
            "must not be below the minimum",
        ),
        ({"skill": "video", "budget_min_minor": "100"}, "Give both ends"),
        ({"skill": "video", "budget_min_minor": "abc", "budget_max_minor": "1"}, "amount"),
    ):
        answer = client.post("/interests", data={**base, **bad})
        assert answer.status_code == 422, bad
        assert field in unescape(answer.text), (bad, answer.text[-3000:])
    assert _count(session) == 0
    ok = client.post(
        "/interests",
        data={
            **base,
            "category": "Photography",
            "skill": "Drone Video",
            "budget_min_minor": "100",
            "budget_max_minor": "250.50",
        },
    )
    assert ok.status_code == 303
    interest = session.scalars(select(Interest)).one()
    assert (interest.skill, interest.budget_min_minor, interest.budget_max_minor) == (
        "drone video",
        10_000,
        25_050,
    )
    again = client.post(
        "/interests", data={**base, "category": "Photography", "skill": "drone video"}
    )
    assert again.status_code == 409 and _count(session) == 1
    listed = client.get("/interests").text
    assert "drone video · Photography" in listed and "€250.50" in listed
    other = make_business(session)
    theirs = express_interest(session, other, InterestInput(skill="copywriting"))
    assert (
        client.post(f"/interests/{theirs.id}/withdraw", data={"csrf_token": token}).status_code
        == 404
    )
    gone = client.post(f"/interests/{interest.id}/withdraw", data={"csrf_token": token})
    assert gone.status_code == 303
    session.expire_all()
    assert interest.withdrawn_at is not None and theirs.withdrawn_at is None
    assert "drone video" not in client.get("/interests").text
    client.get("/logout")
    login(client, make_creator(session))
    assert client.get("/interests").status_code == 403


def test_interest_api(session, client) -> None:
    business = make_business(session)
    headers = api_token(session, business)
    created = client.post(
        "/api/v1/interests",
        json={
            "skill": "Podcast editing",
            "budget_min_minor": 5000,
            "budget_max_minor": 9000,
            "currency": "USD",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["skill"] == "podcast editing"
    for bad in (
        {},
        {"skill": "x" * 81},
        {"category": "Nope"},
        {"skill": "audio", "budget_min_minor": 5000, "budget_max_minor": 9000},  # no currency
        {"skill": "audio", "budget_min_minor": "5000", "budget_max_minor": 9000, "currency": "USD"},
        {"skill": "audio", "colour": "red"},
    ):
        answer = client.post("/api/v1/interests", json=bad, headers=headers)
        assert answer.status_code == 422, (bad, answer.json)
        assert answer.content_type == "application/problem+json"
    dup = client.post("/api/v1/interests", json={"skill": "podcast editing"}, headers=headers)
    assert dup.status_code == 409
    assert client.post("/api/v1/interests", data="x", headers=headers).status_code == 415
    listed = client.get("/api/v1/interests", headers=headers).json["items"]
    assert [i["id"] for i in listed] == [created.json["id"]]
    creator = api_token(session, make_creator(session))
    assert (
        client.post("/api/v1/interests", json={"skill": "a b"}, headers=creator).status_code == 403
    )
    path = f"/api/v1/interests/{created.json['id']}/withdraw"
    assert client.post(path, headers=api_token(session, make_business(session))).status_code == 404
    assert client.post(path, headers=headers).status_code == 200
    assert client.get("/api/v1/interests", headers=headers).json["items"] == []
    assert _count(session) == 1


def _start_link(html: str) -> str:
    match = re.search(r'<a role="button" href="(/pools/new\?[^"]+)">Start a pool</a>', html)
    assert match, html[-4000:]
    return unescape(match.group(1))


def test_insights_show_clusters_to_creators_only_with_prefilled_start_link(
    session, client, market
) -> None:
    _encode(session)
    creator = make_creator(session)
    login(client, creator)
    page = client.get("/insights")
    assert page.status_code == 200
    assert page.text.count('class="demand-cluster"') == 2
    assert "4 open briefs · 1 interest · 4 businesses" in page.text
    assert "€100.00 – €800.00; $300.00 – $900.00" in page.text
    link = _start_link(page.text)
    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    pics = clusters.all_clusters(session)[0]
    assert params == {
        "title": pics.title,
        "description": pics.description(),
        "category": "Photography",
        "cluster": pics.key,
    }
    form = client.get(link).text
    assert f'name="cluster" type="hidden" value="{pics.key}"' in form
    assert f'value="{pics.title}"' in unescape(form)
    api = client.get("/api/v1/insights/clusters", headers=api_token(session, creator))
    assert api.status_code == 200
    first = api.json["items"][0]
    assert (first["key"], first["briefs"], first["interests"], first["businesses"]) == (
        pics.key,
        4,
        1,
        4,
    )
    assert {"currency": "EUR", "min_minor": 10_000, "max_minor": 80_000} in first["budgets"]
    assert unescape(first["start_pool_url"]) == link

    client.get("/logout")
    business = market["misc"]
    login(client, business)
    assert client.get("/insights").status_code == 403
    refused = client.get("/api/v1/insights/clusters", headers=api_token(session, business))
    assert refused.status_code == 403


def _invitations(session, pool_id: int) -> dict[int, str]:
    session.expire_all()
    rows = session.scalars(
        select(Notification).where(
            Notification.kind == KIND,
            Notification.subject_type == "demand_pool",
            Notification.subject_id == pool_id,
        )
    )
    return {n.user_id: n.link for n in rows}


POOL_FORM = {
    "delivery_promise": "Forty edited product photos",
    "delivery_days": "10",
    "currency": "EUR",
    "min_pledges": "2",
    "tier1_count": "2",
    "tier1_price": "80",
    "tier2_count": "3",
    "tier2_price": "60",
    "tier3_count": "5",
    "tier3_price": "45",
}


def test_cluster_to_pool_invitation(session, client, market) -> None:
    """A creator opens a pool from a cluster in insights: every business whose open brief or
    interest is in that cluster is notified once with a link to the pool; nobody else is,
    and not the creator (here also the business behind one of the photo briefs)."""
    _encode(session)
    creator = make_user(session, creator=True, business=True)
    _brief(session, creator, PHOTO[1])
    _encode(session)
    login(client, creator)
    link = _start_link(client.get("/insights").text)
    form = client.get(link).text
    values = {
        name: unescape(value)
        for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', form)
    }
    values["description"] = unescape(
        re.search(r'<textarea[^>]*name="description"[^>]*>\s*([^<]*)</textarea>', form).group(1)
    )
    values["category"] = "Photography"
    values["deadline"] = re.search(r'name="deadline"[^>]*value="([^"]+)"', form).group(1)
    opened = client.post("/pools/new", data={**values, **POOL_FORM})
    assert opened.status_code == 303, opened.text[-2000:]
    pool = session.scalars(select(DemandPool).where(DemandPool.creator_id == creator.id)).one()
    assert pool.source_cluster == parse_qs(urlsplit(link).query)["cluster"][0]

    invited = _invitations(session, pool.id)
    assert set(invited) == market["photo_businesses"]  # the interest-only business too
    assert creator.id not in invited
    assert not set(invited) & (market["logo_businesses"] | {market["misc"].id})
    assert set(invited.values()) == {f"/pools/{pool.id}"}
    client.get("/logout")
    login(client, market["fan"])
    centre = client.get("/notifications").text
    assert 'data-kind="pool_invitation"' in centre and pool.title in unescape(centre)
    action, token = re.search(
        r'action="(/notifications/\d+/open)"[^>]*>\s*<input[^>]*value="([^"]+)"', centre
    ).groups()
    followed = client.post(action, data={"csrf_token": token})
    assert followed.status_code == 303 and followed.location.endswith(f"/pools/{pool.id}")

    # Not twice: a repeated invitation (a retried event) notifies nobody again.
    assert invite_cluster_businesses(session, pool.id, pool.source_cluster) == []
    assert len(_invitations(session, pool.id)) == 4


def test_invitation_edge_cases(session, market) -> None:
    _encode(session)
    with pytest.raises(NotFound):
        invite_cluster_businesses(session, 987_654, "brief-1")
    creator = make_creator(session)
    from app.pools.services import open_pool
    from tests.pools.test_open_pool import pool_input

    pool = open_pool(session, creator, pool_input(deadline=_soon()))  # not from a cluster
    assert _invitations(session, pool.id) == {}
    lone = market["others"][0]
    assert invite_cluster_businesses(session, pool.id, f"brief-{lone.id}") == []  # no cluster
    assert invite_cluster_businesses(session, pool.id, "nonsense") == []
    logo_key = f"brief-{market['logo'][1].id}"  # any member names its current cluster
    assert set(invite_cluster_businesses(session, pool.id, logo_key)) == market["logo_businesses"]


def _soon() -> Any:
    from datetime import timedelta

    from app import clock

    return clock.now() + timedelta(days=7)


class _Statements:
    """The SQL the app sends while in the block (observed on the engine, nothing replaced)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        self.seen.append(statement)

    def __enter__(self) -> _Statements:
        from sqlalchemy import event

        from app.extensions import db

        event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import event

        from app.extensions import db

        event.remove(db.engine, "before_cursor_execute", self)

    def touching(self, table: str) -> list[str]:
        return [s for s in self.seen if table in s and s.lstrip().upper().startswith("SELECT")]


def test_a_second_insights_view_reuses_the_clusters_until_demand_changes(
    session, client, market
) -> None:
    from app.demand import cache

    _encode(session)
    creator = make_creator(session)
    login(client, creator)
    first = client.get("/insights").text
    computed = cache.computed_count()
    with _Statements() as sql:
        second = client.get("/insights").text
        api = client.get("/api/v1/insights/clusters", headers=api_token(session, creator))
    # Served from the cache: no vector read, no regrouping, the same clusters.
    assert sql.touching("brief_vectors") == [] and sql.touching("demand_interests") == []
    assert cache.computed_count() == computed and api.status_code == 200
    assert len(api.json["items"]) == 2
    assert second.count('class="demand-cluster"') == first.count('class="demand-cluster"') == 2
    assert "4 open briefs · 1 interest · 4 businesses" in second
    # The interest is withdrawn: the demand changed, the next view regroups (once).
    withdraw_interest(session, market["fan"], market["interest"].id)
    with _Statements() as sql:
        third = client.get("/insights").text
    assert sql.touching("brief_vectors") and cache.computed_count() == computed + 1
    assert "4 open briefs · 0 interests · 3 businesses" in third
    assert clusters.all_clusters(session)[0].interests == 0
    assert cache.computed_count() == computed + 1  # the service call above hit the cache too
