"""The recording of a terminal session: asciicast v2, encrypted from the first byte.

While a session runs, events go to an in-memory buffer that is flushed every 64 KiB or
every few seconds as one sealed chunk — zlib-compressed, then a Fernet token made with the
installation's keys (apps/core/crypto.py) — appended as a line to a spool file under
K2_TERMINAL_SPOOL_DIR. Nothing typed or shown ever sits on disk in the clear, and a
killed server loses at most the last unflushed seconds: the sweeper uploads an orphaned
spool as it finds it.

When the session ends the spool file goes, as it is, to the blob store of backups
(apps/backups/store.py, `file://` or `s3://`) under `terminal/<yyyy>/<mm>/<key>.cast.k2`,
with its sha256; `read_cast_text` opens it again for the player and for command-log
reconstruction. Memory per session is bounded by the buffer; the recording of a very
chatty session is bounded by K2_TERMINAL_RECORDING_MAX_BYTES of output (past it, output
is no longer recorded and a marker says so; input always is).
"""

from __future__ import annotations

import io
import time
import zlib
from datetime import datetime
from pathlib import Path

from django.conf import settings

from apps.backups.store import get_store
from apps.core import crypto
from apps.terminal.asciicast import CastWriter

FLUSH_BYTES = 64 * 1024
FLUSH_SECONDS = 2.0
SUFFIX = ".cast.k2"


def spool_path(key: str) -> Path:
    folder = Path(settings.K2_TERMINAL_SPOOL_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{key}{SUFFIX}"


def store_key(key: str, started: datetime) -> str:
    return f"terminal/{started:%Y}/{started:%m}/{key}{SUFFIX}"


def seal(text: str) -> bytes:
    return crypto.encrypt_bytes(zlib.compress(text.encode("utf-8"), 6)) + b"\n"


def unseal(data: bytes) -> str:
    """The asciicast text of a stored (or spooled) recording."""
    return "".join(
        zlib.decompress(crypto.decrypt_bytes(line)).decode("utf-8")
        for line in data.splitlines()
        if line.strip()
    )


class Recorder:
    """Records one session; `monotonic` times relative to the session's start."""

    def __init__(self, key: str, width: int, height: int, *, title: str, shell: str):
        self.key = key
        self.path = spool_path(key)
        self._buffer = io.StringIO()
        self._started = time.monotonic()
        self._flushed_at = self._started
        self._output = 0
        self._max_output = settings.K2_TERMINAL_RECORDING_MAX_BYTES
        self._truncated = False
        self.writer = CastWriter(
            self._buffer, width, height, timestamp=int(time.time()), title=title,
            env={"SHELL": shell, "TERM": "xterm-256color"},
        )  # fmt: skip

    def now(self) -> float:
        return time.monotonic() - self._started

    def output(self, data: bytes) -> None:
        self._output += len(data)
        if self._output > self._max_output:
            if not self._truncated:
                self._truncated = True
                self.writer.marker(self.now(), "output past the recording limit not recorded")
            return
        self.writer.output(self.now(), data)
        self._maybe_flush()

    def input(self, data: bytes) -> None:
        self.writer.input(self.now(), data)
        self._maybe_flush()

    def resize(self, width: int, height: int) -> None:
        self.writer.resize(self.now(), width, height)

    def _maybe_flush(self) -> None:
        if (self._buffer.tell() >= FLUSH_BYTES
                or time.monotonic() - self._flushed_at >= FLUSH_SECONDS):  # fmt: skip
            self.flush()

    def flush(self) -> None:
        text = self._buffer.getvalue()
        self._flushed_at = time.monotonic()
        if not text:
            return
        with open(self.path, "ab") as fh:
            fh.write(seal(text))
        self._buffer.seek(0)
        self._buffer.truncate()

    def finish(self) -> None:
        self.writer.finish(self.now())
        self.flush()


def upload(key: str, started: datetime) -> tuple[str, str, int]:
    """Move the spool of session `key` to the store: (store key, sha256, size). A missing
    spool (nothing recorded, or uploaded already) gives ("", "", 0)."""
    path = spool_path(key)
    if not path.exists():
        return "", "", 0
    data = path.read_bytes()
    location = store_key(key, started)
    digest = get_store().put(location, data)
    path.unlink(missing_ok=True)
    return location, digest, len(data)


def read_cast_text(session) -> str:
    """The asciicast of a finished session (StoreError when gone or damaged); of an open
    one, what its spool holds so far."""
    if session.recording_key:
        return unseal(get_store().get(session.recording_key, sha256=session.recording_sha256))
    path = spool_path(str(session.key))
    return unseal(path.read_bytes()) if path.exists() else ""


def delete(session) -> None:
    if session.recording_key:
        get_store().delete(session.recording_key)
