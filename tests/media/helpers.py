"""Builders for media tests: real image files made with Pillow, offers and assets through the
real services."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import jobs
from app.accounts.models import User
from app.audit import AuditEvent
from app.db import Base
from app.media import services
from app.media.models import MediaAsset
from app.media.storage import MediaStorage
from tests import checkout_support
from tests.factories import make_creator, make_offer, make_user

VISA = checkout_support.VISA


def picture(seed: int = 1, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A deterministic, structured picture (distinct seeds give distinct perceptual hashes)."""
    width, height = size
    image = Image.new("RGB", size, ((seed * 53) % 255, (seed * 97) % 255, (seed * 31) % 255))
    draw = ImageDraw.Draw(image)
    for i in range(6):
        k = seed * 7 + i * 13
        x0, y0 = (k * 37) % width, (k * 61) % height
        x1, y1 = x0 + width // 3, y0 + height // 3
        draw.rectangle((x0, y0, x1, y1), fill=((k * 29) % 255, (k * 71) % 255, (k * 11) % 255))
        draw.ellipse(
            ((k * 17) % width, (k * 23) % height, (k * 17) % width + 80, (k * 23) % height + 80),
            fill=(255 - (k * 5) % 255, (k * 3) % 255, 128),
        )
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def jpeg_with_exif(seed: int = 1) -> bytes:
    image = picture(seed)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Inc"  # Make
    exif[0x0131] = "GPS-leaking software"  # Software
    return encode(image, "JPEG", exif=exif.tobytes(), quality=92)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A real, valid PNG of width×height 1-bit pixels: ~110 KB on disk, ~900 megapixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    block = row * 256
    parts = [compressor.compress(block) for _ in range(height // 256)]
    parts.append(compressor.compress(row * (height % 256)))
    parts.append(compressor.flush())
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", b"".join(parts))
        + chunk(b"IEND", b"")
    )


def mp4_video(seconds: float = 1.0, size: tuple[int, int] = (160, 120)) -> bytes:
    """A real MP4 (MPEG-4 part 2) made with PyAV: coloured frames with a moving square."""
    import av

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(int(seconds * 10)):
            frame_image = Image.new("RGB", size, (200, 60, 40))
            ImageDraw.Draw(frame_image).rectangle((i * 8, 30, i * 8 + 40, 70), fill=(20, 200, 90))
            frame = av.VideoFrame.from_image(frame_image)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def stock_offer(session: Session, creator: User, **overrides: Any) -> Any:
    overrides.setdefault("title", "Landscape photo collection")
    return make_offer(session, creator, kind="stock_media", status="published", **overrides)


def meta(offer_id: int, **overrides: Any) -> services.MediaInput:
    values: dict[str, Any] = {
        "offer_id": offer_id,
        "title": "Sunset over the mountains",
        "description": "Golden light over alpine peaks at dusk.",
        "keywords": ["sunset", "mountains", "landscape"],
        "category": "Photography",
    }
    values.update(overrides)
    return services.MediaInput(**values)


def process_uploads(session: Session) -> jobs.RunReport:
    """Run the due jobs, as the worker does: the processing jobs of uploads make previews,
    thumbnails, hashes and renditions (app.media.processing)."""
    return jobs.run_due(session)


def upload(
    session: Session,
    storage: MediaStorage,
    creator: User,
    data: bytes | None = None,
    *,
    offer: Any = None,
    seed: int = 1,
    process: bool = True,
    **overrides: Any,
) -> MediaAsset:
    """Upload through the service and (``process``) run the processing job, like the worker."""
    offer = offer or stock_offer(session, creator)
    asset = services.upload(
        session, storage, creator, data or encode(picture(seed)), meta(offer.id, **overrides)
    )
    if process:
        process_uploads(session)
        session.refresh(asset)
    return asset


def published_asset(session: Session, storage: MediaStorage, **kwargs: Any) -> MediaAsset:
    creator = kwargs.pop("creator", None) or make_creator(session)
    asset = upload(session, storage, creator, **kwargs)
    moderator = make_user(session, moderator=True)
    services.approve(session, asset.id, moderator=moderator)
    return asset


def counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
        if table.name.startswith("media_") or table.name in ("journal_entries", "postings")
    } | {
        "media_events": session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject_type.in_(["media", "media_license"]))
        )
        or 0
    }
