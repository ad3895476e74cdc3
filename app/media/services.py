"""Stock media services: upload, review, withdraw, visibility and the public grid's search.

Services take a Session, flush and never commit. Files are written to storage only after the
whole upload has been checked, and are deleted again if the row is not written or the
transaction rolls back later (``stored_files``), so a refused upload leaves nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from app import clock
from app.accounts.models import User
from app.db import MAX_ID
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.media import images, timers
from app.media.images import Inspected, Limits
from app.media.models import MediaAsset, MediaKind, MediaState
from app.media.states import MEDIA, lock_asset
from app.media.storage import MediaStorage, new_key
from app.offers.catalog import listed_offers
from app.offers.models import CATEGORIES, Offer, OfferKind, OfferStatus
from app.offers.services import is_listed as offer_is_listed

MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_KEYWORDS = 50
MAX_KEYWORD = 40
MAX_REASON = 1000
# dHash bits that may differ for two pictures to count as near-duplicates (of 64).
DUPLICATE_MAX_DISTANCE = 8
RELEASE_TYPES = {b"%PDF-": ("application/pdf", "pdf")}

DEFAULT_LIMITS = {
    "MEDIA_IMAGE_MAX_BYTES": 25 * 1024 * 1024,
    "MEDIA_VIDEO_MAX_BYTES": 60 * 1024 * 1024,
    "MEDIA_MAX_PIXELS": 50_000_000,
    "MEDIA_VIDEO_MAX_SECONDS": 60,
    "MEDIA_RELEASE_MAX_BYTES": 10 * 1024 * 1024,
}


def limits(app: Flask | None = None) -> Limits:
    config = (app or current_app).config

    def value(name: str) -> int:
        return int(config.get(name, DEFAULT_LIMITS[name]))

    return Limits(
        image_max_bytes=value("MEDIA_IMAGE_MAX_BYTES"),
        video_max_bytes=value("MEDIA_VIDEO_MAX_BYTES"),
        max_pixels=value("MEDIA_MAX_PIXELS"),
        video_max_seconds=value("MEDIA_VIDEO_MAX_SECONDS"),
    )


@dataclass(frozen=True)
class MediaInput:
    offer_id: int
    title: str
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    category: str = "Photography"
    model_release: bool = False
    property_release: bool = False
    generative_ai: bool = False
    editorial: bool = False


# --- files written during a transaction are removed if it rolls back ---------------------------

_PENDING_KEYS = "media_written_keys"


def _forget_on_rollback(session: Session, storage: MediaStorage, keys: list[str]) -> None:
    session.info.setdefault(_PENDING_KEYS, []).append((storage, keys))


@contextmanager
def stored_files(
    session: Session, storage: MediaStorage
) -> Iterator[Callable[[str, bytes, str], None]]:
    """``put(key, body, content_type)`` for the files of rows added inside the block: they are
    deleted again if the block raises, or if the transaction rolls back later."""
    written: list[str] = []

    def put(key: str, body: bytes, content_type: str) -> None:
        storage.put(key, body, content_type)
        written.append(key)

    try:
        yield put
    except BaseException:
        for key in written:
            storage.delete(key)
        raise
    _forget_on_rollback(session, storage, written)


@event.listens_for(Session, "after_commit")
def _keep_files(session: Session) -> None:
    # SQLAlchemy fires after_commit for a SAVEPOINT too (jobs.schedule, web.attempt): only
    # the outermost commit makes the files permanent.
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING_KEYS, None)


@event.listens_for(Session, "after_soft_rollback")
def _remove_files(session: Session, previous_transaction: object) -> None:
    if session.in_transaction():  # a SAVEPOINT rolled back; the outer work may still commit
        return
    for storage, keys in session.info.pop(_PENDING_KEYS, []):
        for key in keys:
            storage.delete(key)


# --- upload ------------------------------------------------------------------------------------


def _clean_input(session: Session, creator: User, data: MediaInput) -> tuple[Offer, list[str]]:
    errors: dict[str, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors["title"] = ["Give the media a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = [f"At most {MAX_DESCRIPTION} characters."]
    keywords: list[str] = []
    for word in data.keywords:
        word = word.strip().lower()
        if word and word not in keywords:
            keywords.append(word)
    if len(keywords) > MAX_KEYWORDS or any(len(word) > MAX_KEYWORD for word in keywords):
        errors["keywords"] = [f"Up to {MAX_KEYWORDS} keywords of at most {MAX_KEYWORD} characters."]
    if data.category not in CATEGORIES:
        errors["category"] = ["Choose a category from the list."]
    offer = session.get(Offer, data.offer_id) if 0 < data.offer_id <= MAX_ID else None
    if (
        offer is None
        or offer.creator_id != creator.id
        or offer.kind != OfferKind.STOCK_MEDIA
        or offer.status == OfferStatus.REMOVED
    ):
        errors["offer_id"] = ["Choose one of your stock media offers."]
    if errors:
        raise ValidationFailed(errors)
    assert offer is not None
    return offer, keywords


def _release_document(data: MediaInput, document: bytes | None, max_bytes: int) -> tuple[str, str]:
    """(content type, extension) of the release document; required when a release is claimed."""
    if not (data.model_release or data.property_release):
        if document:
            raise ValidationFailed(
                {"release_document": ["Tick the model or property release it belongs to."]}
            )
        return "", ""
    if not document:
        raise ValidationFailed(
            {"release_document": ["Attach the signed release (PDF, JPEG or PNG)."]}
        )
    if len(document) > max_bytes:
        raise ValidationFailed({"release_document": ["The release document is too large."]})
    for magic, kind in RELEASE_TYPES.items():
        if document.startswith(magic):
            return kind
    sniffed = images.sniff(document)
    if sniffed in ("image/jpeg", "image/png"):
        return sniffed, images.EXTENSIONS[sniffed]
    raise ValidationFailed({"release_document": ["Attach the release as a PDF, JPEG or PNG."]})


def nearest_listed(
    session: Session, digest: str | None, sha256: str, *, exclude: int | None = None
) -> tuple[int, int] | None:
    """(asset id, distance) of the closest published asset, if it is a near-duplicate."""
    best: tuple[int, int] | None = None
    rows = session.execute(
        select(MediaAsset.id, MediaAsset.dhash, MediaAsset.sha256).where(
            MediaAsset.state == MediaState.PUBLISHED, MediaAsset.id != (exclude or 0)
        )
    )
    for asset_id, other_hash, other_sha in rows:
        if other_sha == sha256:
            distance = 0
        elif digest and other_hash:
            distance = images.hamming(digest, other_hash)
        else:
            continue
        if distance <= DUPLICATE_MAX_DISTANCE and (best is None or distance < best[1]):
            best = (asset_id, distance)
    return best


def upload(
    session: Session,
    storage: MediaStorage,
    creator: User,
    data: bytes,
    meta: MediaInput,
    *,
    filename: str = "",
    release_document: bytes | None = None,
    app: Flask | None = None,
) -> MediaAsset:
    """Store a new asset, pending review, and set the job that makes its preview, thumbnail
    and hash (until then it shows as processing). Raises PermissionDenied (not a creator) and
    ValidationFailed (bad metadata; file of the wrong type, too large, too many pixels,
    truncated; missing release document) before anything is stored."""
    if not creator.is_creator or creator.suspended_at is not None:
        raise PermissionDenied("Only creators upload stock media.")
    offer, keywords = _clean_input(session, creator, meta)
    max_release = int(
        (app or current_app).config.get(
            "MEDIA_RELEASE_MAX_BYTES", DEFAULT_LIMITS["MEDIA_RELEASE_MAX_BYTES"]
        )
    )
    release_type, release_ext = _release_document(meta, release_document, max_release)
    # The cheap checks only; previews, thumbnail and hash are made by a job
    # (app.media.processing) at the keys chosen here.
    found: Inspected = images.check(data, limits(app))
    sha256 = hashlib.sha256(data).hexdigest()

    files = [(new_key("originals", found.extension), data, found.content_type)]
    if release_document:
        files.append((new_key("releases", release_ext), release_document, release_type))
    with stored_files(session, storage) as put:
        for key, body, content_type in files:
            put(key, body, content_type)
        asset = MediaAsset(
            creator_id=creator.id,
            offer_id=offer.id,
            kind=found.kind,
            state=MediaState.PENDING,
            title=meta.title.strip(),
            description=meta.description.strip(),
            keywords=keywords,
            category=meta.category,
            search_text=" ".join([meta.title, meta.description, *keywords]).lower(),
            model_release=meta.model_release,
            property_release=meta.property_release,
            generative_ai=meta.generative_ai,
            editorial=meta.editorial,
            original_key=files[0][0],
            preview_key=new_key("previews", "jpg"),
            thumb_key=new_key("thumbs", "jpg"),
            release_key=files[1][0] if release_document else None,
            content_type=found.content_type,
            original_name=filename[:200],
            byte_size=len(data),
            width=found.width,
            height=found.height,
            duration_ms=found.duration_ms,
            sha256=sha256,
        )
        session.add(asset)
        session.flush()
    timers.PROCESS_ASSET.set(session, asset.id, clock.now())
    return asset


# --- review ------------------------------------------------------------------------------------


def _moderator(actor: User, asset: MediaAsset) -> None:
    if not (actor.is_moderator or actor.is_admin):
        raise PermissionDenied("Only moderators review media.")
    if asset.creator_id == actor.id:
        raise PermissionDenied("Someone else must review your own media.")


def approve(session: Session, asset_id: int, *, moderator: User) -> MediaAsset:
    """Publish a pending asset. Raises NotFound, PermissionDenied, InvalidTransition, Conflict
    (still processing: nobody has seen its preview yet)."""
    asset = lock_asset(session, asset_id)
    _moderator(moderator, asset)
    if asset.processed_at is None:
        raise Conflict("This media is still being processed; review it once its preview shows.")
    MEDIA.move(session, asset, "approve", actor_id=moderator.id)
    asset.reviewed_by_id, asset.reviewed_at = moderator.id, clock.now()
    asset.published_at = clock.now()
    asset.rejection_reason = ""
    session.flush()
    return asset


def reject(session: Session, asset_id: int, *, moderator: User, reason: str) -> MediaAsset:
    """Reject a pending asset with a reason the creator sees. Raises ValidationFailed (no
    reason), NotFound, PermissionDenied, InvalidTransition."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Say why, in 1 to {MAX_REASON} characters."]})
    asset = lock_asset(session, asset_id)
    _moderator(moderator, asset)
    MEDIA.move(session, asset, "reject", actor_id=moderator.id, reason=reason)
    asset.reviewed_by_id, asset.reviewed_at = moderator.id, clock.now()
    asset.rejection_reason = reason
    session.flush()
    return asset


def withdraw(session: Session, asset_id: int, *, creator: User) -> MediaAsset:
    """Take an asset off the market (its creator). Licences already sold stay valid."""
    asset = lock_asset(session, asset_id)
    if asset.creator_id != creator.id:
        raise NotFound("No such media.")
    MEDIA.move(session, asset, "withdraw", actor_id=creator.id)
    return asset


def review_queue(session: Session) -> list[MediaAsset]:
    return list(
        session.scalars(
            select(MediaAsset)
            .where(MediaAsset.state == MediaState.PENDING)
            .order_by(MediaAsset.created_at, MediaAsset.id)
        )
    )


# --- visibility and search ---------------------------------------------------------------------


def listed_query() -> Select[MediaAsset]:
    """Published assets whose offer is publicly listed (see ``offers.catalog.listed_offers``:
    published, creator not suspended, nothing hidden by a moderator)."""
    listed_offer_ids = listed_offers().with_only_columns(Offer.id)
    return select(MediaAsset).where(
        MediaAsset.state == MediaState.PUBLISHED, MediaAsset.offer_id.in_(listed_offer_ids)
    )


def is_listed(asset: MediaAsset) -> bool:
    return asset.state == MediaState.PUBLISHED and offer_is_listed(asset.offer)


def can_see_unlisted(asset: MediaAsset, viewer: User | None) -> bool:
    return viewer is not None and (
        viewer.id == asset.creator_id or viewer.is_moderator or viewer.is_admin
    )


def visible_asset(session: Session, asset_id: int, viewer: User | None) -> MediaAsset:
    """The asset if the viewer may see it; NotFound otherwise (unlisted ids are not revealed)."""
    asset = session.get(MediaAsset, asset_id) if 0 < asset_id <= MAX_ID else None
    if asset is None or not (is_listed(asset) or can_see_unlisted(asset, viewer)):
        raise NotFound("No such media.")
    return asset


def prices(asset: MediaAsset) -> dict[str, int]:
    terms = asset.offer.stock
    if terms is None:
        return {}
    return {"standard": terms.standard_license_minor, "enhanced": terms.enhanced_license_minor}


@dataclass
class SearchResult:
    items: list[MediaAsset]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(
    session: Session, *, q: str = "", kind: str = "", page: int = 1, per_page: int = 24
) -> SearchResult:
    """Listed assets whose text contains every word of ``q``, newest first."""
    stmt = listed_query()
    for word in q.lower().split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(MediaAsset.search_text.like(f"%{escaped}%", escape="\\"))
    if kind in set(MediaKind):
        stmt = stmt.where(MediaAsset.kind == MediaKind(kind))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = session.scalars(
        stmt.order_by(MediaAsset.published_at.desc(), MediaAsset.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return SearchResult(list(items), total, page, per_page)


def creator_assets(session: Session, creator: User) -> list[MediaAsset]:
    return list(
        session.scalars(
            select(MediaAsset)
            .where(MediaAsset.creator_id == creator.id)
            .order_by(MediaAsset.id.desc())
        )
    )
