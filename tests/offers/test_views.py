"""Offer pages: catalog, detail visibility, forms for each kind, status buttons, ordering."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.contracts.models import Contract
from app.offers.models import Offer, OfferStatus
from tests.factories import INLINE_SCRIPT, login, make_business, make_creator, make_offer, make_user

SERVICE_FORM = {
    "title": "Logo design for cafés",
    "description": "A logo with two rounds of changes, vector files and colour palette.",
    "category": "Design & Creative",
    "tags": "logo, cafe",
    "currency": "EUR",
    "basic-price": "50",
    "basic-delivery_days": "5",
    "basic-revisions": "1",
    "basic-includes": "One concept",
    "standard-price": "",
    "standard-delivery_days": "",
    "standard-revisions": "1",
    "standard-includes": "",
    "premium-price": "120.50",
    "premium-delivery_days": "3",
    "premium-revisions": "4",
    "premium-includes": "Three concepts",
}
STOCK_FORM = {
    "title": "Berlin rooftops at dawn",
    "description": "Forty high-resolution photos of Berlin roofs in early light.",
    "category": "Photography",
    "tags": "berlin, city",
    "currency": "USD",
    "standard_license": "25",
    "enhanced_license": "99",
}


def influencer_form(**rows: str) -> dict[str, str]:
    # A browser posts every row of the fixed table, blank ones included.
    blank = {
        f"deliverables-{i}-{name}": ""
        for i in range(6)
        for name in ("kind", "price", "delivery_days", "description")
    }
    data = {
        **blank,
        "title": "Sponsored reels for eco brands",
        "description": "Short reels for sustainable products, shot in my studio.",
        "category": "Marketing & Social Media",
        "tags": "eco",
        "currency": "USD",
        "platform": "tiktok",
        "handle": "@green.kim",
        "audience_size": "120000",
        "engagement_rate": "4.25",
        "audience_topics": "sustainability, food",
        "audience_regions": "DE, FR",
        "deliverables-0-kind": "reel",
        "deliverables-0-price": "300",
        "deliverables-0-delivery_days": "7",
        "deliverables-0-description": "One 30-second reel",
        "deliverables-3-kind": "story",
        "deliverables-3-price": "80",
        "deliverables-3-delivery_days": "2",
    }
    data.update(rows)
    return data


def offer_count(session) -> int:
    return len(session.scalars(select(Offer.id)).all())


def assert_no_inline_code(html: str) -> None:
    assert not re.search(r"\sstyle=", html)
    assert not INLINE_SCRIPT.search(html)


# --- catalog and detail ---------------------------------------------------------------------


def test_catalog_shows_published_offers_and_filters_by_query_string(client, session):
    creator = make_creator(session)
    make_offer(session, creator, status="published", title="Logo design for bakeries")
    make_offer(session, creator, kind="stock_media", status="published", title="Alpine photos")
    make_offer(session, creator, title="Secret draft offer")
    session.commit()  # requests that fail roll back to here
    response = client.get("/offers")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Logo design for bakeries" in html and "Alpine photos" in html
    assert "Secret draft offer" not in html
    assert_no_inline_code(html)
    html = client.get("/offers?kind=stock_media&sort=price_asc").get_data(as_text=True)
    assert "Alpine photos" in html and "bakeries" not in html
    html = client.get("/offers?q=BAKERIES").get_data(as_text=True)
    assert "bakeries" in html and "Alpine photos" not in html
    html = client.get("/offers?price_min=30&price_max=60").get_data(as_text=True)
    assert "bakeries" in html and "Alpine photos" not in html


def test_catalog_reports_bad_filters_and_paginates(client, session, app, monkeypatch):
    creator = make_creator(session)
    for n in range(3):
        make_offer(session, creator, status="published", title=f"Numbered offer {n}")
    monkeypatch.setitem(app.config, "CATALOG_PAGE_SIZE", 2)
    session.commit()  # requests that fail roll back to here
    for bad in ("price_min=abc&kind=nope", "price_max=NaN", "price_min=1e30", "max_days=0"):
        response = client.get(f"/offers?{bad}")
        assert response.status_code == 422
        assert "field-error" in response.get_data(as_text=True)
    first = client.get("/offers").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/offers?page=2").get_data(as_text=True)
    assert "Numbered offer 0" in second and "Numbered offer 2" not in second


def test_detail_of_published_offer_for_everyone(client, session):
    offer = make_offer(session, make_creator(session), status="published")
    session.commit()  # requests that fail roll back to here
    response = client.get(f"/offers/{offer.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Logo design for small brands" in html and "Sign in to order" in html
    assert_no_inline_code(html)


@pytest.mark.parametrize("status", ["draft", "paused", "removed"])
def test_unlisted_offers_are_404_except_for_their_owner(client, session, status):
    owner = make_creator(session)
    offer = make_offer(session, owner, kind="influencer", status=status)
    session.commit()  # requests that fail roll back to here
    assert client.get(f"/offers/{offer.id}").status_code == 404
    login(client, make_creator(session))
    assert client.get(f"/offers/{offer.id}").status_code == 404
    client.post("/logout")
    login(client, owner)
    response = client.get(f"/offers/{offer.id}")
    assert response.status_code == 200
    assert "@studio.kim" in response.get_data(as_text=True)


def test_mine_lists_the_creators_offers(client, session):
    creator = make_creator(session)
    make_offer(session, creator, title="My own draft offer")
    make_offer(session, make_creator(session), status="published", title="Somebody else's")
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    html = client.get("/my/offers").get_data(as_text=True)
    assert "My own draft offer" in html and "Somebody else" not in html


# --- creating and editing -------------------------------------------------------------------


def test_business_and_anonymous_cannot_create(client, session):
    before = offer_count(session)
    session.commit()  # requests that fail roll back to here
    assert client.get("/offers/new").status_code == 302  # to the login page
    assert client.post("/offers/new/service", data=SERVICE_FORM).status_code == 302
    login(client, make_business(session))
    assert client.get("/offers/new").status_code == 403
    assert client.post("/offers/new/service", data=SERVICE_FORM).status_code == 403
    assert offer_count(session) == before


def test_choose_kind_then_create_a_service_offer(client, session):
    creator = make_creator(session)
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    assert "/offers/new/influencer" in client.get("/offers/new").get_data(as_text=True)
    assert client.get("/offers/new/service").status_code == 200
    assert client.get("/offers/new/gadget").status_code == 404
    response = client.post("/offers/new/service", data=SERVICE_FORM)
    assert response.status_code == 302
    offer = session.scalars(select(Offer).where(Offer.creator_id == creator.id)).one()
    assert [(p.tier, p.price_minor) for p in offer.packages] == [
        ("basic", 5_000),
        ("premium", 12_050),
    ]
    assert (offer.currency, offer.status, offer.tags) == ("EUR", "draft", ["logo", "cafe"])
    assert response.headers["Location"].endswith(f"/offers/{offer.id}")


def test_create_stock_media_and_influencer_offers(client, session):
    creator = make_creator(session)
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    assert client.post("/offers/new/stock_media", data=STOCK_FORM).status_code == 302
    assert client.post("/offers/new/influencer", data=influencer_form()).status_code == 302
    offers = session.scalars(select(Offer).where(Offer.creator_id == creator.id)).all()
    by_kind = {o.kind: o for o in offers}
    assert by_kind["stock_media"].stock.enhanced_license_minor == 9_900
    channel = by_kind["influencer"].influencer
    assert (channel.handle, channel.engagement_rate_bp) == ("green.kim", 425)
    assert sorted(d.kind for d in by_kind["influencer"].deliverables) == ["reel", "story"]


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("service", {**SERVICE_FORM, "title": "Logo"}, "between 5 and 120"),
        ("service", {**SERVICE_FORM, "currency": "XYZ"}, "Not a valid choice"),
        ("service", {**SERVICE_FORM, "basic-price": "-5"}, "greater than zero"),
        ("service", {**SERVICE_FORM, "basic-price": "0.49"}, "Amount must be at least"),
        ("service", {**SERVICE_FORM, "basic-price": "10.123"}, "two decimal places"),
        ("service", {**SERVICE_FORM, "basic-price": "NaN"}, "Enter an amount"),
        ("service", {**SERVICE_FORM, "basic-price": "200"}, "cannot cost less"),
        ("service", {**SERVICE_FORM, "basic-delivery_days": ""}, "Enter the delivery time"),
        (
            "service",
            {**SERVICE_FORM, "basic-price": "", "basic-delivery_days": "", "basic-includes": ""}
            | {"premium-price": "", "premium-delivery_days": "", "premium-includes": ""},
            "Offer 1 to 3 packages",
        ),
        ("stock_media", {**STOCK_FORM, "enhanced_license": "10"}, "cannot cost less"),
        ("influencer", influencer_form(handle="@@x"), "Enter the handle"),
        ("influencer", influencer_form(engagement_rate="101"), "from 0 to 10,000"),
        ("influencer", influencer_form(**{"deliverables-3-kind": "reel"}), "offered once"),
    ],
)
def test_invalid_form_is_422_with_errors_next_to_fields(client, session, kind, data, message):
    session.commit()  # requests that fail roll back to here
    login(client, make_creator(session))
    before = offer_count(session)
    response = client.post(f"/offers/new/{kind}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'class="field-error"' in html
    assert offer_count(session) == before


def test_edit_form_is_prefilled_and_saves(client, session):
    creator = make_creator(session)
    offer = make_offer(session, creator, kind="influencer", status="published")
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    html = client.get(f"/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="@studio.kim"' in html and 'value="3.45"' in html
    assert_no_inline_code(html)
    data = influencer_form(title="Sponsored posts, updated")
    assert client.post(f"/offers/{offer.id}/edit", data=data).status_code == 302
    session.expire_all()
    offer = session.get(Offer, offer.id)
    assert offer.title == "Sponsored posts, updated"
    assert offer.status == "published"
    assert offer.price_from_minor == 8_000


def test_another_creator_cannot_edit(client, session):
    owner = make_creator(session)
    draft = make_offer(session, owner)
    listed = make_offer(session, owner, status="published")
    session.commit()  # requests that fail roll back to here
    login(client, make_creator(session))
    assert client.get(f"/offers/{draft.id}/edit").status_code == 404
    assert client.get(f"/offers/{listed.id}/edit").status_code == 403
    data = {**SERVICE_FORM, "title": "Taken over by someone"}
    assert client.post(f"/offers/{listed.id}/edit", data=data).status_code == 403
    session.expire_all()
    assert session.get(Offer, listed.id).title == "Logo design for small brands"


# --- status actions -------------------------------------------------------------------------


def test_owner_publishes_pauses_and_removes(client, session):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    html = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert f"/offers/{offer.id}/publish" in html and f"/offers/{offer.id}/pause" not in html
    for action, status in [("publish", "published"), ("pause", "paused"), ("remove", "removed")]:
        response = client.post(f"/offers/{offer.id}/{action}")
        assert response.status_code == 303
        session.expire_all()
        assert session.get(Offer, offer.id).status == status
    assert client.post(f"/offers/{offer.id}/publish").status_code == 409
    assert client.get(f"/offers/{offer.id}/edit").status_code == 409


@pytest.mark.parametrize(("status", "code"), [("draft", 404), ("published", 403)])
def test_another_creator_cannot_change_status(client, session, status, code):
    offer = make_offer(session, make_creator(session), status=status)
    session.commit()  # requests that fail roll back to here
    login(client, make_creator(session))
    for action in ("publish", "pause", "remove"):
        assert client.post(f"/offers/{offer.id}/{action}").status_code == code
    session.expire_all()
    assert session.get(Offer, offer.id).status == status


def test_illegal_transition_changes_nothing(client, session):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    session.commit()  # requests that fail roll back to here
    login(client, creator)
    assert client.post(f"/offers/{offer.id}/pause").status_code == 409
    session.expire_all()
    assert session.get(Offer, offer.id).status == OfferStatus.DRAFT


# --- ordering -------------------------------------------------------------------------------


def test_business_orders_a_package_and_sees_the_contract(client, session):
    creator, business = make_creator(session), make_business(session)
    offer = make_offer(session, creator, status="published")
    session.commit()  # requests that fail roll back to here
    login(client, business)
    assert "/order/standard" in client.get(f"/offers/{offer.id}").get_data(as_text=True)
    response = client.post(f"/offers/{offer.id}/order/standard")
    assert response.status_code == 303
    contract = session.scalars(select(Contract).where(Contract.offer_id == offer.id)).one()
    assert (contract.business_id, contract.total_minor) == (business.id, 10_000)
    assert response.headers["Location"].endswith(f"/contracts/{contract.id}")
    html = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "$100.00" in html
    client.post("/logout")
    login(client, creator)
    assert client.get(f"/contracts/{contract.id}").status_code == 200
    client.post("/logout")
    login(client, make_business(session))
    assert client.get(f"/contracts/{contract.id}").status_code == 404


def test_cannot_order_own_offer_or_a_draft(client, session):
    both = make_user(session, creator=True, business=True)
    own = make_offer(session, both, status="published")
    draft = make_offer(session, make_creator(session))
    session.commit()  # requests that fail roll back to here
    login(client, both)
    assert client.post(f"/offers/{own.id}/order/basic").status_code == 403
    assert client.post(f"/offers/{draft.id}/order/basic").status_code == 404
    assert session.scalars(select(Contract)).all() == []
