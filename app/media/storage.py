"""Where media bytes live, behind one small interface: a local folder or S3-compatible storage.

Chosen by config: MEDIA_STORAGE=local (default; files under MEDIA_ROOT, which defaults to
<instance>/media and is never served as a static folder) or MEDIA_STORAGE=s3 (S3_BUCKET,
S3_ENDPOINT_URL for MinIO/Ceph/R2/moto, S3_REGION, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY,
S3_PREFIX). Objects are written private; nothing here hands out a public URL: the app reads
the bytes and serves them itself after checking who asks.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, current_app

_KEY = re.compile(r"^[a-z0-9_-]+(/[A-Za-z0-9_-]+)*(\.[a-z0-9]{1,5})?$")


class StorageError(Exception):
    pass


class MediaStorage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


def new_key(area: str, extension: str) -> str:
    """A fresh, unguessable key such as ``originals/3f/3f9c...e1.jpg``."""
    token = uuid.uuid4().hex
    return f"{area}/{token[:2]}/{token}.{extension}"


def check_key(key: str) -> str:
    if not _KEY.match(key) or ".." in key:
        raise StorageError(f"Invalid storage key {key!r}.")
    return key


class LocalStorage:
    """Files under ``root``; writes go through a temporary file and a rename (no torn files)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"No object {key!r}.") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class S3Storage:
    """An S3 bucket through boto3 (AWS, MinIO, Ceph, R2, moto's server...)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @classmethod
    def from_config(cls, config: Any) -> S3Storage:
        import boto3

        if not config.get("S3_BUCKET"):
            raise StorageError("MEDIA_STORAGE=s3 needs S3_BUCKET.")
        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
        )
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "")

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        # ACL private is the default; said explicitly so a bucket policy mistake is visible.
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
            ACL="private",
        )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            raise StorageError(f"No object {key!r}: {exc}") from exc
        return bytes(response["Body"].read())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError:
            return False
        return True


def storage_for(app: Flask | None = None) -> MediaStorage:
    """The app's media storage (built once per app from its config)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    storage = app.extensions.get("media_storage")
    if storage is None:
        backend = (app.config.get("MEDIA_STORAGE") or "local").lower()
        if backend == "local":
            storage = LocalStorage(app.config["MEDIA_ROOT"])
        elif backend == "s3":
            storage = S3Storage.from_config(app.config)
        else:
            raise StorageError(f"Unknown MEDIA_STORAGE {backend!r}: use local or s3.")
        app.extensions["media_storage"] = storage
    return storage


def processing_card(width: int, height: int) -> Response:
    """What a preview or rendition URL answers until the processing job has made it: a small
    "Processing…" card of the picture's shape, never cached (the real file follows)."""
    from app.media.images import processing

    response = Response(processing(width, height), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    return response
