"""Offer galleries, portfolio items and avatars: the media pipeline's rules, re-encoded
renditions without metadata, who may see what, and the pages that upload them."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.media import gallery
from app.media.models import GalleryImage, ImagePurpose
from tests.factories import login, make_business, make_creator, make_offer
from tests.media.conftest import stored_files
from tests.media.helpers import encode, jpeg_with_exif, picture, png_bomb, process_uploads


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(GalleryImage)) or 0


def test_an_offer_picture_is_stored_as_clean_renditions_and_served_with_srcset(
    client, session, storage
):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    data = jpeg_with_exif()
    image = gallery.add_image(
        session, storage, creator, data, purpose=ImagePurpose.OFFER, offer=offer, title="Desk"
    )
    process_uploads(session)
    session.refresh(image)
    assert image.widths == [320, 640]  # the source is 640 wide: never upscaled
    assert (image.width, image.height, image.aspect_height) == (640, 480, 480)
    for width in image.widths:
        body = client.get(f"/images/{image.id}/{width}.jpg").get_data()
        served = Image.open(io.BytesIO(body))
        assert served.width == width and served.format == "JPEG"
        assert not served.getexif() and b"SecretCam" not in body
    assert client.get(f"/images/{image.id}/999.jpg").status_code == 404
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert f"/images/{image.id}/320.jpg 320w" in page and 'loading="eager"' in page
    catalog = client.get("/offers").get_data(as_text=True)
    assert f"/images/{image.id}/320.jpg" in catalog and 'loading="lazy"' in catalog


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4 not a picture", "not a supported type"),
        (png_bomb(), "pixels"),
        (encode(picture(), "JPEG")[:2000], "damaged"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(session, storage, data, message):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    with pytest.raises(ValidationFailed) as error:
        gallery.add_image(session, storage, creator, data, purpose=ImagePurpose.OFFER, offer=offer)
    assert message in " ".join(error.value.errors["file"])
    assert _count(session) == 0 and stored_files(storage) == []


def test_size_and_count_limits(app, session, storage, monkeypatch):
    creator = make_creator(session)
    offer = make_offer(session, creator)
    monkeypatch.setitem(app.config, "GALLERY_IMAGE_MAX_BYTES", 1000)
    with pytest.raises(ValidationFailed, match="limited to"):
        gallery.add_image(
            session, storage, creator, encode(picture()), purpose=ImagePurpose.OFFER, offer=offer
        )
    monkeypatch.setitem(app.config, "GALLERY_IMAGE_MAX_BYTES", 10**7)
    monkeypatch.setattr(gallery, "MAX_PER_OFFER", 2)
    small = encode(picture(size=(200, 150)))
    for _ in range(2):
        gallery.add_image(session, storage, creator, small, purpose=ImagePurpose.OFFER, offer=offer)
    with pytest.raises(ValidationFailed) as error:
        gallery.add_image(session, storage, creator, small, purpose=ImagePurpose.OFFER, offer=offer)
    assert "at most 2 pictures" in error.value.errors["file"][0]
    assert _count(session) == 2


def test_only_the_owner_adds_to_an_offer_and_only_creators_have_a_portfolio(session, storage):
    creator, other = make_creator(session), make_creator(session)
    offer = make_offer(session, creator)
    data = encode(picture(size=(200, 150)))
    with pytest.raises(NotFound):
        gallery.add_image(session, storage, other, data, purpose=ImagePurpose.OFFER, offer=offer)
    with pytest.raises(PermissionDenied):
        gallery.add_image(
            session,
            storage,
            make_business(session),
            data,
            purpose=ImagePurpose.PORTFOLIO,
            title="x",
        )
    with pytest.raises(ValidationFailed) as error:
        gallery.add_image(session, storage, creator, data, purpose=ImagePurpose.PORTFOLIO)
    assert "title" in error.value.errors
    assert _count(session) == 0 and stored_files(storage) == []


def test_a_new_avatar_replaces_the_old_one_and_is_square(session, storage):
    creator = make_creator(session)
    first = gallery.add_image(
        session, storage, creator, encode(picture(1)), purpose=ImagePurpose.AVATAR
    )
    second = gallery.add_image(
        session, storage, creator, encode(picture(2)), purpose=ImagePurpose.AVATAR
    )
    process_uploads(session)
    session.refresh(second)
    assert gallery.avatars_of(session, [creator.id]) == {creator.id: second}
    assert _count(session) == 1 and first not in session
    assert second.widths == [64, 128, 256]
    assert Image.open(io.BytesIO(storage.get(second.key(256)))).size == (256, 256)


def test_pictures_of_unlisted_offers_are_private(client, session, storage):
    creator = make_creator(session)
    draft = make_offer(session, creator)
    image = gallery.add_image(
        session,
        storage,
        creator,
        encode(picture(size=(200, 150))),
        purpose=ImagePurpose.OFFER,
        offer=draft,
    )
    url = f"/images/{image.id}/{image.widths[0]}.jpg"
    assert client.get(url).status_code == 404
    login(client, creator)
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


def test_upload_page_shows_a_refused_file_with_422_and_removal_works(client, session, storage):
    creator = make_creator(session)
    offer = make_offer(session, creator, status="published")
    login(client, creator)
    bad = client.post(
        f"/offers/{offer.id}/pictures",
        data={"file": (io.BytesIO(b"GIF89a nope"), "x.gif"), "title": "Nope"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "not a supported type" in bad.get_data(as_text=True)
    good = client.post(
        f"/offers/{offer.id}/pictures",
        data={"file": (io.BytesIO(encode(picture(size=(200, 150)))), "a.jpg"), "title": "Desk"},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    image = session.scalars(select(GalleryImage)).one()
    assert (image.offer_id, image.title) == (offer.id, "Desk")
    assert client.post(f"/images/{image.id}/remove").status_code == 303
    assert _count(session) == 0
    other = make_creator(session)
    login(client, other)
    assert client.get(f"/offers/{offer.id}/pictures").status_code == 403  # like its edit page
