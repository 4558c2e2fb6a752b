"""The command log: each line the user submitted at the shell prompt, with its time,
rebuilt from the input stream alone (the bytes the browser sent to the PTY).

    editor = LineEditor()                      # one per session
    editor.feed(b"ls -l\\r", at=3.2)            # -> [Command(at=3.2, text="ls -l")]
    reconstruct([(0.5, b"pwd\\r"), ...])        # a stored recording's input, in one go

`LineEditor` emulates a bash/readline prompt in emacs mode: text inserts at the cursor;
Backspace, Delete, Left/Right, Home/End (CSI, SS3 and rxvt forms), Ctrl-A/E/B/F, Ctrl-U/K/W
(consecutive kills collect, Ctrl-Y yanks them back), Alt-B/F/D/Backspace and Ctrl/Alt-arrows
by word, Up/Down and Ctrl-P/N through the history of this session's lines (a recalled line
can be edited before Enter; Down past the newest returns to the line being typed), Ctrl-C
drops the line, Ctrl-D deletes at the cursor (and is nothing on an empty line), Enter is CR,
LF or CR LF once. A plain paste submits a line at each newline; a bracketed paste (the
shell asked for one, as bash 5.1+ does) keeps its newlines in the line, and the next Enter
submits each of its lines, as readline does (Ctrl-C drops them all). Tab, other controls
and unknown escape sequences, split across chunks or not, are dropped without disturbing
the text around them. A line (with a bracketed paste in it) is capped at 64 KiB, the rest
dropped, and the history at 1,000 entries and 1 Mi characters, so a session's memory stays
bounded whatever it is sent.

What it cannot see, because the shell never echoes its reasoning back into the input:
- tab completion: `cat /et<Tab>` is logged as `cat /et` (the shell ran `cat /etc/`);
- history expansion and recall of older sessions: `!!`, `!$` are logged as typed, and Up
  past this session's first command recalls lines from the shell's history file that the
  log has never seen (the line is then logged from what is known of it, often wrongly);
- reverse search (Ctrl-R) and other readline features not listed above (vi mode, undo,
  transpose, custom key bindings): what is typed into the search is logged as the line;
- aliases, functions and variables: the log shows `ll`, not what `ll` expanded to;
- input read by programs rather than the shell (`read`, a password prompt, a REPL,
  `cat > file`) and full-screen programs (vi, less, top): their keystrokes are logged as if
  typed at the prompt, since the input stream does not say who reads it.
- a shell without line editing (dash, Debian's sh): the terminal driver still erases with
  Backspace, Ctrl-U and Ctrl-W, but arrow keys reach the command as escape codes, while
  this log reads them as cursor moves and history recall.
The output recording (asciicast) is the complete record; this log is the index into it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

MAX_LINE_BYTES = 64 * 1024
HISTORY_SIZE = 1000
HISTORY_CHARS = 1024 * 1024
# Parameters kept of one escape sequence; longer ones are unknown anyway.
_MAX_PARAMS = 16

_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f-\x9f]+")

# Parser states.
_GROUND, _ESC, _CSI, _SS3, _STRING, _STRING_ESC, _MOUSE = range(7)

# Keys (editing actions) the escape sequences and control characters map to.
_UP, _DOWN, _LEFT, _RIGHT, _HOME, _END, _DELETE = (
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "del",
)
_WORD_LEFT, _WORD_RIGHT = "word_left", "word_right"

_CSI_KEYS = {
    "A": _UP,
    "B": _DOWN,
    "C": _RIGHT,
    "D": _LEFT,
    "H": _HOME,
    "F": _END,
    "1~": _HOME,
    "7~": _HOME,
    "4~": _END,
    "8~": _END,
    "3~": _DELETE,
    # Ctrl- and Alt-arrows: forward-word / backward-word in the usual inputrc.
    "1;5C": _WORD_RIGHT,
    "1;3C": _WORD_RIGHT,
    "5C": _WORD_RIGHT,
    "1;5D": _WORD_LEFT,
    "1;3D": _WORD_LEFT,
    "5D": _WORD_LEFT,
}
_SS3_KEYS = {"A": _UP, "B": _DOWN, "C": _RIGHT, "D": _LEFT, "H": _HOME, "F": _END}
_CONTROL_KEYS = {
    "\x01": _HOME,  # Ctrl-A
    "\x05": _END,  # Ctrl-E
    "\x02": _LEFT,  # Ctrl-B
    "\x06": _RIGHT,  # Ctrl-F
    "\x10": _UP,  # Ctrl-P
    "\x0e": _DOWN,  # Ctrl-N
}


@dataclass(frozen=True)
class Command:
    """One line submitted at the prompt: seconds into the session, and its text."""

    at: float
    text: str


class LineEditor:
    """The prompt's line buffer and history, fed the input stream chunk by chunk."""

    def __init__(
        self,
        *,
        max_line_bytes: int = MAX_LINE_BYTES,
        history_size: int = HISTORY_SIZE,
        history_chars: int = HISTORY_CHARS,
    ) -> None:
        self._max_line = max_line_bytes
        self._history_size = history_size
        self._history_chars = history_chars
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._line = ""
        self._cursor = 0
        self._size = 0  # UTF-8 bytes in self._line
        self._history: list[str] = []
        self._history_total = 0
        self._recalled = 0  # index into history; len(history) is the line being typed
        self._typed = ""  # the line being typed, kept while history is browsed
        self._kill = ""
        self._killing = False  # this key was a kill
        self._continue_kill = False  # ... and so was the one before: the kills join
        self._state = _GROUND
        self._params = ""
        self._overflow = False
        self._skip = 0
        self._pasting = False
        self._out: list[Command] = []
        self._at = 0.0

    def feed(self, data: bytes, at: float) -> list[Command]:
        """Apply one chunk of input received at `at`; return the commands it submitted."""
        self._out = []
        self._at = at
        self._text(self._decoder.decode(data))
        return self._out

    # Parsing -------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        i, n = 0, len(text)
        while i < n:
            if self._state == _GROUND:
                run = _PRINTABLE.match(text, i)
                if run:
                    self._key()
                    self._insert(run.group())
                    i = run.end()
                    continue
            self._char(text[i])
            i += 1

    def _char(self, c: str) -> None:
        state = self._state
        if c == "\x03":  # Ctrl-C is the terminal's SIGINT: the line goes, whatever came before
            self._state, self._pasting = _GROUND, False
            self._key()
            self._reset_line()
        elif state == _GROUND:
            self._control(c)
        elif state == _ESC:
            self._escape(c)
        elif state == _CSI:
            if "\x30" <= c <= "\x3f" or "\x20" <= c <= "\x2f":
                if len(self._params) < _MAX_PARAMS:
                    self._params += c
                else:
                    self._overflow = True
            elif "\x40" <= c <= "\x7e":
                self._state = _GROUND
                if not self._overflow:
                    self._csi(self._params + c)
            else:  # not part of a sequence: the sequence was cut short, c stands alone
                self._state = _GROUND
                self._char(c)
        elif state == _SS3:
            self._state = _GROUND
            if "\x20" <= c <= "\x7e":
                if not self._pasting and c in _SS3_KEYS:
                    self._key()
                    self._edit(_SS3_KEYS[c])
            else:
                self._char(c)
        elif state in (_STRING, _STRING_ESC):
            # OSC or DCS (the terminal's replies to queries): ends at BEL or ST (ESC \) and
            # nothing in it is kept. Another control means it was a typed Alt-] or Alt-P.
            if c == "\x07" or (state == _STRING_ESC and c == "\\"):
                self._state = _GROUND
            elif state == _STRING_ESC:  # ESC not followed by \ begins a new sequence
                self._state = _ESC
                self._char(c)
            elif c == "\x1b":
                self._state = _STRING_ESC
            elif c < "\x20":
                self._state = _GROUND
                self._char(c)
        elif state == _MOUSE:  # X10 mouse report: three raw characters after ESC [ M
            self._skip -= 1
            if self._skip == 0:
                self._state = _GROUND

    def _control(self, c: str) -> None:
        if c == "\x1b":
            self._state = _ESC
            return
        self._key()
        if c in "\r\n":  # CR LF is a second Enter on an empty line: nothing
            if self._pasting:  # readline keeps a pasted newline in the line until Enter
                self._insert("\n")
            else:
                self._submit()
        elif self._pasting:
            if c == "\t":  # pasted text goes in as it is, tabs included
                self._insert(c)
        elif c in ("\x7f", "\x08"):
            self._delete(self._cursor - 1, self._cursor)
        elif c in _CONTROL_KEYS:
            self._edit(_CONTROL_KEYS[c])
        elif c == "\x15":  # Ctrl-U
            self._kill_range(0, self._cursor, backward=True)
        elif c == "\x0b":  # Ctrl-K
            self._kill_range(self._cursor, len(self._line), backward=False)
        elif c == "\x17":  # Ctrl-W: back to whitespace
            self._kill_range(
                self._word_start(self._cursor, str.isspace), self._cursor, backward=True
            )
        elif c == "\x19":  # Ctrl-Y
            self._insert(self._kill)
        elif c == "\x04" and self._line:  # Ctrl-D: delete-char (on an empty line: exit)
            self._edit(_DELETE)
        # Tab, Ctrl-L, Ctrl-R and every other control: not emulated.

    def _escape(self, c: str) -> None:
        self._state = _GROUND
        self._params, self._overflow = "", False
        if c == "[":
            self._state = _CSI
        elif c == "O":
            self._state = _SS3
        elif c in "]P":
            self._state = _STRING
        elif c == "\x1b":
            self._state = _ESC
        elif self._pasting:
            return
        else:  # Alt-key (Meta)
            self._key()
            if c == "b":
                self._edit(_WORD_LEFT)
            elif c == "f":
                self._edit(_WORD_RIGHT)
            elif c == "d":
                self._kill_range(self._cursor, self._word_end(self._cursor), backward=False)
            elif c in ("\x7f", "\x08"):
                start = self._word_start(self._cursor, _not_word)
                self._kill_range(start, self._cursor, backward=True)

    def _csi(self, seq: str) -> None:
        if self._pasting:
            if seq == "201~":
                self._pasting = False
            return
        if seq == "200~":
            self._pasting = True
        elif seq == "M":
            self._state, self._skip = _MOUSE, 3
        elif seq in _CSI_KEYS:
            self._key()
            self._edit(_CSI_KEYS[seq])

    # Editing -------------------------------------------------------------------------

    def _key(self) -> None:
        """A new key begins: a kill only adds to the previous one if it came just before."""
        self._continue_kill, self._killing = self._killing, False

    def _edit(self, key: str) -> None:
        line, cursor = self._line, self._cursor
        if key == _LEFT:
            self._cursor = max(0, cursor - 1)
        elif key == _RIGHT:
            self._cursor = min(len(line), cursor + 1)
        elif key == _HOME:
            self._cursor = 0
        elif key == _END:
            self._cursor = len(line)
        elif key == _WORD_LEFT:
            self._cursor = self._word_start(cursor, _not_word)
        elif key == _WORD_RIGHT:
            self._cursor = self._word_end(cursor)
        elif key == _DELETE:
            self._delete(cursor, cursor + 1)
        elif key == _UP and self._recalled > 0:
            if self._recalled == len(self._history):
                self._typed = line
            self._recalled -= 1
            self._set_line(self._history[self._recalled])
        elif key == _DOWN and self._recalled < len(self._history):
            self._recalled += 1
            recalled = self._recalled < len(self._history)
            self._set_line(self._history[self._recalled] if recalled else self._typed)

    def _insert(self, text: str) -> None:
        room = self._max_line - self._size
        data = text.encode()
        if len(data) > room:
            text = data[:room].decode("utf-8", "ignore")
            data = text.encode()
        if text:
            c = self._cursor
            self._line = self._line[:c] + text + self._line[c:]
            self._cursor = c + len(text)
            self._size += len(data)

    def _delete(self, start: int, end: int) -> str:
        start, end = max(0, start), min(len(self._line), end)
        if start >= end:
            return ""
        removed = self._line[start:end]
        self._line = self._line[:start] + self._line[end:]
        self._size -= len(removed.encode())
        if self._cursor > start:
            self._cursor = max(start, self._cursor - (end - start))
        return removed

    def _kill_range(self, start: int, end: int, *, backward: bool) -> None:
        removed = self._delete(start, end)
        if not removed:  # nothing to kill: readline rings the bell, and it is no kill
            return
        if self._continue_kill:
            self._kill = removed + self._kill if backward else self._kill + removed
        else:
            self._kill = removed
        self._kill = self._kill[: self._max_line]
        self._killing = True

    def _word_start(self, pos: int, is_gap: Callable[[str], bool]) -> int:
        line = self._line
        while pos > 0 and is_gap(line[pos - 1]):
            pos -= 1
        while pos > 0 and not is_gap(line[pos - 1]):
            pos -= 1
        return pos

    def _word_end(self, pos: int) -> int:
        line, n = self._line, len(self._line)
        while pos < n and _not_word(line[pos]):
            pos += 1
        while pos < n and not _not_word(line[pos]):
            pos += 1
        return pos

    def _set_line(self, text: str) -> None:
        self._line, self._cursor, self._size = text, len(text), len(text.encode())

    def _reset_line(self) -> None:
        self._set_line("")
        self._recalled = len(self._history)
        self._typed = ""

    def _submit(self) -> None:
        buffer = self._line
        self._reset_line()
        for text in buffer.split("\n"):  # a pasted script runs line by line
            if not text:
                continue
            if text.strip():  # bash keeps a line of spaces in its history, but it runs nothing
                self._out.append(Command(at=self._at, text=text))
            self._history.append(text)
            self._history_total += len(text)
        while len(self._history) > self._history_size or (
            self._history_total > self._history_chars and len(self._history) > 1
        ):
            self._history_total -= len(self._history.pop(0))
        self._recalled = len(self._history)


def reconstruct(inputs: Iterable[tuple[float, bytes]]) -> list[Command]:
    """Every command of a session, from its input chunks in order (time, bytes)."""
    editor = LineEditor()
    commands: list[Command] = []
    for at, data in inputs:
        commands.extend(editor.feed(data, at))
    return commands


def _not_word(c: str) -> bool:
    """Readline's word characters are letters and digits; everything else separates."""
    return not c.isalnum()
