"""Helpers for the offers tests: row counts, to prove that refused changes wrote nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import AuditEvent
from app.contracts.models import Contract
from app.matching.models import IndexOutbox
from app.offers.models import (
    InfluencerChannel,
    InfluencerDeliverable,
    Offer,
    ServicePackage,
    StockMediaTerms,
)

COUNTED = (
    Offer,
    ServicePackage,
    StockMediaTerms,
    InfluencerChannel,
    InfluencerDeliverable,
    IndexOutbox,
    AuditEvent,
    Contract,
)


@pytest.fixture()
def counts(session: Session) -> Callable[[], dict[str, int]]:
    def snapshot() -> dict[str, int]:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in COUNTED
        }

    return snapshot


@pytest.fixture()
def outbox(session: Session) -> Callable[[int], int]:
    def rows_for(offer_id: int) -> int:
        query = select(func.count()).where(IndexOutbox.offer_id == offer_id)
        return session.scalar(query) or 0

    return rows_for
