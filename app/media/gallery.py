"""Pictures shown around the site: offer galleries, portfolio items and avatars.

Uploads go through the stock media pipeline: the request runs the cheap checks
(``images.check``: sniffed type, byte and pixel limits, decompression bombs) and keeps the
file privately; a job (``app.media.processing``) makes the re-encoded renditions
(``images.rendition``: no EXIF/XMP/ICC survives) in a few widths for ``srcset`` and deletes
the upload. Only renditions are ever served. Services take
a Session, flush and never commit; files written for a transaction that rolls back are
deleted again, like stock media uploads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import CreatorProfile, User
from app.db import MAX_ID
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.media import images, timers
from app.media.models import GalleryImage, ImagePurpose, MediaAsset, MediaKind
from app.media.services import limits, listed_query, stored_files
from app.media.storage import MediaStorage, new_key
from app.offers.models import Offer, OfferStatus
from app.offers.services import is_listed as offer_is_listed

GALLERY_WIDTHS = (320, 640, 1280)
AVATAR_WIDTHS = (64, 128, 256)
MAX_PER_OFFER = 8
MAX_PORTFOLIO = 12
MAX_TITLE = 120
MAX_DESCRIPTION = 1000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_DELETE_AFTER_COMMIT = "gallery_delete_after_commit"


def _max_bytes(app: Flask | None) -> int:
    return int((app or current_app).config.get("GALLERY_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def _count(session: Session, owner_id: int, purpose: ImagePurpose, offer_id: int | None) -> int:
    stmt = select(func.count()).select_from(GalleryImage).where(GalleryImage.purpose == purpose)
    if offer_id is not None:
        stmt = stmt.where(GalleryImage.offer_id == offer_id)
    else:
        stmt = stmt.where(GalleryImage.owner_id == owner_id)
    return session.scalar(stmt) or 0


def _check(session: Session, owner: User, purpose: ImagePurpose, offer: Offer | None) -> None:
    if owner.suspended_at is not None:
        raise PermissionDenied("Suspended accounts cannot upload pictures.")
    if purpose is ImagePurpose.OFFER:
        if offer is None or offer.creator_id != owner.id or offer.status == OfferStatus.REMOVED:
            raise NotFound("No such offer.")
        if _count(session, owner.id, purpose, offer.id) >= MAX_PER_OFFER:
            raise ValidationFailed({"file": [f"An offer has at most {MAX_PER_OFFER} pictures."]})
    elif purpose is ImagePurpose.PORTFOLIO:
        if not owner.is_creator:
            raise PermissionDenied("Only creators have a portfolio.")
        if _count(session, owner.id, purpose, None) >= MAX_PORTFOLIO:
            raise ValidationFailed(
                {"file": [f"A portfolio has at most {MAX_PORTFOLIO} items; remove one first."]}
            )


def add_image(
    session: Session,
    storage: MediaStorage,
    owner: User,
    data: bytes,
    *,
    purpose: ImagePurpose,
    offer: Offer | None = None,
    title: str = "",
    description: str = "",
    app: Flask | None = None,
) -> GalleryImage:
    """Store a picture for an offer gallery, the owner's portfolio or as the owner's avatar
    (replacing the previous one). Raises NotFound (not the owner's offer), PermissionDenied
    (suspended; portfolio of a non-creator) and ValidationFailed (``file``: not an image, too
    large, too many pixels, damaged, too many pictures; ``title``/``description``: too long).
    Nothing is stored when it raises."""
    title, description = title.strip(), description.strip()
    errors: dict[str, list[str]] = {}
    if len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    if purpose is ImagePurpose.PORTFOLIO and not title:
        errors["title"] = ["Give the portfolio item a title."]
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [f"At most {MAX_DESCRIPTION} characters."]
    if errors:
        raise ValidationFailed(errors)
    _check(session, owner, purpose, offer)
    max_bytes = _max_bytes(app)
    if len(data) > max_bytes:
        raise images.refuse(f"Pictures are limited to {max_bytes // (1024 * 1024)} MB.")
    # The cheap checks only; the renditions are made by a job (app.media.processing).
    found = images.check(data, limits(app))
    if found.kind is not MediaKind.IMAGE:
        raise images.refuse("Upload a JPEG, PNG or WebP image.")
    square = purpose is ImagePurpose.AVATAR
    widths, width, height = planned_widths((found.width, found.height), square=square)
    stem = new_key("gallery", "jpg").removesuffix(".jpg")
    source = new_key("incoming", found.extension)
    image = GalleryImage(
        owner_id=owner.id,
        purpose=purpose,
        offer_id=offer.id if offer is not None else None,
        position=_next_position(session, owner.id, purpose, offer),
        title=title or (offer.title if offer is not None else owner.display_name),
        description=description,
        key_stem=stem,
        widths=list(widths),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        source_key=source,
    )
    with stored_files(session, storage) as put:
        put(source, data, found.content_type)
        if square:
            for old in avatars_of(session, [owner.id]).values():
                _delete(session, storage, old)
        session.add(image)
        session.flush()
    timers.PROCESS_GALLERY.set(session, image.id, clock.now())
    return image


def planned_widths(size: tuple[int, int], *, square: bool) -> tuple[tuple[int, ...], int, int]:
    """(rendition widths, width, height) of a picture of ``size``: never upscaled (the widths
    below the picture's own, then the picture's or the largest); avatars are squares."""
    widths: tuple[int, ...] = AVATAR_WIDTHS if square else GALLERY_WIDTHS
    side = min(size) if square else size[0]
    largest = min(side, widths[-1])
    widths = (*[w for w in widths if w < largest], largest)
    width, height = (side, side) if square else size
    return widths, width, height


def remove_files(session: Session, storage: MediaStorage, keys: list[str]) -> None:
    """Delete ``keys`` once ``session`` commits (a rollback keeps them)."""
    session.info.setdefault(_DELETE_AFTER_COMMIT, []).append((storage, keys))


def _next_position(
    session: Session, owner_id: int, purpose: ImagePurpose, offer: Offer | None
) -> int:
    stmt = select(func.max(GalleryImage.position)).where(GalleryImage.purpose == purpose)
    if offer is not None:
        stmt = stmt.where(GalleryImage.offer_id == offer.id)
    else:
        stmt = stmt.where(GalleryImage.owner_id == owner_id)
    last = session.scalar(stmt)
    return 0 if last is None else last + 1


def _delete(session: Session, storage: MediaStorage, image: GalleryImage) -> None:
    keys = [image.key(width) for width in image.widths]
    keys += [image.source_key] if image.source_key else []
    session.delete(image)
    session.flush()
    # Files go only once the row is gone for good (a rollback keeps both).
    remove_files(session, storage, keys)


def remove_image(
    session: Session, storage: MediaStorage, image_id: int, *, owner: User
) -> GalleryImage:
    """Delete one of the owner's pictures. Raises NotFound (missing or someone else's)."""
    image = session.get(GalleryImage, image_id) if 0 < image_id <= MAX_ID else None
    if image is None or image.owner_id != owner.id:
        raise NotFound("No such picture.")
    _delete(session, storage, image)
    return image


@event.listens_for(Session, "after_commit")
def _delete_files(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT fires after_commit too; the outer may
        return  # still roll back
    for storage, keys in session.info.pop(_DELETE_AFTER_COMMIT, []):
        for key in keys:
            storage.delete(key)


@event.listens_for(Session, "after_soft_rollback")
def _keep_files(session: Session, previous_transaction: object) -> None:
    if not session.in_transaction():  # the whole unit of work rolled back: the rows stay
        session.info.pop(_DELETE_AFTER_COMMIT, None)


# --- who may see a picture -----------------------------------------------------------------


def _profile_listed(user: User) -> bool:
    profile: CreatorProfile | None = user.profile
    return user.suspended_at is None and (profile is None or profile.hidden_at is None)


def is_listed(image: GalleryImage, offer: Offer | None) -> bool:
    if image.purpose is ImagePurpose.OFFER:
        return offer is not None and offer_is_listed(offer)
    return _profile_listed(image.owner)


def visible_image(
    session: Session, image_id: int, viewer: User | None
) -> tuple[GalleryImage, bool]:
    """(the picture, whether it is publicly listed); NotFound if the viewer may not see it."""
    image = session.get(GalleryImage, image_id) if 0 < image_id <= MAX_ID else None
    if image is None:
        raise NotFound("No such picture.")
    offer = session.get(Offer, image.offer_id) if image.offer_id is not None else None
    listed = is_listed(image, offer)
    staff = viewer is not None and (viewer.is_moderator or viewer.is_admin)
    if not (listed or staff or (viewer is not None and viewer.id == image.owner_id)):
        raise NotFound("No such picture.")
    return image, listed


# --- what pages show -----------------------------------------------------------------------


def _grouped(
    session: Session, query: Select[Any], key: Any, ids: Iterable[int], limit: int | None = None
) -> dict[int, list[Any]]:
    """The rows of ``query`` whose ``key`` column is one of ``ids``, grouped by it in the
    query's order, at most ``limit`` each: one query whatever the number of ids, none for none."""
    wanted = list(set(ids))
    out: dict[int, list[Any]] = {}
    if not wanted:
        return out
    for row in session.scalars(query.where(key.in_(wanted))):
        items = out.setdefault(getattr(row, key.key), [])
        if limit is None or len(items) < limit:
            items.append(row)
    return out


def offer_images(session: Session, offer_ids: Iterable[int]) -> dict[int, list[GalleryImage]]:
    ordered = select(GalleryImage).order_by(GalleryImage.position, GalleryImage.id)
    return _grouped(session, ordered, GalleryImage.offer_id, offer_ids)


def stock_assets(
    session: Session, offer_ids: Iterable[int], limit: int = 12
) -> dict[int, list[MediaAsset]]:
    """Published, listed assets of stock media offers, newest first, at most ``limit`` each."""
    newest = listed_query().order_by(MediaAsset.published_at.desc(), MediaAsset.id.desc())
    return _grouped(session, newest, MediaAsset.offer_id, offer_ids, limit)


Cover = GalleryImage | MediaAsset


def covers(session: Session, offers: Sequence[Offer]) -> dict[int, Cover]:
    """The picture each offer card shows: its first gallery image, else (stock media) its
    newest listed asset. Two queries whatever the number of offers."""
    ids = [offer.id for offer in offers]
    found: dict[int, Cover] = {k: v[0] for k, v in offer_images(session, ids).items()}
    missing = [offer_id for offer_id in ids if offer_id not in found]
    for offer_id, assets in stock_assets(session, missing, limit=1).items():
        found[offer_id] = assets[0]
    return found


def portfolios(
    session: Session, owner_ids: Iterable[int], limit: int = MAX_PORTFOLIO
) -> dict[int, list[GalleryImage]]:
    ordered = (
        select(GalleryImage)
        .where(GalleryImage.purpose == ImagePurpose.PORTFOLIO)
        .order_by(GalleryImage.position, GalleryImage.id)
    )
    return _grouped(session, ordered, GalleryImage.owner_id, owner_ids, limit)


def avatars_of(session: Session, user_ids: Iterable[int]) -> dict[int, GalleryImage]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    rows = session.scalars(
        select(GalleryImage)
        .where(GalleryImage.owner_id.in_(ids), GalleryImage.purpose == ImagePurpose.AVATAR)
        .order_by(GalleryImage.id)
    )
    return {image.owner_id: image for image in rows}  # the newest wins


@dataclass(frozen=True)
class Pictures:
    """Everything a page of offer cards needs, loaded up front (no query per card)."""

    covers: dict[int, Cover]
    avatars: dict[int, GalleryImage]


def for_offer_cards(session: Session, offers: Sequence[Offer]) -> Pictures:
    return Pictures(
        covers=covers(session, offers),
        avatars=avatars_of(session, {offer.creator_id for offer in offers}),
    )
