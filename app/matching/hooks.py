"""The one place the offers domain tells matchmaking that an offer changed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.matching.models import IndexOutbox
from app.offers.models import Offer


def offer_changed(session: Session, offer: Offer) -> None:
    """Queue ``offer`` for re-indexing in the caller's transaction (see ``IndexOutbox``).

    ``offer`` must have an id (flushed). Nothing leaves the process here: whoever applies the
    outbox does so after commit, so a rolled-back change never reaches the index.
    """
    session.add(IndexOutbox(offer_id=offer.id))
