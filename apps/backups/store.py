"""The blob store of backup archives: one small interface, two backends, one setting.

    store = get_store()                  # from K2_BACKUP_STORE_URL
    digest = store.put(key, data)        # sha256 hex of what was written
    data = store.get(key, sha256=digest) # StoreError when missing or the checksum differs
    store.exists(key); store.delete(key) # delete of a missing key is fine

`K2_BACKUP_STORE_URL` is `file:///abs/path` (the default: var/backups) or
`s3://bucket/prefix` (boto3; endpoint from `K2_BACKUP_S3_ENDPOINT_URL`, credentials from the
standard AWS variables / boto3 chain, so an S3-compatible store works too). Keys are
relative, `/`-separated paths (`spaces/shop-test/20260101T000000-12.tar.gz`).

Every failure of the store itself (full disk, missing or unwritable folder, unreachable
or refusing S3, missing object, checksum mismatch) raises the one `StoreError`, with a
message in words, so callers (backup, verification, restore) handle a single type.
File writes are atomic (a temporary file in the same folder, fsync, rename): a reader never
sees half an archive, and a write interrupted by a full disk leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils.translation import gettext as _


class StoreError(Exception):
    """The backup store could not do what was asked; the message says why in words."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StoreError(_("'%(key)s' is not a valid backup location.") % {"key": key})
    return key


def _verify(key: str, data: bytes, expected: str | None) -> bytes:
    if expected and sha256(data) != expected:
        raise StoreError(
            _("The checksum of %(key)s does not match: the stored archive was changed or "
              "damaged (expected sha256 %(expected)s, found %(found)s).")
            % {"key": key, "expected": expected, "found": sha256(data)}
        )  # fmt: skip
    return data


class Store:
    """The interface both backends implement."""

    url: str

    def put(self, key: str, data: bytes) -> str:
        raise NotImplementedError

    def get(self, key: str, *, sha256: str | None = None) -> bytes:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def exists(self, key: str) -> bool:
        raise NotImplementedError


def _os_message(exc: OSError, where: str) -> str:
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return _("The backup store at %(where)s is full (no space left on the disk).") % {
            "where": where
        }
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("The backup store at %(where)s cannot be written (permission denied).") % {
            "where": where
        }
    return _("The backup store at %(where)s failed: %(error)s") % {
        "where": where, "error": exc.strerror or exc,
    }  # fmt: skip


class FileStore(Store):
    """Blobs as files under one root folder (made on first write)."""

    def __init__(self, root: Path):
        if not root.is_absolute():
            raise StoreError(_("A file backup store needs an absolute path, not %(path)s.")
                             % {"path": root})  # fmt: skip
        self.root = root
        self.url = f"file://{root}"

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes) -> str:
        path = self._path(key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            raise StoreError(_os_message(exc, str(self.root))) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return sha256(data)

    def get(self, key: str, *, sha256: str | None = None) -> bytes:
        path = self._path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(
                _("The archive %(key)s is not in the backup store at %(where)s.")
                % {"key": key, "where": self.root}
            ) from exc
        except OSError as exc:
            raise StoreError(_os_message(exc, str(self.root))) from exc
        return _verify(key, data, sha256)

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(_os_message(exc, str(self.root))) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


S3_ATTEMPTS = 3  # boto3's own retries (standard mode) for throttling and broken connections


class S3Store(Store):
    """Blobs as objects of one bucket under a prefix, through boto3 (any S3-compatible store)."""

    def __init__(self, bucket: str, prefix: str, *, endpoint_url: str = ""):
        if not bucket:
            raise StoreError(_("An S3 backup store URL needs a bucket: s3://bucket/prefix."))
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        # boto3 (and botocore.config) are imported here, not at the top: they cost about half
        # a second of start-up, which every web, worker, beat and watcher process would pay
        # although only an s3:// store ever uses them.
        import boto3
        from botocore.config import Config as BotoConfig

        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=BotoConfig(connect_timeout=5, read_timeout=60,
                              retries={"max_attempts": S3_ATTEMPTS, "mode": "standard"}),
        )  # fmt: skip

    def _key(self, key: str) -> str:
        key = _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, exc: Exception, key: str) -> StoreError:
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return StoreError(_("The archive %(key)s is not in the backup store at %(where)s.")
                                  % {"key": key, "where": self.url})  # fmt: skip
            if code == "NoSuchBucket":
                return StoreError(_("The bucket of the backup store %(where)s does not exist.")
                                  % {"where": self.url})  # fmt: skip
            message = exc.response.get("Error", {}).get("Message", "") or code
            return StoreError(_("The backup store %(where)s refused the request: %(error)s")
                              % {"where": self.url, "error": message})  # fmt: skip
        return StoreError(_("The backup store %(where)s cannot be reached: %(error)s")
                          % {"where": self.url, "error": exc})  # fmt: skip

    def put(self, key: str, data: bytes) -> str:
        digest = sha256(data)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                   Metadata={"sha256": digest})  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, key) from exc
        return digest

    def get(self, key: str, *, sha256: str | None = None) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            data = body.read()
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, key) from exc
        return _verify(key, data, sha256)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, key) from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._error(exc, key) from exc
        except BotoCoreError as exc:
            raise self._error(exc, key) from exc


def store_for(url: str, *, s3_endpoint_url: str = "") -> Store:
    """The store a URL names (`file:///abs/path` or `s3://bucket/prefix`)."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc:
            raise StoreError(_("A file backup store URL is file:///absolute/path, not %(url)s.")
                             % {"url": url})  # fmt: skip
        return FileStore(Path(parsed.path))
    if parsed.scheme == "s3":
        return S3Store(parsed.netloc, parsed.path, endpoint_url=s3_endpoint_url)
    raise StoreError(
        _("K2_BACKUP_STORE_URL must start with file:// or s3://, not %(url)s.") % {"url": url}
    )


@cache
def _cached(url: str, endpoint: str) -> Store:
    return store_for(url, s3_endpoint_url=endpoint)


def get_store() -> Store:
    """The installation's store (K2_BACKUP_STORE_URL), one per process and setting."""
    return _cached(settings.K2_BACKUP_STORE_URL, settings.K2_BACKUP_S3_ENDPOINT_URL)
