"""Signed-out catalogue pages are rendered once per change (app.pagecache, issue 17): a
repeat costs one SELECT, any change to what the page shows is seen at once, signed-in
visitors and flashed messages are never served from the cache, views are still counted."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.insights.models import OfferView
from app.offers import services
from app.pagecache import current_version
from tests.factories import login, make_business, make_creator, make_offer
from tests.offers.test_page_statements import counted

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"}


@pytest.mark.parametrize("kind", ["catalog", "detail"])
def test_a_repeat_costs_one_statement_and_revalidates(
    client: FlaskClient, session: Session, kind: str
) -> None:
    offer = make_offer(session, make_creator(session), status="published", title="Cached tile")
    session.flush()
    path = "/offers?page=1" if kind == "catalog" else f"/offers/{offer.id}"
    first = client.get(path)
    assert first.status_code == 200 and "Cached tile" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-cache" and first.headers.get("ETag")
    with counted() as statements:
        again = client.get(path)
    assert again.get_data() == first.get_data()
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # The version row; a detail page may also load its offer to count the view.
    assert len(reads) <= (1 if kind == "catalog" else 2), "\n\n".join(statements)
    assert "page_cache_versions" in reads[0]
    revalidated = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304 and revalidated.get_data() == b""


def test_every_change_to_what_the_page_shows_is_seen_at_once(
    client: FlaskClient, session: Session
) -> None:
    creator = make_creator(session, name="Ada Original")
    offer = make_offer(session, creator, status="published", title="First title")
    session.flush()
    before = current_version(session)
    assert "First title" in client.get("/offers").get_data(as_text=True)
    assert "Ada Original" in client.get(f"/offers/{offer.id}").get_data(as_text=True)

    offer.title = "Second title"
    session.flush()
    assert current_version(session) != before
    assert "Second title" in client.get("/offers").get_data(as_text=True)
    assert "Second title" in client.get(f"/offers/{offer.id}").get_data(as_text=True)

    creator.display_name = "Ada Renamed"
    session.flush()
    assert "Ada Renamed" in client.get(f"/offers/{offer.id}").get_data(as_text=True)

    services.pause(session, offer, creator)
    session.flush()
    assert "Second title" not in client.get("/offers").get_data(as_text=True)
    assert client.get(f"/offers/{offer.id}").status_code == 404

    services.publish(session, offer, creator)
    session.flush()
    assert client.get(f"/offers/{offer.id}").status_code == 200
    creator.suspended_at = clock.now()
    session.flush()
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert "Second title" not in client.get("/offers").get_data(as_text=True)


def test_unrelated_writes_keep_the_cache(session: Session) -> None:
    business = make_business(session)
    session.flush()
    before = current_version(session)
    business.email = "someone.else@example.com"
    session.flush()
    assert current_version(session) == before


def test_signed_in_visitors_and_flashes_are_never_served_from_the_cache(
    client: FlaskClient, session: Session
) -> None:
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    visitor = make_business(session, name="Bea Buyer")
    session.flush()
    anonymous = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Sign in to order" in anonymous
    with client.session_transaction() as cookie:
        cookie["_flashes"] = [("success", "Only for this visitor")]
    assert "Only for this visitor" in client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Only for this visitor" not in client.get(f"/offers/{offer.id}").get_data(as_text=True)
    login(client, visitor)
    signed_in = client.get(f"/offers/{offer.id}")
    assert "Bea Buyer" in signed_in.get_data(as_text=True)
    assert "Sign in to order" not in signed_in.get_data(as_text=True)
    assert "ETag" not in signed_in.headers


def test_views_are_counted_on_cached_pages(client: FlaskClient, session: Session) -> None:
    offer = make_offer(session, make_creator(session), status="published")
    session.flush()
    for _ in range(3):
        assert client.get(f"/offers/{offer.id}", headers=BROWSER).status_code == 200
    session.expire_all()
    views = select(func.count()).select_from(OfferView).where(OfferView.offer_id == offer.id)
    assert session.scalar(views) == 3
