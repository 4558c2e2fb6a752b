"""Terminal recordings in asciicast v2, the format asciinema-player replays.

    writer = CastWriter(fh, 80, 24, timestamp=started, title="web/api-7f9c", env={...})
    writer.output(0.25, b"$ ")          # [0.250000, "o", "$ "]
    writer.input(1.5, b"ls\\r")          # [1.500000, "i", "ls\\r"]
    writer.resize(2.0, 120, 40)         # [2.000000, "r", "120x40"]
    writer.finish(9.0)                  # flush a multi-byte character cut off at the end
    header, events = read_cast(text)    # refuses anything malformed with ValueError
    reconstruct(inputs_of(events))      # the command log of a stored recording

A file is a JSON header line then one JSON array per event, `[time, code, data]`, with the
time in seconds since the start written with six decimals. Stdin and stdout are decoded
as UTF-8 each with its own incremental decoder, so a character split across two chunks
comes out whole in the later event and invalid bytes become U+FFFD; a chunk that ends in
the middle of a character writes only what is complete. Times never go backwards: an
event stamped before the previous one (two streams timed by different tasks) is written at
the previous one's time, so players and `read_cast` accept the file. `fh` is a text file
opened as UTF-8 (events are written with non-ASCII characters as they are); the writer
neither flushes nor closes it.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Iterable
from typing import Any, Protocol

VERSION = 2
EVENT_CODES = frozenset({"o", "i", "m", "r"})
_SIZE = re.compile(r"[1-9][0-9]*x[1-9][0-9]*")
_LINE_BREAKS = {ord(c): f"\\u{ord(c):04x}" for c in "\u0085\u2028\u2029"}

Event = tuple[float, str, str]


class TextSink(Protocol):
    def write(self, s: str, /) -> Any: ...


class CastWriter:
    """Writes the header at once, then each event as one line."""

    def __init__(
        self,
        fh: TextSink,
        width: int,
        height: int,
        *,
        timestamp: int | None = None,
        title: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        _check_size(width, height)
        header: dict[str, Any] = {"version": VERSION, "width": width, "height": height}
        if timestamp is not None:
            header["timestamp"] = int(timestamp)
        if title is not None:
            header["title"] = title
        if env is not None:
            header["env"] = dict(env)
        self._fh = fh
        self._last = 0.0
        self._decoders = {
            code: codecs.getincrementaldecoder("utf-8")(errors="replace") for code in "oi"
        }
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")

    def output(self, t: float, data: bytes) -> None:
        """What the terminal showed (stdout and stderr of the PTY)."""
        self._stream(t, "o", data)

    def input(self, t: float, data: bytes) -> None:
        """What the user typed or pasted."""
        self._stream(t, "i", data)

    def resize(self, t: float, width: int, height: int) -> None:
        _check_size(width, height)
        self._event(t, "r", f"{width}x{height}")

    def marker(self, t: float, label: str = "") -> None:
        """A point the player can jump to (asciinema's "m" event)."""
        self._event(t, "m", label)

    def finish(self, t: float) -> None:
        """End of the recording: bytes still waiting for the rest of a character are
        written as U+FFFD."""
        for code, decoder in self._decoders.items():
            if text := decoder.decode(b"", final=True):
                self._event(t, code, text)

    def _stream(self, t: float, code: str, data: bytes) -> None:
        if text := self._decoders[code].decode(data):
            self._event(t, code, text)

    def _event(self, t: float, code: str, data: str) -> None:
        if not math.isfinite(t) or t < 0:
            raise ValueError(f"event time must be a finite number of seconds >= 0, not {t!r}")
        self._last = t = max(t, self._last)
        self._fh.write(f"[{t:.6f}, {json.dumps(code)}, {_json_string(data)}]\n")


def read_cast(text_or_lines: str | Iterable[str]) -> tuple[dict[str, Any], list[Event]]:
    """The header and the events of an asciicast v2 recording, checked line by line."""
    # Only "\n" ends a line: str.splitlines() would also split at U+2028 and the like.
    lines = text_or_lines.split("\n") if isinstance(text_or_lines, str) else text_or_lines
    header: dict[str, Any] | None = None
    events: list[Event] = []
    last = 0.0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        value = _parse(line, number)
        if header is None:
            header = _check_header(value, number)
            continue
        if not (isinstance(value, list) and len(value) == 3):
            raise ValueError(f"line {number}: an event must be a [time, code, data] array")
        t, code, data = value
        if not _is_number(t) or t < 0:
            raise ValueError(f"line {number}: event time must be a number of seconds >= 0")
        if t < last:
            raise ValueError(f"line {number}: event time {t} is before the previous one {last}")
        if code not in EVENT_CODES:
            raise ValueError(f"line {number}: unknown event code {code!r} (o, i, m or r)")
        if not isinstance(data, str):
            raise ValueError(f"line {number}: event data must be a string")
        if code == "r" and not _SIZE.fullmatch(data):
            raise ValueError(f"line {number}: resize data must be WIDTHxHEIGHT, not {data!r}")
        last = float(t)
        events.append((last, code, data))
    if header is None:
        raise ValueError("not an asciicast recording: no header line")
    return header, events


def inputs_of(events: Iterable[Event]) -> list[tuple[float, bytes]]:
    """The input events as (time, bytes), what `commands.reconstruct` takes."""
    return [(t, data.encode()) for t, code, data in events if code == "i"]


def _parse(line: str, number: int) -> Any:
    try:
        return json.loads(line, parse_constant=_refuse_constant)
    except ValueError as exc:  # json.JSONDecodeError is one
        raise ValueError(f"line {number}: not valid JSON ({exc})") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _check_header(value: Any, number: int) -> dict[str, Any]:
    where = f"line {number}: header"
    if not isinstance(value, dict):
        raise ValueError(f"{where} must be a JSON object")
    version = value.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(f"{where}: asciicast version {version!r} is not supported (only 2)")
    for field in ("width", "height"):
        size = value.get(field)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{where}: {field} must be a whole number >= 1")
    for field in ("timestamp", "duration", "idle_time_limit"):
        if field in value and not _is_number(value[field]):
            raise ValueError(f"{where}: {field} must be a number")
    for field in ("command", "title"):
        if field in value and not isinstance(value[field], str):
            raise ValueError(f"{where}: {field} must be a string")
    env = value.get("env", {})
    if not isinstance(env, dict) or not all(v is None or isinstance(v, str) for v in env.values()):
        raise ValueError(f"{where}: env must be an object of strings")
    if "theme" in value and not isinstance(value["theme"], dict):
        raise ValueError(f"{where}: theme must be an object")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _json_string(text: str) -> str:
    """JSON with non-ASCII text as it is, but the characters that some readers take for a
    line break (NEL, LINE and PARAGRAPH SEPARATOR) escaped."""
    return json.dumps(text, ensure_ascii=False).translate(_LINE_BREAKS)


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ValueError(f"terminal size must be at least 1x1, not {width}x{height}")
