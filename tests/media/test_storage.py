"""Both storage backends through the same interface; S3 against a real HTTP S3 server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from app.media import services
from app.media.storage import LocalStorage, S3Storage, StorageError, new_key, storage_for
from tests.factories import make_creator
from tests.media.helpers import encode, meta, picture, process_uploads, stock_offer


def _roundtrip(store) -> None:
    key = new_key("originals", "jpg")
    assert not store.exists(key)
    store.put(key, b"\xff\xd8\xffdata", "image/jpeg")
    assert store.exists(key) and store.get(key) == b"\xff\xd8\xffdata"
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(StorageError):
        store.get(key)
    for bad in ("../etc/passwd", "/abs/key.jpg", "originals/../../x.jpg", "a//b.jpg"):
        with pytest.raises(StorageError):
            store.put(bad, b"x", "text/plain")


def test_local_storage(tmp_path):
    _roundtrip(LocalStorage(tmp_path))


def test_local_storage_defaults_under_the_instance_folder(app):
    assert app.config["MEDIA_STORAGE"] == "local"
    assert app.config["MEDIA_ROOT"].startswith(app.instance_path)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """moto's standalone server: a real S3 implementation over HTTP, in a subprocess."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _s3_config(endpoint: str) -> dict[str, str]:
    return {
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": "cobalt-media",
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "test",
        "S3_SECRET_ACCESS_KEY": "test",
        "S3_PREFIX": "tests",
    }


def test_s3_storage(s3_server):
    store = S3Storage.from_config(_s3_config(s3_server))
    store.client.create_bucket(Bucket="cobalt-media")
    _roundtrip(store)
    key = new_key("originals", "jpg")
    store.put(key, b"secret", "image/jpeg")
    # Private: an anonymous HTTP GET of the object is refused by the S3 server.
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{s3_server}/cobalt-media/tests/{key}", timeout=5)
    assert caught.value.code == 403
    acl = store.client.get_object_acl(Bucket="cobalt-media", Key=f"tests/{key}")
    assert all("AllUsers" not in str(grant.get("Grantee")) for grant in acl["Grants"])


def test_upload_to_s3_backend_chosen_by_config(app, session, s3_server, monkeypatch):
    config = _s3_config(s3_server)
    for name, value in config.items():
        monkeypatch.setitem(app.config, name, value)
    saved = app.extensions.pop("media_storage", None)
    try:
        store = storage_for(app)
        assert isinstance(store, S3Storage)
        store.client.create_bucket(Bucket="cobalt-media")
        creator = make_creator(session)
        data = encode(picture(4))
        asset = services.upload(
            session, store, creator, data, meta(stock_offer(session, creator).id)
        )
        assert store.get(asset.original_key) == data
        assert not store.exists(asset.preview_key)  # made by the processing job
        assert process_uploads(session).done == 1
        assert store.exists(asset.preview_key) and store.exists(asset.thumb_key)
    finally:
        app.extensions.pop("media_storage", None)
        if saved is not None:
            app.extensions["media_storage"] = saved


def test_unknown_backend_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_STORAGE", "ftp")
    saved = app.extensions.pop("media_storage", None)
    try:
        with pytest.raises(StorageError, match="local or s3"):
            storage_for(app)
    finally:
        if saved is not None:
            app.extensions["media_storage"] = saved
