"""The backup store behaves the same on the filesystem and on a real S3-compatible server."""

from __future__ import annotations

import os

import pytest

from apps.backups import store as store_module
from apps.backups.store import FileStore, StoreError, sha256, store_for
from tests.backups.conftest import BUCKET


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path):
    if request.param == "file":
        return store_for(f"file://{tmp_path / 'backups'}")
    endpoint = request.getfixturevalue("s3_server")
    return store_for(f"s3://{BUCKET}/t-{os.urandom(4).hex()}", s3_endpoint_url=endpoint)


class TestStore:
    def test_put_get_delete_round_trip(self, store):
        data = os.urandom(2048)
        digest = store.put("spaces/shop/one.tar.gz", data)
        assert digest == sha256(data)
        assert store.exists("spaces/shop/one.tar.gz")
        assert store.get("spaces/shop/one.tar.gz", sha256=digest) == data
        store.put("spaces/shop/one.tar.gz", b"newer")  # overwriting is allowed
        assert store.get("spaces/shop/one.tar.gz") == b"newer"
        store.delete("spaces/shop/one.tar.gz")
        store.delete("spaces/shop/one.tar.gz")  # already gone is fine
        assert not store.exists("spaces/shop/one.tar.gz")

    def test_missing_key_and_wrong_checksum_are_store_errors_in_words(self, store):
        with pytest.raises(StoreError, match="is not in the backup store"):
            store.get("spaces/none/missing.tar.gz")
        store.put("a/b.bin", b"payload")
        with pytest.raises(StoreError, match="checksum of a/b.bin does not match"):
            store.get("a/b.bin", sha256=sha256(b"other"))

    def test_keys_that_escape_the_store_are_refused(self, store):
        for key in ("../x", "/abs", "a//b", ""):
            with pytest.raises(StoreError, match="not a valid backup location"):
                store.put(key, b"x")


def test_file_writes_are_atomic_and_a_full_disk_is_said_in_words(tmp_path, monkeypatch):
    store = FileStore(tmp_path / "b")
    store.put("k/archive", b"old")

    class FullDisk:
        def __init__(self, fd, mode):
            os.close(fd)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", FullDisk)
    with pytest.raises(StoreError, match="is full"):
        store.put("k/archive", b"new" * 100_000)
    monkeypatch.undo()
    assert store.get("k/archive") == b"old"  # the old blob is intact
    assert os.listdir(tmp_path / "b" / "k") == ["archive"]  # no half-written temp file left


def test_an_unwritable_folder_and_an_unreachable_s3_are_store_errors(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "S3_ATTEMPTS", 1)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="backup store at"):
        FileStore(blocker).put("x/y", b"data")
    dead = store_for("s3://bucket/p", s3_endpoint_url="http://127.0.0.1:9")
    with pytest.raises(StoreError, match="cannot be reached"):
        dead.put("x/y", b"data")
    with pytest.raises(StoreError, match="must start with file:// or s3://"):
        store_for("ftp://host/x")
