"""Shared fixtures for the briefs tests: a business, two creators, an open public brief."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.briefs.models import Brief
from tests.factories import make_brief, make_business, make_creator


@pytest.fixture()
def business(session: Session) -> User:
    return make_business(session, name="Roastery Ltd")


@pytest.fixture()
def other_business(session: Session) -> User:
    return make_business(session, name="Other Business")


@pytest.fixture()
def creator(session: Session) -> User:
    return make_creator(session, name="Casey Creator")


@pytest.fixture()
def other_creator(session: Session) -> User:
    return make_creator(session, name="Olive Other")


@pytest.fixture()
def brief(session: Session, business: User) -> Brief:
    return make_brief(session, business)
