"""Image processing off the request: previews, thumbnails, hashes and renditions are made by
a durable job (app.jobs), not while the uploader waits.

The upload request runs only the cheap checks (``images.check``: sniffed type, byte and
pixel limits from the header, PNG checksums), stores the original privately and sets one of
the timers below. The job decodes once (``images.inspect``: bounded memory), writes the
files at keys fixed at upload time and marks the row processed. It is idempotent (a processed
row is a no-op; a retry overwrites the same keys) and a storage failure is retried by the
queue with its backoff. A file that only the full decode finds damaged is refused then: a
stock media asset is rejected with the reason (the creator sees it), a gallery picture is
removed. Until then pages show a "Processing…" card of the picture's shape
(``images.processing``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock, jobs
from app.errors import ValidationFailed
from app.media import images, timers
from app.media.gallery import planned_widths, remove_files
from app.media.models import GalleryImage, MediaAsset, MediaState
from app.media.services import limits, nearest_listed
from app.media.states import MEDIA, lock_asset
from app.media.storage import MediaStorage, storage_for

ASSET, GALLERY = timers.PROCESS_ASSET, timers.PROCESS_GALLERY


def run_asset_job(session: Session, job: jobs.Job, _context: jobs.JobContext) -> str:
    return process_asset(session, job.subject_id)


def run_gallery_job(session: Session, job: jobs.Job, _context: jobs.JobContext) -> str:
    return process_gallery_image(session, job.subject_id)


def process_asset(session: Session, asset_id: int, storage: MediaStorage | None = None) -> str:
    """Make the asset's thumbnail, preview and hash (the job; demo data calls it directly).
    Returns the outcome; raises StorageError (the queue retries)."""
    asset = session.get(MediaAsset, asset_id)
    if asset is None:
        return "gone"
    if asset.processed_at is not None:
        return "already processed"
    storage = storage or storage_for()
    data = storage.get(asset.original_key)  # StorageError: the queue retries
    try:
        found = images.inspect(data, limits())
    except ValidationFailed as error:
        asset = lock_asset(session, asset.id)
        reason = "; ".join(error.errors.get("file", [])) or "The file cannot be read."
        if asset.state is MediaState.PENDING:
            MEDIA.move(session, asset, "reject", actor_id=None, reason=reason)
            asset.rejection_reason = reason
        asset.processed_at = clock.now()
        return f"refused: {reason}"
    storage.put(asset.thumb_key, images.thumbnail(found.picture, found.kind), "image/jpeg")
    storage.put(asset.preview_key, images.preview(found.picture, found.kind), "image/jpeg")
    digest = images.dhash(found.picture) if found.picture is not None else None
    asset = lock_asset(session, asset.id)
    if asset.processed_at is not None:
        return "already processed"
    duplicate = nearest_listed(session, digest, asset.sha256, exclude=asset.id)
    asset.dhash = digest
    asset.duplicate_of_id = duplicate[0] if duplicate else None
    asset.duplicate_distance = duplicate[1] if duplicate else None
    asset.processed_at = clock.now()
    session.flush()
    return "processed"


def process_gallery_image(
    session: Session, image_id: int, storage: MediaStorage | None = None
) -> str:
    """Make the picture's renditions and delete the upload (the job; demo data calls it
    directly). Returns the outcome; raises StorageError (the queue retries)."""
    image = session.get(GalleryImage, image_id)
    if image is None:
        return "gone"
    if image.processed_at is not None or image.source_key is None:
        return "already processed"
    storage = storage or storage_for()
    source = image.source_key
    data = storage.get(source)
    try:
        found = images.inspect(data, limits())
        if found.picture is None:
            raise images.refuse("Upload a JPEG, PNG or WebP image.")
    except ValidationFailed as error:
        image = _lock_gallery(session, image.id)
        if image is None:
            return "gone"
        remove_files(session, storage, [*(image.key(w) for w in image.widths), source])
        session.delete(image)
        session.flush()
        return f"refused and removed: {'; '.join(error.errors.get('file', []))}"
    square = image.square
    widths, width, height = planned_widths(found.picture.size, square=square)
    written = [image.key(w) for w in widths]
    for w, key in zip(widths, written, strict=True):
        storage.put(key, images.rendition(found.picture, w, square=square), "image/jpeg")
    image = _lock_gallery(session, image_id)
    if image is None:  # removed by its owner meanwhile: drop what this run wrote
        remove_files(session, storage, [*written, source])
        return "gone"
    if image.processed_at is not None:
        return "already processed"
    stale = [image.key(w) for w in image.widths if w not in widths]
    image.widths, image.width, image.height = list(widths), width, height
    image.processed_at, image.source_key = clock.now(), None
    session.flush()
    remove_files(session, storage, [*stale, source])
    return "processed"


def _lock_gallery(session: Session, image_id: int) -> GalleryImage | None:
    return session.scalars(
        select(GalleryImage)
        .where(GalleryImage.id == image_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def register() -> None:
    jobs.register(ASSET.kind, run_asset_job)
    jobs.register(GALLERY.kind, run_gallery_job)
