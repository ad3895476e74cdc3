"""Peak memory and time of the image pipeline for one file, split into the upload request
(cheap checks only) and the processing job (decode, thumbnail, preview, hash, renditions).

    python -m app.devtools.image_memory PICTURE            # measure a file
    python -m app.devtools.image_memory --make RGBA PNG    # make and measure a 7000x7000 one

Run it in a fresh interpreter: peak resident memory comes from ``resource`` (minus the baseline
after imports and reading the file), because Pillow's pixel buffers are invisible to tracemalloc.
The last line printed is a JSON report; ``tests/media/test_image_memory.py`` asserts on it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIDE = 7000


def make_picture(mode: str, fmt: str, path: Path) -> None:
    """A 7000x7000 picture with stripes (compresses well, decodes to ~196 MB of RGBA)."""
    from PIL import Image, ImageDraw

    image = Image.new(mode, (SIDE, SIDE), (30, 90, 160, 255)[: len(mode)])
    draw = ImageDraw.Draw(image)
    for i in range(0, SIDE, 350):
        draw.rectangle((i, 0, i + 300, SIDE - 1), fill=(200, i % 255, 40, 128)[: len(mode)])
    image.save(path, fmt)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(path: Path) -> dict[str, object]:
    from app.media import images
    from app.media.gallery import GALLERY_WIDTHS

    data = path.read_bytes()
    limits = images.Limits(
        image_max_bytes=50 << 20,
        video_max_bytes=1 << 30,
        max_pixels=50_000_000,
        video_max_seconds=60,
    )
    baseline = _peak_mb()
    started = time.perf_counter()
    images.check(data, limits)  # what the upload request does
    request_seconds = time.perf_counter() - started
    request_peak = _peak_mb() - baseline
    started = time.perf_counter()
    found = images.inspect(data, limits)  # the processing job from here on
    if found.picture is None:
        raise SystemExit(f"{path} is not a picture")
    images.thumbnail(found.picture, found.kind)
    images.preview(found.picture, found.kind)
    images.dhash(found.picture)
    for width in GALLERY_WIDTHS:
        images.rendition(found.picture, width)
    job_seconds = time.perf_counter() - started
    return {
        "bytes": len(data),
        "size": [found.width, found.height],
        "request_seconds": round(request_seconds, 3),
        "request_peak_mb": round(request_peak, 1),
        "job_seconds": round(job_seconds, 3),
        "peak_mb": round(_peak_mb() - baseline, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("picture", nargs="?", type=Path)
    parser.add_argument("--make", nargs=2, metavar=("MODE", "FORMAT"))
    args = parser.parse_args(argv)
    if args.make:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"big.{args.make[1].lower()}"
            make_picture(args.make[0], args.make[1], path)
            # Measured in a fresh interpreter: making the picture raised this one's peak.
            return subprocess.run(
                [sys.executable, "-m", "app.devtools.image_memory", str(path)], check=False
            ).returncode
    if not args.picture:
        parser.error("give a picture or --make MODE FORMAT")
    report = measure(args.picture)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
