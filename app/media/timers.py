"""The media jobs, declared once (handlers: app.media.processing): making the previews,
thumbnail and hash of a stock media upload, and the renditions of a gallery picture."""

from __future__ import annotations

from app import jobs

PROCESS_ASSET = jobs.Timer(
    kind="media.process", subject_type="media_asset", key="media.process:{id}"
)
PROCESS_GALLERY = jobs.Timer(
    kind="gallery.process", subject_type="gallery_image", key="gallery.process:{id}"
)
