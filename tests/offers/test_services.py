"""Offer services: each kind's rules, the status machine, ownership, summary, outbox, catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.audit import AuditEvent
from app.contracts.services import create_from_package
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.money import MAX_AMOUNT_MINOR
from app.offers import services
from app.offers.catalog import CatalogQuery, creator_offers, search_catalog
from app.offers.models import Offer, OfferKind, OfferStatus
from app.offers.validation import DeliverableInput, PackageInput
from tests.factories import make_business, make_creator, make_offer, make_user, offer_input

# --- create / update each kind ----------------------------------------------------------------


def test_create_service_offer_stores_packages_summary_audit_and_outbox(session, outbox):
    creator = make_creator(session)
    offer = services.create_offer(
        session, creator, offer_input("service", tags=[" logo ", "Logo", "brand kit"])
    )
    assert offer.status == OfferStatus.DRAFT
    assert offer.kind == OfferKind.SERVICE
    assert [(p.tier, p.price_minor) for p in offer.packages] == [
        ("basic", 5_000),
        ("standard", 10_000),
        ("premium", 20_000),
    ]
    assert offer.tags == ["logo", "brand kit"]
    assert (offer.price_from_minor, offer.delivery_days_min) == (5_000, 3)
    assert offer.published_at is None
    assert outbox(offer.id) == 1
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == offer.id)
    ).all()
    assert actions == ["offer.created"]


def test_create_stock_media_offer(session):
    offer = make_offer(session, make_creator(session), kind="stock_media")
    assert offer.stock is not None
    assert (offer.stock.standard_license_minor, offer.stock.enhanced_license_minor) == (
        2_500,
        9_900,
    )
    assert (offer.price_from_minor, offer.delivery_days_min) == (2_500, None)
    assert offer.category == "Photography"


def test_create_influencer_offer_strips_one_at_sign(session):
    offer = make_offer(session, make_creator(session), kind="influencer", handle="@studio.kim")
    channel = offer.influencer
    assert channel is not None
    assert channel.handle == "studio.kim"
    assert channel.engagement_rate_bp == 345
    assert sorted(d.kind for d in offer.deliverables) == ["post", "story"]
    assert (offer.price_from_minor, offer.delivery_days_min) == (15_000, 3)


def test_update_service_offer_replaces_tiers_and_refreshes_summary(session, outbox):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    before = outbox(offer.id)
    data = replace(
        services.current_input(offer),
        title="Logo and brand identity",
        packages=[
            PackageInput("standard", 12_000, 6, 2, "Three concepts"),
            PackageInput("premium", 30_000, 10, 5, "Everything"),
        ],
    )
    services.update_offer(session, offer, creator, data)
    session.expire_all()
    offer = session.get(Offer, offer.id)
    assert offer.title == "Logo and brand identity"
    assert [p.tier for p in offer.packages] == ["standard", "premium"]
    assert (offer.price_from_minor, offer.delivery_days_min) == (12_000, 6)
    assert offer.status == OfferStatus.PUBLISHED  # editing keeps the status
    assert outbox(offer.id) == before + 1


def test_update_stock_and_influencer_offers(session):
    creator = make_creator(session)
    stock = make_offer(session, creator, kind="stock_media")
    services.update_offer(
        session,
        stock,
        creator,
        replace(services.current_input(stock), standard_license_minor=4_000),
    )
    assert stock.price_from_minor == 4_000
    influencer = make_offer(session, creator, kind="influencer")
    data = replace(
        services.current_input(influencer),
        deliverables=[
            DeliverableInput("post", 45_000, 5, ""),
            DeliverableInput("reel", 60_000, 2, ""),
        ],
    )
    services.update_offer(session, influencer, creator, data)
    session.expire_all()
    influencer = session.get(Offer, influencer.id)
    assert sorted((d.kind, d.price_minor) for d in influencer.deliverables) == [
        ("post", 45_000),
        ("reel", 60_000),
    ]
    assert (influencer.price_from_minor, influencer.delivery_days_min) == (45_000, 2)


def test_kind_cannot_change(session):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    with pytest.raises(ValidationFailed) as error:
        services.update_offer(session, offer, creator, offer_input("stock_media"))
    assert "kind" in error.value.errors


# --- invalid input: clear errors, nothing written ---------------------------------------------

SERVICE_CASES = [
    ({"title": "Logo"}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"description": "Too short."}, "description"),
    ({"description": "x" * 5001}, "description"),
    ({"category": "Crypto"}, "category"),
    ({"currency": "XYZ"}, "currency"),
    ({"tags": ["x" * 41]}, "tags"),
    ({"packages": []}, "packages"),
    ({"packages": [PackageInput("basic", 0, 3)]}, "packages.0.price_minor"),
    ({"packages": [PackageInput("basic", -500, 3)]}, "packages.0.price_minor"),
    ({"packages": [PackageInput("basic", MAX_AMOUNT_MINOR + 1, 3)]}, "packages.0.price_minor"),
    ({"packages": [PackageInput("basic", 50.0, 3)]}, "packages.0.price_minor"),  # type: ignore[arg-type]
    ({"packages": [PackageInput("basic", True, 3)]}, "packages.0.price_minor"),
    ({"packages": [PackageInput("basic", 5_000, 0)]}, "packages.0.delivery_days"),
    ({"packages": [PackageInput("basic", 5_000, 366)]}, "packages.0.delivery_days"),
    ({"packages": [PackageInput("basic", 5_000, 3, 21)]}, "packages.0.revisions"),
    ({"packages": [PackageInput("gold", 5_000, 3)]}, "packages.0.tier"),
    (
        {"packages": [PackageInput("basic", 5_000, 3), PackageInput("basic", 6_000, 3)]},
        "packages.1.tier",
    ),
    (
        {"packages": [PackageInput("basic", 9_000, 3), PackageInput("standard", 8_000, 3)]},
        "packages.1.price_minor",
    ),
    (
        {"packages": [PackageInput("premium", 9_000, 3), PackageInput("basic", 10_000, 3)]},
        "packages.0.price_minor",
    ),
    ({"packages": [PackageInput("basic", 1_000, 3)] * 4}, "packages"),
]


@pytest.mark.parametrize(("overrides", "key"), SERVICE_CASES)
def test_invalid_service_offer_is_refused_and_nothing_written(session, counts, overrides, key):
    creator = make_creator(session)
    before = counts()
    with pytest.raises(ValidationFailed) as error:
        services.create_offer(session, creator, offer_input("service", **overrides))
    assert key in error.value.errors, error.value.errors
    assert counts() == before


OTHER_CASES = [
    ("stock_media", {"enhanced_license_minor": 2_000}, "enhanced_license_minor"),
    ("stock_media", {"standard_license_minor": 0}, "standard_license_minor"),
    ("influencer", {"handle": "@@studio"}, "handle"),
    ("influencer", {"handle": "studio kim!"}, "handle"),
    ("influencer", {"handle": ""}, "handle"),
    ("influencer", {"platform": "myspace"}, "platform"),
    ("influencer", {"audience_size": -1}, "audience_size"),
    ("influencer", {"audience_size": 2_000_000_001}, "audience_size"),
    ("influencer", {"engagement_rate_bp": 10_001}, "engagement_rate_bp"),
    ("influencer", {"deliverables": []}, "deliverables"),
    (
        "influencer",
        {"deliverables": [DeliverableInput(kind, 1_000) for kind in ["post"] * 7]},
        "deliverables",
    ),
    (
        "influencer",
        {"deliverables": [DeliverableInput("post", 1_000), DeliverableInput("post", 2_000)]},
        "deliverables.1.kind",
    ),
    ("influencer", {"deliverables": [DeliverableInput("tweet", 1_000)]}, "deliverables.0.kind"),
    ("influencer", {"deliverables": [DeliverableInput("post", 0)]}, "deliverables.0.price_minor"),
]


@pytest.mark.parametrize(("kind", "overrides", "key"), OTHER_CASES)
def test_invalid_stock_and_influencer_offers_are_refused(session, counts, kind, overrides, key):
    creator = make_creator(session)
    before = counts()
    with pytest.raises(ValidationFailed) as error:
        services.create_offer(session, creator, offer_input(kind, **overrides))
    assert key in error.value.errors, error.value.errors
    assert counts() == before


def test_every_problem_is_reported_at_once(session):
    with pytest.raises(ValidationFailed) as error:
        services.create_offer(
            session, make_creator(session), offer_input(title="x", currency="XYZ", category="?")
        )
    assert {"title", "currency", "category"} <= set(error.value.errors)


def test_invalid_update_changes_nothing(session, counts):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    before = counts()
    bad = replace(services.current_input(offer), packages=[PackageInput("basic", 0, 3)])
    with pytest.raises(ValidationFailed):
        services.update_offer(session, offer, creator, bad)
    session.expire_all()
    assert [p.price_minor for p in session.get(Offer, offer.id).packages] == [5_000, 10_000, 20_000]
    assert counts() == before


@pytest.mark.parametrize("roles", [{"business": True}, {"business": True, "moderator": True}])
def test_only_creators_create_offers(session, counts, roles):
    user = make_user(session, **roles)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.create_offer(session, user, offer_input())
    assert counts() == before


# --- status machine -------------------------------------------------------------------------

ALL = list(OfferStatus)
LEGAL = {
    ("draft", "published"),
    ("published", "paused"),
    ("paused", "published"),
    ("draft", "removed"),
    ("published", "removed"),
    ("paused", "removed"),
}


@pytest.mark.parametrize(("before", "after"), [(b.value, a.value) for b in ALL for a in ALL])
def test_transition_table(session, outbox, before, after):
    creator = make_creator(session)
    offer = make_offer(session, creator, status=before)
    rows = outbox(offer.id)
    audits = len(session.scalars(select(AuditEvent).where(AuditEvent.subject_id == offer.id)).all())
    if (before, after) in LEGAL:
        services.change_status(session, offer, creator, OfferStatus(after))
        assert offer.status == after
        assert outbox(offer.id) == rows + 1
        event = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == "offer", AuditEvent.subject_id == offer.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event is not None
        assert (event.from_state, event.to_state) == (before, after)
        assert event.actor_id == creator.id
    else:
        with pytest.raises(InvalidTransition):
            services.change_status(session, offer, creator, OfferStatus(after))
        session.expire_all()
        assert session.get(Offer, offer.id).status == before
        assert outbox(offer.id) == rows
        count = session.scalars(select(AuditEvent).where(AuditEvent.subject_id == offer.id)).all()
        assert len(count) == audits


def test_published_at_is_set_on_first_publish_only(session):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    first = datetime(2025, 1, 1, tzinfo=UTC)
    with clock.frozen_at(first):
        services.publish(session, offer, creator)
        clock.advance(timedelta(days=3))
        services.pause(session, offer, creator)
        services.publish(session, offer, creator)
    assert offer.published_at == first


def test_removed_offer_cannot_be_edited(session):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="removed")
    with pytest.raises(Conflict):
        services.update_offer(session, offer, creator, services.current_input(offer))


# --- ownership ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [("published", PermissionDenied), ("draft", NotFound), ("paused", NotFound)],
)
def test_another_creator_cannot_change_an_offer(session, counts, status, error):
    owner, other = make_creator(session), make_creator(session)
    offer = make_offer(session, owner, status=status)
    before = counts()
    with pytest.raises(error):
        services.update_offer(session, offer, other, offer_input(title="Hijacked title"))
    for action in (services.publish, services.pause, services.remove):
        with pytest.raises(error):
            action(session, offer, other)
    with pytest.raises(error):
        services.owned_offer(session, offer.id, other)
    session.expire_all()
    offer = session.get(Offer, offer.id)
    assert (offer.title, offer.status) == ("Logo design for small brands", status)
    assert counts() == before


def test_visibility_of_drafts_and_suspended_creators(session):
    owner, other = make_creator(session), make_creator(session)
    draft = make_offer(session, owner)
    listed = make_offer(session, owner, status="published")
    assert services.visible_offer(session, draft.id, owner) is draft
    for viewer in (other, None):
        with pytest.raises(NotFound):
            services.visible_offer(session, draft.id, viewer)
        assert services.visible_offer(session, listed.id, viewer) is listed
    owner.suspended_at = clock.now()
    session.flush()
    with pytest.raises(NotFound):
        services.visible_offer(session, listed.id, None)
    with pytest.raises(NotFound):
        services.visible_offer(session, 2**70, None)


# --- catalog --------------------------------------------------------------------------------


def _ids(session: Session, **query) -> list[int]:
    return [offer.id for offer in search_catalog(session, CatalogQuery(**query)).items]


@pytest.fixture()
def shelf(session):
    """Three published offers, a draft and a paused one, and one by a suspended creator."""
    creator = make_creator(session)
    with clock.frozen_at(datetime(2025, 1, 1, tzinfo=UTC)):
        logo = make_offer(session, creator, status="published")
    with clock.frozen_at(datetime(2025, 1, 2, tzinfo=UTC)):
        photos = make_offer(
            session,
            creator,
            kind="stock_media",
            status="published",
            title="Berlin rooftops at dawn",
            description="Forty high-resolution photos of Berlin roofs in early light.",
            tags=["Cityscape", "50%_off"],
        )
    with clock.frozen_at(datetime(2025, 1, 3, tzinfo=UTC)):
        posts = make_offer(
            session,
            creator,
            kind="influencer",
            status="published",
            title="Sponsored reels for eco brands",
            description="Short reels for sustainable products, shot in my studio.",
            tags=["eco"],
        )
    make_offer(session, creator, title="Hidden draft logo")
    make_offer(session, creator, status="paused", title="Paused logo work")
    banned = make_creator(session)
    make_offer(session, banned, status="published", title="Logo by a suspended creator")
    banned.suspended_at = clock.now()
    session.flush()
    return {"logo": logo.id, "photos": photos.id, "posts": posts.id}


def test_catalog_lists_only_published_offers_of_active_creators(session, shelf):
    assert _ids(session) == [shelf["posts"], shelf["photos"], shelf["logo"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": OfferKind.STOCK_MEDIA}, ["photos"]),
        ({"category": "Design & Creative"}, ["logo"]),
        ({"price_min_minor": 5_000}, ["posts", "logo"]),
        ({"price_max_minor": 5_000}, ["photos", "logo"]),
        ({"price_min_minor": 3_000, "price_max_minor": 6_000}, ["logo"]),
        ({"max_delivery_days": 3}, ["posts", "photos", "logo"]),
        ({"max_delivery_days": 2}, ["photos"]),
        ({"q": "LOGO"}, ["logo"]),
        ({"q": "berlin dawn"}, ["photos"]),
        ({"q": "berlin logo"}, []),
        ({"q": "cityscape"}, ["photos"]),  # a tag
        ({"q": "sustainable"}, ["posts"]),  # the description
        ({"q": "%"}, ["photos"]),  # LIKE wildcards are literal
        ({"q": "0%_"}, ["photos"]),
        ({"q": "nothing-like-this"}, []),
    ],
)
def test_catalog_filters_and_search(session, shelf, query, expected):
    assert _ids(session, **query) == [shelf[name] for name in expected]


def test_catalog_sorts_by_price(session, shelf):
    assert _ids(session, sort="price_asc") == [shelf["photos"], shelf["logo"], shelf["posts"]]
    assert _ids(session, sort="price_desc") == [shelf["posts"], shelf["logo"], shelf["photos"]]


def test_catalog_paginates(session, shelf):
    first = search_catalog(session, CatalogQuery(per_page=2, page=1))
    second = search_catalog(session, CatalogQuery(per_page=2, page=2))
    beyond = search_catalog(session, CatalogQuery(per_page=2, page=10**15))
    assert (first.total, first.pages, len(first.items)) == (3, 2, 2)
    assert [o.id for o in second.items] == [shelf["logo"]]
    assert beyond.items == [] and beyond.total == 3


def test_catalog_takes_ranked_ids_from_a_semantic_search(session, shelf):
    ranked = [shelf["logo"], 999_999, shelf["posts"]]
    result = search_catalog(session, CatalogQuery(q="ignored", sort="relevance"), ranked_ids=ranked)
    assert [o.id for o in result.items] == [shelf["logo"], shelf["posts"]]
    filtered = search_catalog(
        session, CatalogQuery(kind=OfferKind.INFLUENCER, sort="relevance"), ranked_ids=ranked
    )
    assert [o.id for o in filtered.items] == [shelf["posts"]]


def test_creator_offers_lists_everything_but_removed(session):
    creator = make_creator(session)
    kept = {make_offer(session, creator, status=s).id for s in ("draft", "published", "paused")}
    make_offer(session, creator, status="removed")
    make_offer(session, make_creator(session))
    assert {o.id for o in creator_offers(session, creator)} == kept


# --- ordering a package ---------------------------------------------------------------------


def test_ordering_a_package_creates_a_contract(session):
    creator, business = make_creator(session), make_business(session)
    offer = make_offer(session, creator, status="published")
    contract = create_from_package(session, offer, "standard", business=business)
    assert (contract.total_minor, contract.delivery_days, contract.creator_id) == (
        10_000,
        4,
        creator.id,
    )


def test_a_creator_cannot_order_their_own_offer(session, counts):
    both = make_user(session, creator=True, business=True)
    offer = make_offer(session, both, status="published")
    before = counts()
    with pytest.raises(PermissionDenied):
        create_from_package(session, offer, "basic", business=both)
    assert counts() == before
