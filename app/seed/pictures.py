"""Deterministic demo pictures drawn with Pillow: no downloads, same seed, same pixels.

Each offer category has its own motif (landscapes for photography, charts for data, code for
programming, a waveform for music...), coloured from a small palette and varied by a seeded
RNG, so a demo catalog looks like a catalog and not like one picture repeated. The pictures
are encoded as JPEG and then uploaded through the real pipeline (``app.media.gallery`` and
``app.media.services``) like any user's file.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

Size = tuple[int, int]
Colour = tuple[int, int, int]
# Sizes keep the first start quick: the stock preview's watermark costs grow with the area.
OFFER_SIZE: Size = (720, 480)
PORTFOLIO_SIZE: Size = (560, 420)
STOCK_SIZE: Size = (640, 427)
AVATAR_SIZE = 256

PALETTES: tuple[tuple[Colour, Colour, Colour], ...] = (
    ((18, 52, 86), (64, 145, 178), (246, 189, 96)),
    ((40, 30, 70), (140, 80, 160), (250, 214, 165)),
    ((15, 60, 50), (60, 150, 110), (240, 230, 140)),
    ((90, 20, 30), (200, 85, 60), (255, 220, 180)),
    ((25, 25, 35), (70, 90, 130), (120, 220, 230)),
    ((60, 45, 30), (170, 120, 70), (240, 225, 200)),
    ((10, 70, 110), (240, 120, 90), (250, 250, 245)),
)


def _gradient(size: Size, top: Colour, bottom: Colour) -> Image.Image:
    width, height = size
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    rows = (1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32)
    return Image.fromarray(np.repeat(rows, width, axis=1).astype(np.uint8), "RGB")


def _landscape(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    sun = (rng.randint(width // 5, 4 * width // 5), rng.randint(height // 6, height // 3))
    r = height // 9
    draw.ellipse((sun[0] - r, sun[1] - r, sun[0] + r, sun[1] + r), fill=p[2])
    for layer in range(3):
        base = height * (0.55 + 0.14 * layer)
        points: list[tuple[float, float]] = [(0, height)]
        for x in range(0, width + 80, 80):
            points.append((x, base - rng.uniform(0, height * (0.22 - 0.05 * layer))))
        points.append((width, height))
        shade = tuple(int(c * (0.9 - 0.25 * layer)) for c in p[1])
        draw.polygon(points, fill=shade)


def _chart(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    left, bottom = width // 10, height - height // 8
    draw.rectangle((left - 20, height // 10, width - left + 20, bottom + 20), fill=(250, 250, 252))
    bars = rng.randint(6, 10)
    step = (width - 2 * left) // bars
    for i in range(bars):
        h = rng.uniform(0.15, 0.75) * (bottom - height // 5)
        colour = p[1] if i % 3 else p[0]
        draw.rectangle(
            (left + i * step + 8, bottom - h, left + (i + 1) * step - 8, bottom), fill=colour
        )
    line = [
        (left + i * step + step // 2, bottom - rng.uniform(0.3, 0.8) * (bottom - height // 5))
        for i in range(bars)
    ]
    draw.line(line, fill=p[2], width=6, joint="curve")


def _code(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    draw.rounded_rectangle(
        (width // 12, height // 10, width - width // 12, height - height // 10),
        18,
        fill=(30, 33, 40),
    )
    y = height // 10 + 40
    while y < height - height // 10 - 30:
        x = width // 12 + 40 + rng.choice((0, 0, 30, 60))
        for _ in range(rng.randint(1, 4)):
            length = rng.randint(40, 180)
            draw.rounded_rectangle((x, y, x + length, y + 14), 6, fill=rng.choice(p))
            x += length + 16
        y += 30


def _wave(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    middle, phase = height // 2, rng.uniform(0, 6.28)
    for i, x in enumerate(range(40, width - 40, 14)):
        amplitude = (
            (0.15 + 0.75 * abs(np.sin(phase + i / 7.0))) * height * 0.35 * rng.uniform(0.6, 1.0)
        )
        draw.rounded_rectangle((x, middle - amplitude, x + 8, middle + amplitude), 4, fill=p[2])


def _pages(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    for n in range(3):
        x0, y0 = width // 5 + n * 40, height // 8 + n * 24
        draw.rectangle(
            (x0, y0, x0 + width // 2, y0 + int(height * 0.7)),
            fill=(252, 250, 245),
            outline=p[0],
            width=2,
        )
    x0, y0 = width // 5 + 80, height // 8 + 48
    for row in range(12):
        length = rng.randint(width // 4, width // 2 - 40)
        draw.rectangle(
            (x0 + 30, y0 + 40 + row * 30, x0 + 30 + length, y0 + 52 + row * 30), fill=p[1]
        )


def _shapes(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    for _ in range(rng.randint(5, 9)):
        x, y, r = (
            rng.randint(0, width),
            rng.randint(0, height),
            rng.randint(height // 12, height // 3),
        )
        colour = rng.choice(p)
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.regular_polygon(
                (x, y, r), rng.choice((3, 4, 6)), rotation=rng.uniform(0, 90), fill=colour
            )


def _frames(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    draw.rectangle((0, height // 5, width, height - height // 5), fill=(20, 20, 24))
    for x in range(10, width, 40):
        draw.rectangle((x, height // 5 + 10, x + 20, height // 5 + 26), fill=(230, 230, 230))
        draw.rectangle(
            (x, height - height // 5 - 26, x + 20, height - height // 5 - 10), fill=(230, 230, 230)
        )
    frame_w = width // 3 - 30
    for i in range(3):
        x0 = 25 + i * (frame_w + 30)
        colour = p[i % 3]
        draw.rectangle((x0, height // 5 + 40, x0 + frame_w, height - height // 5 - 40), fill=colour)
        r = rng.randint(20, 50)
        cx, cy = x0 + frame_w // 2, height // 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=p[(i + 1) % 3])


def _blueprint(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random, p: tuple) -> None:
    width, height = size
    for x in range(0, width, 32):
        draw.line((x, 0, x, height), fill=(70, 120, 190), width=1)
    for y in range(0, height, 32):
        draw.line((0, y, width, y), fill=(70, 120, 190), width=1)
    x0, y0 = rng.randint(60, width // 3), rng.randint(60, height // 3)
    x1, y1 = rng.randint(2 * width // 3, width - 60), rng.randint(2 * height // 3, height - 60)
    draw.rectangle((x0, y0, x1, y1), outline=(240, 245, 255), width=5)
    draw.line((x0, y0, x1, y1), fill=(240, 245, 255), width=3)
    draw.rectangle(((x0 + x1) // 2, y0, x1, (y0 + y1) // 2), outline=p[2], width=4)


Motif = Callable[[ImageDraw.ImageDraw, Size, random.Random, tuple], None]
MOTIFS: dict[str, Motif] = {
    "Photography": _landscape,
    "Lifestyle & Wellness": _landscape,
    "Data & AI": _chart,
    "Marketing & Social Media": _chart,
    "Business & Finance": _chart,
    "Programming & Tech": _code,
    "Music & Audio": _wave,
    "Writing & Translation": _pages,
    "Education & Training": _pages,
    "Video & Animation": _frames,
    "Engineering & Architecture": _blueprint,
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def artwork(seed: str, category: str, caption: str = "", size: Size = OFFER_SIZE) -> bytes:
    """A JPEG for ``category`` (its motif), the same bytes for the same ``seed``."""
    rng = random.Random(seed)
    palette = PALETTES[rng.randrange(len(PALETTES))]
    image = _gradient(size, palette[0], palette[1] if rng.random() < 0.5 else palette[0])
    draw = ImageDraw.Draw(image)
    MOTIFS.get(category, _shapes)(draw, size, rng, palette)
    if caption:
        band = size[1] // 7
        draw.rectangle((0, size[1] - band, size[0], size[1]), fill=(0, 0, 0))
        draw.text(
            (24, size[1] - band // 2),
            caption[:48],
            fill=(255, 255, 255),
            font=_font(band // 2),
            anchor="lm",
        )
    return _jpeg(image)


def portrait(seed: str) -> bytes:
    """A simple head-and-shoulders avatar on a coloured background."""
    rng = random.Random(seed)
    side = AVATAR_SIZE
    background = PALETTES[rng.randrange(len(PALETTES))][rng.randrange(2)]
    image = Image.new("RGB", (side, side), background)
    draw = ImageDraw.Draw(image)
    skin = rng.choice(
        ((241, 194, 160), (224, 172, 135), (198, 134, 92), (141, 85, 54), (92, 56, 36))
    )
    shirt = rng.choice(
        ((230, 230, 235), (40, 60, 90), (150, 40, 50), (60, 120, 80), (240, 180, 60))
    )
    hair = rng.choice(((30, 25, 20), (90, 60, 30), (170, 120, 60), (200, 200, 200), (60, 30, 20)))
    draw.ellipse((side * 0.12, side * 0.62, side * 0.88, side * 1.3), fill=shirt)
    draw.ellipse((side * 0.3, side * 0.2, side * 0.7, side * 0.66), fill=skin)
    draw.chord((side * 0.28, side * 0.14, side * 0.72, side * 0.5), 180, 360, fill=hair)
    return _jpeg(image)
