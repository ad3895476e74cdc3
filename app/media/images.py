"""Inspecting uploads and making what is served publicly: sniffing, limits, previews, hashes.

The real type comes from the bytes, never from the file name or the browser's Content-Type.
Pixel counts are read from the header before any pixel is decoded, so a decompression bomb
(a tiny file that inflates to gigabytes) is refused without allocating it. Everything served
publicly is re-encoded from raw pixels, so no EXIF/XMP/ICC metadata of the original survives.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from app.errors import ValidationFailed
from app.media.models import MediaKind

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "video/mp4": "mp4"}
# ISO base media brands of MP4 files (QuickTime "qt  " and 3GP are refused).
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"dash",
    b"mmp4",
    b"MSNV",
}
THUMB_SIZE = 400
PREVIEW_SIZE = 1024
# Previews, renditions and hashes are made from one working copy at most this many pixels on
# its longer side (>= the largest gallery width and the preview size): the full-size picture
# is decoded once (JPEG: already reduced by the decoder's draft mode), reduced, and dropped,
# so a 7000x7000 upload never has several full-size copies alive at once.
WORK_MAX_SIDE = 2048
WATERMARK_TEXT = "COBALT MARKET PREVIEW"
UNSUPPORTED = "Upload a JPEG, PNG or WebP image or an MP4 video."


@dataclass(frozen=True)
class Limits:
    image_max_bytes: int
    video_max_bytes: int
    max_pixels: int
    video_max_seconds: int


@dataclass(frozen=True)
class Inspected:
    kind: MediaKind
    content_type: str
    extension: str
    width: int
    height: int
    duration_ms: int | None
    # What previews are made from: the image reduced to at most WORK_MAX_SIDE, or a video's
    # poster frame (None: none). ``width``/``height`` are the original's.
    picture: Image.Image | None


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed({"file": [message]})


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (of the ones we accept), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in MP4_BRANDS:
        return "video/mp4"
    return None


def _mb(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def _content_type(data: bytes, limits: Limits) -> str:
    """The sniffed type of an upload within its size limit; raises ValidationFailed."""
    if not data:
        raise refuse("The file is empty.")
    content_type = sniff(data)
    if content_type is None:
        raise refuse(f"This file is not a supported type. {UNSUPPORTED}")
    limit = limits.video_max_bytes if content_type == "video/mp4" else limits.image_max_bytes
    if len(data) > limit:
        noun = "Videos" if content_type == "video/mp4" else "Images"
        raise refuse(f"{noun} are limited to {_mb(limit)}.")
    return content_type


def inspect(data: bytes, limits: Limits) -> Inspected:
    """Check an upload completely and decode it (a working copy in ``picture``); raises
    ValidationFailed (field ``file``) with a clear reason. Runs in the processing job."""
    content_type = _content_type(data, limits)
    if content_type == "video/mp4":
        return _inspect_video(data, limits)
    return _inspect_image(data, content_type, limits)


def _open_checked(data: bytes, content_type: str, limits: Limits) -> Image.Image:
    """The image opened from its header (no pixel decoded yet), after the cheap checks:
    pixel count, contents matching the sniffed type, a still image. Raises ValidationFailed
    and lets Pillow's own errors through (the callers map them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width * height > limits.max_pixels:
        raise refuse(
            f"The image is {width}×{height} pixels; at most "
            f"{limits.max_pixels / 1e6:g} megapixels are accepted."
        )
    if IMAGE_TYPES.get(image.format or "") != content_type:
        raise refuse(f"The file's contents do not match its type. {UNSUPPORTED}")
    if getattr(image, "n_frames", 1) > 1:
        raise refuse("Animated images are not accepted; upload a still image or MP4.")
    return image


def _image_errors() -> tuple[type[BaseException], ...]:
    return (OSError, SyntaxError, ValueError, EOFError)


def check(data: bytes, limits: Limits) -> Inspected:
    """The cheap checks an upload request runs before it stores anything: sniffed type, byte
    size, pixel count from the header, contents matching the type, still image, and (PNG)
    ``_check_complete``, so a truncated file is refused at once. No full-size decode
    (``picture`` is None for images); ``inspect`` does that in the job.
    Raises ValidationFailed (field ``file``). Videos are inspected fully (one frame)."""
    content_type = _content_type(data, limits)
    if content_type == "video/mp4":
        return _inspect_video(data, limits)
    return _read_image(data, content_type, limits, lambda image: _check_complete(image, data))


def _check_complete(image: Image.Image, data: bytes) -> None:
    """Refuse a truncated or corrupt file without a full-size decode: PNG chunk checksums up
    to the end marker; JPEG decoded at 1/8 scale (libjpeg still reads every coded byte); WebP
    by its RIFF length. Raises ValidationFailed or Pillow's errors."""
    if image.format == "JPEG":
        image.draft(image.mode, (1, 1))
        image.load()
        image.close()
    elif image.format == "WEBP":
        declared = int.from_bytes(data[4:8], "little") + 8
        if len(data) < declared:
            raise refuse("The image is damaged or incomplete and cannot be read.")
    else:
        image.verify()


def _inspect_image(data: bytes, content_type: str, limits: Limits) -> Inspected:
    return _read_image(data, content_type, limits, _decode)


def _decode(image: Image.Image) -> Image.Image:
    """The decoded, upright working copy of an opened image."""
    if image.format == "JPEG":
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale straight away (DCT scaling).
        image.draft(image.mode, (WORK_MAX_SIDE, WORK_MAX_SIDE))
    image.load()  # decodes every byte: truncated or corrupt data fails here
    picture = working_copy(image)
    ImageOps.exif_transpose(picture, in_place=True)
    return picture


def _read_image(
    data: bytes,
    content_type: str,
    limits: Limits,
    read: Callable[[Image.Image], Image.Image | None],
) -> Inspected:
    """Open the image after the cheap checks and ``read`` it (``check``: verify only, no
    picture; ``inspect``: the decoded working copy); Pillow's errors become clear refusals."""
    try:
        image = _open_checked(data, content_type, limits)
        width, height = image.size
        picture = read(image)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refuse("The image decompresses to too many pixels.") from exc
    except _image_errors() as exc:
        raise refuse("The image is damaged or incomplete and cannot be read.") from exc
    return Inspected(
        kind=MediaKind.IMAGE,
        content_type=content_type,
        extension=EXTENSIONS[content_type],
        width=width,
        height=height,
        duration_ms=None,
        picture=picture,
    )


def working_copy(image: Image.Image, max_side: int = WORK_MAX_SIDE) -> Image.Image:
    """``image`` reduced by a whole factor to at most ``max_side`` (box-averaged, cheap);
    the full-size image is closed so its pixels are freed as soon as possible."""
    factor = -(-max(image.size) // max_side)  # ceiling division
    if factor <= 1:
        return image
    try:
        if image.mode in ("RGBA", "LA"):
            # reduce() premultiplies alpha into a second full-size image; one band at a
            # time needs a quarter of that (previews are flattened onto white anyway).
            bands = [image.getchannel(band).reduce(factor) for band in image.getbands()]
            small = Image.merge(image.mode, bands)
        else:
            small = image.reduce(factor)
    except ValueError:  # modes reduce() does not handle (palette, 1-bit): nearest pixels
        size = (max(1, image.width // factor), max(1, image.height // factor))
        small = image.resize(size, Image.Resampling.NEAREST)
    small.info = dict(image.info)  # keeps the EXIF orientation for exif_transpose
    image.close()
    return small


def _inspect_video(data: bytes, limits: Limits) -> Inspected:
    try:
        import av
    except ImportError:  # PyAV missing: accept on the container signature, placeholder poster
        return _video_without_decoder(data)
    try:
        with av.open(io.BytesIO(data), mode="r", format="mp4") as container:
            streams = container.streams.video
            if not streams:
                raise refuse("The MP4 file has no video track.")
            stream = streams[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if not width or not height or width * height > limits.max_pixels:
                raise refuse("The video's frame size is missing or too large.")
            duration = container.duration  # microseconds
            if duration is None or duration <= 0:
                raise refuse("The video's duration cannot be read.")
            if duration > limits.video_max_seconds * 1_000_000:
                raise refuse(f"Videos are limited to {limits.video_max_seconds} seconds.")
            poster = None
            for frame in container.decode(stream):
                poster = working_copy(frame.to_image())
                break
            if poster is None:
                raise refuse("The video has no frame that can be decoded.")
    except ValidationFailed:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise refuse("The video is damaged or incomplete and cannot be read.") from exc
    return Inspected(
        kind=MediaKind.VIDEO,
        content_type="video/mp4",
        extension="mp4",
        width=width,
        height=height,
        duration_ms=duration // 1000,
        picture=poster,
    )


def _video_without_decoder(data: bytes) -> Inspected:
    if b"moov" not in data:
        raise refuse("The video is damaged or incomplete and cannot be read.")
    return Inspected(MediaKind.VIDEO, "video/mp4", "mp4", 1, 1, None, None)


# --- what is served publicly ----------------------------------------------------------------


def _clean_rgb(picture: Image.Image) -> Image.Image:
    """A fresh RGB image made from raw pixels only: no EXIF, XMP, ICC or text chunks."""
    if picture.mode in ("RGBA", "LA", "P", "PA"):
        rgba = picture.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        picture = Image.alpha_composite(background, rgba)
    rgb = picture.convert("RGB")
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def placeholder(
    kind: MediaKind, size: tuple[int, int] = (PREVIEW_SIZE, 576), text: str | None = None
) -> Image.Image:
    image = Image.new("RGB", size, (40, 44, 52))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, min(size[1] // 10, size[0] // 12)))
    text = text or ("VIDEO" if kind is MediaKind.VIDEO else "MEDIA")
    draw.text((size[0] // 2, size[1] // 2), text, fill=(220, 220, 220), font=font, anchor="mm")
    return image


def _encode_jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def processing(width: int, height: int) -> bytes:
    """A small JPEG "Processing…" card in the picture's aspect ratio, served in place of a
    preview or rendition the job has not made yet."""
    scale = min(1.0, 400 / max(1, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return _encode_jpeg(placeholder(MediaKind.IMAGE, size, "Processing…"), 70)


def thumbnail(picture: Image.Image | None, kind: MediaKind) -> bytes:
    image = _clean_rgb(picture) if picture is not None else placeholder(kind)
    image.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return _encode_jpeg(image, 82)


def rendition(picture: Image.Image, width: int, *, square: bool = False) -> bytes:
    """A clean JPEG at most ``width`` pixels wide (never upscaled); ``square`` centre-crops
    first (avatars). Gallery images, portfolio items and avatars are served only as these.

    Resizes before cleaning, so the full-size picture is never copied again.
    """
    if picture.mode not in ("RGB", "RGBA", "L", "LA"):
        picture = picture.convert("RGBA")
    if square:
        side = min(picture.size)
        left, top = (picture.width - side) // 2, (picture.height - side) // 2
        box = (left, top, left + side, top + side)
        size = (min(width, side), min(width, side))
    else:
        box = (0, 0, picture.width, picture.height)
        scale = min(1.0, width / picture.width)
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    if size == picture.size:
        small = picture
    else:
        small = picture.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    return _encode_jpeg(_clean_rgb(small), 82)


def watermark(image: Image.Image) -> Image.Image:
    """Tiled diagonal text plus a solid band at the bottom, blended over the picture.

    Strong enough that the preview is useless as a free copy, light enough to judge the shot.
    """
    base = image.convert("RGBA")
    width, height = base.size
    size = max(14, min(width, height) // 14)
    font = ImageFont.load_default(size=size)
    tile = Image.new("RGBA", (width * 2, height * 2), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    step_x, step_y = int(size * 14), int(size * 3.2)
    for row, y in enumerate(range(0, tile.height, step_y)):
        offset = (row % 2) * step_x // 2
        for x in range(-step_x, tile.width, step_x):
            draw.text(
                (x + offset, y),
                WATERMARK_TEXT,
                font=font,
                fill=(255, 255, 255, 110),
                stroke_width=max(1, size // 12),
                stroke_fill=(0, 0, 0, 80),
            )
    tile = tile.rotate(30, resample=Image.Resampling.BICUBIC)
    left, top = (tile.width - width) // 2, (tile.height - height) // 2
    overlay = tile.crop((left, top, left + width, top + height))
    band_height = max(18, height // 12)
    band = ImageDraw.Draw(overlay)
    band.rectangle((0, height - band_height, width, height), fill=(0, 0, 0, 150))
    band.text(
        (width // 2, height - band_height // 2),
        WATERMARK_TEXT,
        font=font,
        fill=(255, 255, 255, 230),
        anchor="mm",
    )
    return Image.alpha_composite(base, overlay).convert("RGB")


def preview(picture: Image.Image | None, kind: MediaKind) -> bytes:
    image = _clean_rgb(picture) if picture is not None else placeholder(kind)
    image.thumbnail((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
    return _encode_jpeg(watermark(image), 80)


# --- near-duplicate detection -----------------------------------------------------------------

HASH_BITS = 64


def dhash(picture: Image.Image) -> str:
    """64-bit difference hash (16 hex digits): robust to resizing, re-encoding and small edits.

    Grey 9×8 thumbnail; each bit says whether a pixel is brighter than its right neighbour.
    """
    small = picture.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.int16)
    bits = (pixels[:, 1:] > pixels[:, :-1]).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
