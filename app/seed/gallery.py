"""Demo pictures: offer galleries, stock media collections, portfolios and avatars.

Drawn by ``app.seed.pictures`` and uploaded through the real pipelines (gallery uploads and
stock media upload + moderator approval), so demo pictures obey the rules users' pictures do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.media import gallery, processing
from app.media import services as media
from app.media.models import ImagePurpose
from app.media.storage import MediaStorage
from app.offers.models import Offer, OfferKind
from app.seed import pictures


def _stock_assets(
    session: Session,
    storage: MediaStorage,
    rng: random.Random,
    offer: Offer,
    moderator: User,
    first_creator_id: int,
) -> int:
    subjects = list(offer.tags) or [offer.title]
    count = 1 if offer.creator_id != first_creator_id else 3
    for n in range(count):
        subject = subjects[n % len(subjects)]
        data = pictures.artwork(f"stock:{offer.id}:{n}", offer.category, size=pictures.STOCK_SIZE)
        asset = media.upload(
            session,
            storage,
            offer.creator,
            data,
            media.MediaInput(
                offer_id=offer.id,
                title=f"{offer.title}: {subject}"[:120],
                description=offer.description,
                keywords=[*offer.tags, subject],
                category=offer.category,
            ),
            filename=f"demo-{offer.id}-{n}.jpg",
        )
        processing.process_asset(session, asset.id, storage)  # the worker's job, done now
        media.approve(session, asset.id, moderator=moderator)
    return count


def _picture(session: Session, storage: MediaStorage, owner: User, data: bytes, **kw: Any) -> None:
    image = gallery.add_image(session, storage, owner, data, **kw)
    processing.process_gallery_image(session, image.id, storage)  # the worker's job, done now


def add_demo_pictures(
    session: Session,
    storage: MediaStorage,
    rng: random.Random,
    creators: Sequence[User],
    offers: Sequence[Offer],
    moderator: User,
) -> dict[str, int]:
    """Avatars for most creators, 2 portfolio items for half of them, a cover picture for
    every service or influencer offer and one approved asset per stock media offer (3 each
    for the demo creator, whose pages are the showcase). Kept small: `make run` seeds on its
    first start."""
    counts = {"avatars": 0, "portfolio items": 0, "offer pictures": 0, "stock assets": 0}
    kinds_by_creator: dict[int, Offer] = {}
    for offer in offers:
        kinds_by_creator.setdefault(offer.creator_id, offer)
        if offer.kind is OfferKind.STOCK_MEDIA:
            counts["stock assets"] += _stock_assets(
                session, storage, rng, offer, moderator, creators[0].id
            )
            continue
        showcase = offer.creator_id == creators[0].id  # the demo creator's offers get more
        for n in range(3 if showcase else 1):
            data = pictures.artwork(f"offer:{offer.id}:{n}", offer.category)
            _picture(
                session,
                storage,
                offer.creator,
                data,
                purpose=ImagePurpose.OFFER,
                offer=offer,
                title=f"{offer.title} (example {n + 1})",
            )
            counts["offer pictures"] += 1
    for index, creator in enumerate(creators):
        if index == 0 or rng.random() < 0.85:
            _picture(
                session,
                storage,
                creator,
                pictures.portrait(f"avatar:{creator.id}"),
                purpose=ImagePurpose.AVATAR,
                title=creator.display_name,
            )
            counts["avatars"] += 1
        first = kinds_by_creator.get(creator.id)
        if first is None or first.kind is OfferKind.STOCK_MEDIA:
            continue  # a stock contributor's collection is their portfolio
        if index > 0 and rng.random() < 0.5:
            continue  # not everyone has put a portfolio together yet
        for n in range(3 if index == 0 else 2):
            subject = first.tags[n % len(first.tags)] if first.tags else first.category
            title = f"{subject}, project {n + 1}"
            data = pictures.artwork(
                f"portfolio:{creator.id}:{n}", first.category, size=pictures.PORTFOLIO_SIZE
            )
            _picture(
                session,
                storage,
                creator,
                data,
                purpose=ImagePurpose.PORTFOLIO,
                title=title.capitalize(),
                description=f"Client work: {first.title.lower()}.",
            )
            counts["portfolio items"] += 1
    return counts
