"""Uploaded files (message attachments, dispute evidence, campaign drafts, contest entries),
under MEDIA_ROOT/<area>/<owner id>/.

Names are generated (uuid + werkzeug ``secure_filename``), so an upload can never choose its
path. Storing is all or nothing, and files stored for a request whose unit of work does not
commit are deleted again (``track`` + ``discard_untracked`` in the blueprints' teardown).
Files are only ever sent as downloads, so an uploaded .html or .svg never renders on our origin.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, g, send_from_directory
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from app.errors import ValidationFailed

_G_KEY = "stored_upload_files"


@dataclass(frozen=True)
class StoredFile:
    path: Path
    original_name: str
    size_bytes: int

    @property
    def stored_name(self) -> str:
        return self.path.name

    def row_fields(self) -> dict[str, Any]:
        """The columns every table of attached files keeps about one (evidence, message
        attachments)."""
        return {
            "stored_name": self.stored_name,
            "original_name": self.original_name,
            "size_bytes": self.size_bytes,
        }


def directory(area: str, owner_id: int) -> Path:
    return Path(current_app.config["MEDIA_ROOT"]) / area / str(int(owner_id))


def limits(prefix: str, default_files: int, default_bytes: int) -> tuple[int, int]:
    config = current_app.config
    return (
        int(config.get(f"{prefix}_MAX_FILES", default_files)),
        int(config.get(f"{prefix}_MAX_FILE_BYTES", default_bytes)),
    )


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _human(size: int) -> str:
    mib = 1024 * 1024
    return f"{size // mib} MB" if size >= mib else f"{max(1, size // 1024)} KB"


def stored_name(original: str) -> str:
    safe = secure_filename(original) or "file"
    stem, dot, ext = safe.rpartition(".")
    if dot and len(ext) <= 16:
        safe = f"{stem[:80]}.{ext}"
    return f"{uuid.uuid4().hex}_{safe[:100]}"


def uploads_of(values: Iterable[Any]) -> list[FileStorage]:
    return [f for f in values if isinstance(f, FileStorage) and f.filename]


def store(
    area: str,
    owner_id: int,
    uploads: Iterable[Any],
    *,
    max_files: int,
    max_bytes: int,
    field: str = "files",
) -> list[StoredFile]:
    """Save the uploads; raises ValidationFailed on ``field`` (too many / too large) before
    saving any.

    Every saved file is tracked for the request: it is deleted if the request fails.
    """
    files = uploads_of(uploads)
    if len(files) > max_files:
        raise ValidationFailed({field: [f"Attach at most {max_files} files."]})
    sizes = [_size(upload) for upload in files]
    for upload, size in zip(files, sizes, strict=True):
        if size > max_bytes:
            raise ValidationFailed(
                {field: [f"{upload.filename}: files are limited to {_human(max_bytes)}."]}
            )
    target = directory(area, owner_id)
    stored: list[StoredFile] = []
    try:
        for upload, size in zip(files, sizes, strict=True):
            target.mkdir(parents=True, exist_ok=True)
            path = target / stored_name(upload.filename or "")
            upload.save(path)
            stored.append(StoredFile(path, (upload.filename or "file")[:255], size))
            g.setdefault(_G_KEY, []).append(path)
    except BaseException:
        remove(item.path for item in stored)
        raise
    return stored


def store_one(area: str, owner_id: int, upload: Any, *, max_bytes: int) -> str | None:
    """Store an optional single upload (a form's ``file`` field); returns its stored name."""
    stored = store(area, owner_id, [upload], max_files=1, max_bytes=max_bytes, field="file")
    return stored[0].stored_name if stored else None


def remove(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def tracked_count() -> int:
    return len(g.get(_G_KEY, []))


def discard_tracked(*, since: int = 0) -> None:
    """The work that stored these files was rolled back (the request, or one ``attempt()``
    from the ``since``-th file on): they belong to nothing, delete them."""
    tracked: list[Path] = g.get(_G_KEY, [])
    remove(tracked[since:])
    del tracked[since:]


def forget_tracked() -> None:
    """The unit of work committed: the files are referenced now, keep them."""
    g.pop(_G_KEY, None)


def send(area: str, owner_id: int, name: str, download_name: str) -> Response:
    return send_from_directory(
        directory(area, owner_id), name, as_attachment=True, download_name=download_name
    )


DELIVERY_MAX_BYTES = 20 * 1024 * 1024  # default of the DELIVERY_MAX_FILE_BYTES setting


def store_delivered(area: str, owner_id: int, upload: Any) -> str | None:
    """Store a form's optional delivered file (a campaign draft, a contest entry) within the
    deployment's DELIVERY_MAX_FILE_BYTES; returns its stored name."""
    max_bytes = int(current_app.config.get("DELIVERY_MAX_FILE_BYTES", DELIVERY_MAX_BYTES))
    return store_one(area, owner_id, upload, max_bytes=max_bytes)


def send_stored(area: str, owner_id: int, name: str) -> Response:
    """A stored upload as a download under the name it was uploaded with."""
    return send(area, owner_id, name, name.partition("_")[2] or name)
