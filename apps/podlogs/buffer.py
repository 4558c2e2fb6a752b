"""The bounded buffer between the clusters' log streams and one reader (a websocket or an
API response). Producers never wait: when the reader falls behind (a slow network, a
paused browser, a chatty pod), new lines beyond K2_LOGS_QUEUE_LINES / K2_LOGS_QUEUE_BYTES
are dropped and counted, and the reader gets one "N lines dropped" marker where the gap
is. So a pod writing 10,000 lines a second costs this process at most the bound."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

LINE, DROPPED, NOTICE, SOURCE, END = "line", "dropped", "notice", "source", "end"
OVERHEAD = 64  # bytes counted per queued line besides its text (the tuple, the str header)


@dataclass
class Stats:
    lines: int
    bytes: int
    peak_lines: int
    peak_bytes: int
    max_lines: int
    max_bytes: int
    dropped: int


class LineQueue:
    """Log lines and the few control items (notices, new sources, the end) in order."""

    def __init__(self, max_lines: int, max_bytes: int):
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self._items: deque[tuple] = deque()
        self._lines = self._bytes = 0
        self.peak_lines = self.peak_bytes = 0
        self._pending_drop = 0
        self.dropped = 0
        self._ready = asyncio.Event()

    def put_line(self, source: int, text: str) -> bool:
        """Queue a line, or count it as dropped when the bound is reached."""
        size = len(text) + OVERHEAD
        if self._lines + 1 > self.max_lines or self._bytes + size > self.max_bytes:
            self._pending_drop += 1
            self.dropped += 1
            return False
        self._flush_drop()
        self._items.append((LINE, source, text))
        self._lines += 1
        self._bytes += size
        self.peak_lines = max(self.peak_lines, self._lines)
        self.peak_bytes = max(self.peak_bytes, self._bytes)
        self._ready.set()
        return True

    def put(self, kind: str, *payload) -> None:
        """A control item (always queued: there are a handful per stream, not per line)."""
        self._flush_drop()
        self._items.append((kind, *payload))
        self._ready.set()

    def _flush_drop(self) -> None:
        if self._pending_drop:
            self._items.append((DROPPED, self._pending_drop))
            self._pending_drop = 0

    async def batch(self, max_items: int) -> list[tuple]:
        """Up to `max_items` queued items, waiting for the first one."""
        while not self._items and not self._pending_drop:
            self._ready.clear()
            await self._ready.wait()
        if not self._items:
            self._flush_drop()
        out = []
        while self._items and len(out) < max_items:
            item = self._items.popleft()
            if item[0] == LINE:
                self._lines -= 1
                self._bytes -= len(item[2]) + OVERHEAD
            out.append(item)
        return out

    def stats(self) -> Stats:
        return Stats(self._lines, self._bytes, self.peak_lines, self.peak_bytes,
                     self.max_lines, self.max_bytes, self.dropped)  # fmt: skip
