"""Uploads: real type from the bytes, limits, refusals that leave nothing behind, previews
(watermark, no EXIF), video poster frames and near-duplicate flags."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.errors import PermissionDenied, ValidationFailed
from app.media import images, services
from app.media.models import MediaKind, MediaState
from tests.factories import login, make_business, make_creator, make_user
from tests.media.conftest import stored_files
from tests.media.helpers import (
    counts,
    encode,
    jpeg_with_exif,
    meta,
    mp4_video,
    picture,
    png_bomb,
    process_uploads,
    published_asset,
    stock_offer,
    upload,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (encode(picture(), "JPEG"), "image/jpeg"),
        (encode(picture(), "PNG"), "image/png"),
        (encode(picture(), "WEBP"), "image/webp"),
        (b"GIF89a" + b"\x00" * 20, None),
        (b"hello, I am a text file renamed to photo.jpg", None),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", None),  # QuickTime, not MP4
    ],
)
def test_sniff_reads_the_bytes(data, expected):
    assert images.sniff(data) == expected


def _jpeg() -> bytes:
    return encode(picture(3), "JPEG", quality=90)


BAD_FILES = {
    "renamed_text": (b"Just some text, saved as holiday.jpg\n" * 20, "not a supported type"),
    "truncated_jpeg": (_jpeg()[: len(_jpeg()) // 2], "damaged or incomplete"),
    "png_bomb": (png_bomb(), "too many pixels"),
    "png_claiming_jpeg": (encode(picture(), "PNG")[:8] + _jpeg()[8:], "damaged or incomplete"),
    "empty": (b"", "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_and_leave_nothing(session, storage, case):
    data, message = BAD_FILES[case]
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    before = counts(session)
    with pytest.raises(ValidationFailed) as caught:
        services.upload(session, storage, creator, data, meta(offer.id), filename="holiday.jpg")
    assert "file" in caught.value.errors
    assert message in caught.value.errors["file"][0]
    assert counts(session) == before
    assert stored_files(storage) == []


def test_pixel_limit_counts_megapixels_from_the_header(session, storage, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_PIXELS", 640 * 480 - 1)
    creator = make_creator(session)
    with pytest.raises(ValidationFailed, match="megapixels"):
        upload(session, storage, creator)
    assert stored_files(storage) == []


def test_oversize_file_is_refused_through_the_upload_page(
    app, client, session, storage, monkeypatch
):
    monkeypatch.setitem(app.config, "MEDIA_IMAGE_MAX_BYTES", 20_000)
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    noise = np.random.default_rng(5).integers(0, 255, (200, 200, 3), dtype=np.uint8)
    big = encode(Image.fromarray(noise), "PNG")
    assert len(big) > 20_000
    login(client, creator)
    before = counts(session)
    response = client.post(
        "/media/upload",
        data={
            "offer_id": offer.id,
            "title": "Big",
            "category": "Photography",
            "file": (io.BytesIO(big), "big.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Images are limited to" in response.get_data(as_text=True)
    session.expire_all()
    assert counts(session) == before
    assert stored_files(storage) == []


def test_release_document_is_required_when_a_release_is_claimed(session, storage):
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    with pytest.raises(ValidationFailed) as caught:
        services.upload(session, storage, creator, _jpeg(), meta(offer.id, model_release=True))
    assert "release_document" in caught.value.errors
    with pytest.raises(ValidationFailed):  # a "PDF" that is really text
        services.upload(
            session,
            storage,
            creator,
            _jpeg(),
            meta(offer.id, model_release=True),
            release_document=b"not a pdf",
        )
    asset = services.upload(
        session,
        storage,
        creator,
        _jpeg(),
        meta(offer.id, model_release=True, editorial=True, generative_ai=True),
        release_document=b"%PDF-1.4\n% signed release\n",
    )
    assert asset.release_key and storage.exists(asset.release_key)
    assert (asset.model_release, asset.editorial, asset.generative_ai) == (True, True, True)
    assert stored_files(storage).__len__() == 2  # original and release; previews by the job
    assert process_uploads(session).done == 1
    assert stored_files(storage).__len__() == 4


def test_only_own_stock_media_offers_and_creators(session, storage):
    creator, other = make_creator(session), make_creator(session)
    service_offer = stock_offer(session, creator)
    with pytest.raises(ValidationFailed) as caught:
        upload(session, storage, other, offer=service_offer)
    assert "offer_id" in caught.value.errors
    business = make_business(session)
    with pytest.raises(PermissionDenied):
        upload(session, storage, business, offer=service_offer)
    assert stored_files(storage) == []


def test_watermark_is_on_the_preview(session, storage):
    creator = make_creator(session)
    flat = Image.new("RGB", (1200, 900), (30, 120, 200))
    asset = upload(session, storage, creator, encode(flat, "PNG"))
    preview = Image.open(io.BytesIO(storage.get(asset.preview_key))).convert("RGB")
    assert max(preview.size) == images.PREVIEW_SIZE
    pixels = np.asarray(preview, dtype=np.int16)
    differs = np.abs(pixels - np.array([30, 120, 200])).sum(axis=2) > 60
    assert differs.mean() > 0.05  # the watermark text and band cover a visible share
    band = differs[-preview.height // 14 :, :]
    assert band.mean() > 0.5  # the solid band at the bottom
    # The thumbnail stays clean (it is too small to be worth stealing).
    thumb = np.asarray(
        Image.open(io.BytesIO(storage.get(asset.thumb_key))).convert("RGB"), dtype=np.int16
    )
    assert (np.abs(thumb - np.array([30, 120, 200])).sum(axis=2) > 60).mean() < 0.01


def test_exif_is_absent_from_served_previews(client, session, storage):
    data = jpeg_with_exif()
    assert Image.open(io.BytesIO(data)).getexif()  # the upload has EXIF
    asset = published_asset(session, storage, data=data)
    for url in (f"/media/{asset.id}/preview.jpg", f"/media/{asset.id}/thumb.jpg"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.mimetype == "image/jpeg"
        body = response.get_data()
        served = Image.open(io.BytesIO(body))
        assert not served.getexif()
        assert "exif" not in served.info and "icc_profile" not in served.info
        assert b"SecretCam" not in body and b"Exif\x00\x00" not in body
    # The original keeps its EXIF: it is what the licensee paid for.
    assert b"SecretCam" in storage.get(asset.original_key)


def test_png_with_alpha_and_webp_are_accepted(session, storage):
    creator = make_creator(session)
    rgba = picture(8).convert("RGBA")
    asset = upload(session, storage, creator, encode(rgba, "PNG"))
    assert (asset.content_type, asset.kind, asset.width, asset.height) == (
        "image/png",
        MediaKind.IMAGE,
        640,
        480,
    )
    webp = upload(session, storage, creator, encode(picture(9), "WEBP"), seed=9)
    assert webp.content_type == "image/webp" and webp.original_key.endswith(".webp")


def test_mp4_video_gets_a_poster_frame(session, storage):
    pytest.importorskip("av")
    creator = make_creator(session)
    asset = upload(session, storage, creator, mp4_video(1.0))
    assert asset.kind == MediaKind.VIDEO and asset.content_type == "video/mp4"
    assert (asset.width, asset.height) == (160, 120)
    assert asset.duration_ms is not None and 800 <= asset.duration_ms <= 1200
    poster = np.asarray(Image.open(io.BytesIO(storage.get(asset.thumb_key))).convert("RGB"))
    # The poster frame is the red first frame, not the grey placeholder.
    assert poster[..., 0].mean() > 120 and poster[..., 2].mean() < 100


def test_long_or_truncated_video_is_refused(session, storage, app, monkeypatch):
    pytest.importorskip("av")
    creator = make_creator(session)
    video = mp4_video(1.0)
    with pytest.raises(ValidationFailed, match="damaged|duration"):
        upload(session, storage, creator, video[: len(video) // 3])
    monkeypatch.setitem(app.config, "MEDIA_VIDEO_MAX_SECONDS", 0)
    with pytest.raises(ValidationFailed, match="limited to 0 seconds"):
        upload(session, storage, creator, video)
    assert stored_files(storage) == []


def test_near_duplicates_of_listed_media_are_flagged(session, storage):
    listed = published_asset(session, storage, seed=11)
    copier = make_creator(session)
    # The same picture, resized and re-encoded: a near-duplicate.
    copy = picture(11).resize((500, 375))
    flagged = upload(session, storage, copier, encode(copy, "JPEG", quality=70), seed=11)
    assert flagged.duplicate_of_id == listed.id
    assert flagged.duplicate_distance is not None and flagged.duplicate_distance <= 8
    other = upload(session, storage, copier, seed=12)
    assert other.duplicate_of_id is None
    # The flag reaches the moderator's queue.
    assert flagged.state == MediaState.PENDING
    assert images.hamming(flagged.dhash, listed.dhash) == flagged.duplicate_distance


def test_upload_page_stores_pending_media(client, session, storage):
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    login(client, creator)
    page = client.get("/media/upload")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert (
        "upload-progress.js" in html and "data-upload-progress" in html and "<script>" not in html
    )
    response = client.post(
        "/media/upload",
        data={
            "offer_id": offer.id,
            "title": "Harbour at dawn",
            "category": "Photography",
            "keywords": "harbour, boats, dawn",
            "description": "Fishing boats.",
            "file": (io.BytesIO(_jpeg()), "harbour.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    mine = client.get("/my/media").get_data(as_text=True)
    assert "Harbour at dawn" in mine and "Pending" in mine
    assert len(stored_files(storage)) == 1  # the original; the job makes the rest
    assert process_uploads(session).done == 1
    assert len(stored_files(storage)) == 3  # original, preview, thumbnail
    moderator = make_user(session, moderator=True)
    assert services.review_queue(session)[0].keywords == ["harbour", "boats", "dawn"]
    assert moderator.is_moderator


def test_files_are_removed_when_the_transaction_rolls_back(session, storage):
    creator = make_creator(session)
    offer = stock_offer(session, creator)
    session.commit()
    services.upload(session, storage, creator, _jpeg(), meta(offer.id))
    assert len(stored_files(storage)) == 1  # the original (the job makes the previews)
    session.rollback()
    assert stored_files(storage) == []
    assert process_uploads(session).done == 0  # the rolled-back upload's job went with it
    asset = services.upload(session, storage, creator, _jpeg(), meta(offer.id))
    session.commit()
    assert len(stored_files(storage)) == 1 and storage.exists(asset.original_key)
    assert process_uploads(session).done == 1
    assert len(stored_files(storage)) == 3
