"""The main pages issue a small, fixed number of SQL statements whatever the number of cards
(issue 17): no query per card, and cards load only the columns they show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from tests.factories import make_brief, make_business, make_creator, make_offer

PAGE = 50
# Fixed per page (today: catalog 6 = count, page, creators, gallery covers, stock covers,
# avatars; board 2 = count, page): a query per card would add 50, and loading every
# relationship of an offer (the catalog before issue 17) makes 10.
MAX_STATEMENTS = 8


@contextmanager
def counted() -> Iterator[list[str]]:
    statements: list[str] = []
    engine = db.engine
    assert engine is not None

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture()
def big_page(app: Flask) -> Iterator[None]:
    before = app.config["CATALOG_PAGE_SIZE"]
    app.config["CATALOG_PAGE_SIZE"] = PAGE
    try:
        yield
    finally:
        app.config["CATALOG_PAGE_SIZE"] = before


def _fill(session: Session) -> None:
    kinds = ["service", "stock_media", "influencer"]
    for n in range(PAGE):
        creator = make_creator(session)
        make_offer(session, creator, kind=kinds[n % 3], status="published", title=f"Offer {n}")
    business = make_business(session)
    for n in range(PAGE):
        make_brief(session, business, title=f"Brief number {n}")
    session.flush()


@pytest.mark.parametrize("path", ["/offers", "/briefs"])
def test_main_pages_have_a_fixed_statement_count(
    client: FlaskClient, session: Session, big_page: None, path: str
) -> None:
    _fill(session)
    session.expire_all()
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="offer-card"' if path == "/offers" else 'class="brief-card"') == PAGE
    assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)


def test_home_page_cards_have_no_query_per_card(client: FlaskClient, session: Session) -> None:
    _fill(session)
    session.expire_all()
    with counted() as statements:
        response = client.get("/")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('class="offer-card"') == 6
    assert len(statements) <= MAX_STATEMENTS, "\n\n".join(statements)
    assert not [s for s in statements if "password_hash" in s], "a full user row was loaded"


@pytest.mark.parametrize("path", ["/offers", "/briefs"])
def test_cards_load_only_what_they_show(
    client: FlaskClient, session: Session, big_page: None, path: str
) -> None:
    _fill(session)
    session.expire_all()
    with counted() as statements:
        assert client.get(path).status_code == 200
    assert not [s for s in statements if "password_hash" in s], "a full user row was loaded"
    assert not [s for s in statements if "FROM service_packages" in s]
    loaded = [s for s in statements if "offers.description" in s or "briefs.description" in s]
    assert not loaded, "cards show no descriptions"
