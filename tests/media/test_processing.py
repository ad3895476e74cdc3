"""Slow image processing runs in the job queue, not in the upload request.

Finding: an upload ran inspect + thumbnail + watermarked preview + dHash + gallery renditions
while the uploader waited (a 7000×7000 PNG: 12 s at the attack, ~3.8 s after the memory
work). The request now runs only the cheap checks and stores the original; a durable job
(app.media.processing) makes the rest, is idempotent, and is retried when it fails.
"""

from __future__ import annotations

import io
import struct
import time
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from app import clock, jobs
from app.errors import ValidationFailed
from app.jobs import Job, JobStatus
from app.media import gallery, images, processing
from app.media.models import GalleryImage, ImagePurpose, MediaAsset, MediaState
from tests.factories import login, make_creator, make_offer
from tests.media.conftest import stored_files
from tests.media.helpers import encode, picture, process_uploads, stock_offer, upload

REQUEST_BUDGET_SECONDS = 2.0


def _big_png() -> bytes:
    image = Image.new("RGBA", (7000, 7000), (30, 90, 160, 255))
    draw = ImageDraw.Draw(image)
    for i in range(0, 7000, 350):
        draw.rectangle((i, 0, i + 300, 6999), fill=(200, i % 255, 40, 128))
    return encode(image, "PNG")


def _job(session, timer: jobs.Timer, subject_id: int) -> Job:
    return session.scalars(select(Job).where(Job.key == timer.key_for(subject_id))).one()


def _served(client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.get_data()))


def test_a_large_upload_answers_quickly_and_the_job_makes_the_previews(client, session, storage):
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    login(client, creator)
    data = _big_png()
    started = time.perf_counter()
    response = client.post(
        "/media/upload",
        data={
            "offer_id": offer.id,
            "title": "Stripes",
            "category": "Photography",
            "file": (io.BytesIO(data), "stripes.png"),
        },
        content_type="multipart/form-data",
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert elapsed < REQUEST_BUDGET_SECONDS, elapsed
    asset = session.scalars(select(MediaAsset).where(MediaAsset.creator_id == creator.id)).one()
    assert asset.processed_at is None and asset.dhash is None
    assert (asset.width, asset.height) == (7000, 7000)
    assert [p.parent.parent.name for p in stored_files(storage)] == ["originals"]
    assert not storage.exists(asset.preview_key) and not storage.exists(asset.thumb_key)
    # Until the job ran, the preview URL answers a small "Processing" card of the same shape.
    card = client.get(f"/media/{asset.id}/preview.jpg")
    assert card.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(card.get_data())).size == (400, 400)
    assert "Processing" in client.get("/my/media").get_data(as_text=True)
    assert _job(session, processing.ASSET, asset.id).status is JobStatus.PENDING

    started = time.perf_counter()
    report = process_uploads(session)
    print(f"upload request {elapsed:.2f} s; processing job {time.perf_counter() - started:.2f} s")
    assert (report.done, report.outcomes) == (1, ["processed"])
    session.refresh(asset)
    assert asset.processed_at is not None and asset.dhash is not None
    assert storage.exists(asset.preview_key) and storage.exists(asset.thumb_key)
    assert _served(client, f"/media/{asset.id}/preview.jpg").size == (1024, 1024)
    assert _served(client, f"/media/{asset.id}/thumb.jpg").size == (400, 400)
    assert "Processing" not in client.get("/my/media").get_data(as_text=True)


def test_a_gallery_picture_shows_processing_until_the_job_made_its_renditions(
    client, session, storage
):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    image = gallery.add_image(
        session,
        storage,
        creator,
        encode(picture(5, (2000, 1000)), "JPEG"),
        purpose=ImagePurpose.OFFER,
        offer=offer,
    )
    assert image.processed_at is None and image.source_key is not None
    assert image.widths == [320, 640, 1280]  # planned from the header
    assert not any(storage.exists(image.key(w)) for w in image.widths)
    card = client.get(f"/images/{image.id}/1280.jpg")
    assert card.status_code == 200 and card.headers["Cache-Control"] == "no-store"
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert f"/images/{image.id}/320.jpg 320w" in page  # the layout does not wait

    assert process_uploads(session).outcomes == ["processed"]
    session.refresh(image)
    source = stored_files(storage)
    assert image.processed_at is not None and image.source_key is None
    assert all(p.parent.parent.name == "gallery" for p in source)  # the upload is gone
    for width in image.widths:
        assert _served(client, f"/images/{image.id}/{width}.jpg").width == width


def test_the_job_is_idempotent(session, storage, app):
    creator = make_creator(session)
    asset = upload(session, storage, creator)
    job = _job(session, processing.ASSET, asset.id)
    assert job.status is JobStatus.DONE
    preview = storage.get(asset.preview_key)
    processed_at = asset.processed_at
    # Run again (a worker whose lease expired, a duplicate delivery): nothing changes.
    assert processing.run_asset_job(session, job, jobs.JobContext()) == "already processed"
    session.refresh(asset)
    assert asset.processed_at == processed_at and storage.get(asset.preview_key) == preview
    # A job about a row that was deleted meanwhile is a no-op too.
    image = gallery.add_image(
        session, storage, creator, encode(picture(2)), purpose=ImagePurpose.AVATAR
    )
    gallery.remove_image(session, storage, image.id, owner=creator)
    assert process_uploads(session).outcomes == ["gone"]
    assert stored_files(storage).__len__() == 3  # the asset's; the avatar left nothing


def test_a_failing_job_is_retried_with_backoff(session, storage):
    creator = make_creator(session)
    with clock.frozen_at(datetime(2031, 3, 1, 12, 0, tzinfo=UTC)):
        asset = upload(session, storage, creator, process=False)
        session.commit()
        original = storage.get(asset.original_key)
        storage.delete(asset.original_key)  # the storage is unavailable for a moment
        report = process_uploads(session)
        assert (report.done, report.retried) == (0, 1)
        job = _job(session, processing.ASSET, asset.id)
        assert job.status is JobStatus.PENDING and job.attempts == 1
        assert "StorageError" in (job.last_error or "")
        assert job.due_at == clock.now() + jobs.backoff(1)
        storage.put(asset.original_key, original, "image/png")
        assert process_uploads(session).done == 0  # not due yet
        clock.advance(jobs.backoff(1) + timedelta(seconds=1))
        assert process_uploads(session).outcomes == ["processed"]
    session.refresh(asset)
    assert asset.processed_at is not None and storage.exists(asset.preview_key)


def _png_with_bad_pixels() -> bytes:
    """A PNG whose chunks all have the right checksums but whose pixel data is not zlib: the
    cheap request checks pass, only decoding finds it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 200)
        + chunk(b"IEND", b"")
    )


def test_a_file_only_the_decoder_finds_damaged_is_rejected_with_the_reason(session, storage):
    data = _png_with_bad_pixels()
    assert images.check(data, images.Limits(1 << 20, 1 << 20, 10**6, 60)).width == 64
    creator = make_creator(session)
    asset = upload(session, storage, creator, data)
    assert asset.state is MediaState.REJECTED and asset.processed_at is not None
    assert "damaged" in asset.rejection_reason
    # A gallery picture that cannot be decoded is removed, with its upload.
    offer = make_offer(session, creator, status="published")
    image = gallery.add_image(
        session, storage, creator, data, purpose=ImagePurpose.OFFER, offer=offer
    )
    image_id = image.id
    (outcome,) = process_uploads(session).outcomes
    assert outcome.startswith("refused and removed")
    assert session.get(GalleryImage, image_id) is None
    assert [p.parent.parent.name for p in stored_files(storage)] == ["originals"]


def test_bad_files_are_still_refused_by_the_request(session, storage):
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    whole = encode(picture(3), "PNG")
    for data in (whole[: len(whole) // 2], b"GIF89a" + whole[6:]):
        with pytest.raises(ValidationFailed) as error:
            upload(session, storage, creator, data, offer=offer, process=False)
        assert "file" in error.value.errors
    assert stored_files(storage) == []
    assert session.scalar(select(Job.id).where(Job.kind == processing.ASSET.kind)) is None
