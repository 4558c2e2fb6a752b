"""The command log rebuilt from what the browser sent to the shell: every editing key the
prompt understands, pastes, noise that must not leak into the text, chunking, and limits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.terminal.commands import MAX_LINE_BYTES, Command, LineEditor, reconstruct

UP, DOWN, RIGHT, LEFT = b"\x1b[A", b"\x1b[B", b"\x1b[C", b"\x1b[D"
UP3, DOWN3, RIGHT3, LEFT3 = b"\x1bOA", b"\x1bOB", b"\x1bOC", b"\x1bOD"
HOME, END, DELETE = b"\x1b[H", b"\x1b[F", b"\x1b[3~"
BS, CTRL_H = b"\x7f", b"\x08"
CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E, CTRL_F = (
    b"\x01",
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x05",
    b"\x06",
)
CTRL_K, CTRL_N, CTRL_P, CTRL_U, CTRL_W, CTRL_Y = (
    b"\x0b",
    b"\x0e",
    b"\x10",
    b"\x15",
    b"\x17",
    b"\x19",
)
PASTE, END_PASTE = b"\x1b[200~", b"\x1b[201~"


def texts(data: bytes) -> list[str]:
    return [command.text for command in reconstruct([(0.0, data)])]


CASES = {
    # Enter
    "cr": (b"ls -l\r", ["ls -l"]),
    "lf": (b"ls -l\n", ["ls -l"]),
    "crlf counted once": (b"ls\r\npwd\r\n", ["ls", "pwd"]),
    "blank crlf lines": (b"\r\n\r\n\n\r", []),
    "whitespace-only lines are not commands": (b"   \r\t\r \x7f\r", []),
    "text kept as typed": (b"  echo  hi  \r", ["  echo  hi  "]),
    "unsubmitted line is not a command": (b"ls\rrm -rf /", ["ls"]),
    # Backspace and Delete
    "backspace 0x7f": (b"lss" + BS + b"\r", ["ls"]),
    "backspace 0x08": (b"lss" + CTRL_H + b"\r", ["ls"]),
    "backspace on empty line": (BS * 3 + b"ls\r", ["ls"]),
    "backspace mid-line": (b"lxs" + LEFT + BS + b"\r", ["ls"]),
    "backspace a whole multi-byte character": ("echo 你好".encode() + BS + b"\r", ["echo 你"]),
    "delete at cursor": (b"lxs" + LEFT * 2 + DELETE + b"\r", ["ls"]),
    "delete at end does nothing": (b"ls" + DELETE + b"\r", ["ls"]),
    # Cursor movement
    "left csi": (b"ls" + LEFT + b"x\r", ["lxs"]),
    "left ss3": (b"ls" + LEFT3 + b"x\r", ["lxs"]),
    "left stops at start": (b"s" + LEFT * 5 + b"l\r", ["ls"]),
    "right csi": (b"ac" + LEFT * 2 + RIGHT + b"b\r", ["abc"]),
    "right ss3": (b"ac" + LEFT * 2 + RIGHT3 + b"b\r", ["abc"]),
    "right stops at end": (b"l" + RIGHT * 3 + b"s\r", ["ls"]),
    "ctrl-b ctrl-f": (b"ac" + CTRL_B + CTRL_B + CTRL_F + b"b\r", ["abc"]),
    "home csi H": (b"s -l" + HOME + b"l\r", ["ls -l"]),
    "home csi 1~": (b"s -l\x1b[1~l\r", ["ls -l"]),
    "home csi 7~": (b"s -l\x1b[7~l\r", ["ls -l"]),
    "home ss3": (b"s -l\x1bOHl\r", ["ls -l"]),
    "ctrl-a": (b"s -l" + CTRL_A + b"l\r", ["ls -l"]),
    "end csi F": (b"s" + HOME + b"l" + END + b" -l\r", ["ls -l"]),
    "end csi 4~": (b"s" + HOME + b"l\x1b[4~ -l\r", ["ls -l"]),
    "end csi 8~": (b"s" + HOME + b"l\x1b[8~ -l\r", ["ls -l"]),
    "end ss3": (b"s" + HOME + b"l\x1bOF -l\r", ["ls -l"]),
    "ctrl-e": (b"s" + CTRL_A + b"l" + CTRL_E + b" -l\r", ["ls -l"]),
    "alt-b alt-f by word": (b"echo two" + b"\x1bb\x1bbone " + b"\x1bf\x1bf!\r", ["one echo two!"]),
    "ctrl-left ctrl-right by word": (b"a c\x1b[1;5Db \x1b[1;5C!\r", ["a b c!"]),
    # Killing and yanking
    "ctrl-u kills to start": (b"rm -rf /" + CTRL_U + b"ls\r", ["ls"]),
    "ctrl-u keeps what is right of the cursor": (b"xxls" + LEFT * 2 + CTRL_U + b"\r", ["ls"]),
    "ctrl-k kills to end": (b"ls -la" + LEFT * 4 + CTRL_K + b"\r", ["ls"]),
    "ctrl-w deletes previous word": (b"ls /tmp/foo" + CTRL_W + b"/etc\r", ["ls /etc"]),
    "ctrl-w skips trailing spaces": (b"git status  " + CTRL_W + b"log\r", ["git log"]),
    "ctrl-w of the only word empties the line": (b"oops" + CTRL_W + b"\r", []),
    "ctrl-y yanks the kill": (b"ls" + CTRL_U + b"echo " + CTRL_Y + b"\r", ["echo ls"]),
    "consecutive kills join": (b"a b c" + CTRL_W * 2 + CTRL_Y + b"\r", ["a b c"]),
    "an empty kill joins nothing": (
        b": " + CTRL_W + b"#b" + CTRL_A + CTRL_U + CTRL_K + CTRL_Y + b"\r",
        ["#b"],
    ),
    "alt-d kills next word": (b"rm -rf /x" + CTRL_A + b"\x1bd" + b"ls\r", ["ls -rf /x"]),
    "alt-backspace kills previous word": (b"cat a.txt\x1b\x7fb\r", ["cat a.b"]),
    # History
    "up recalls previous": (b"ls\rpwd\r" + UP + b"\r", ["ls", "pwd", "pwd"]),
    "up twice": (b"ls\rpwd\r" + UP * 2 + b"\r", ["ls", "pwd", "ls"]),
    "up ss3": (b"ls\rpwd\r" + UP3 * 2 + b"\r", ["ls", "pwd", "ls"]),
    "ctrl-p": (b"ls\rpwd\r" + CTRL_P + b"\r", ["ls", "pwd", "pwd"]),
    "up stops at oldest": (b"ls\rpwd\r" + UP * 9 + b"\r", ["ls", "pwd", "ls"]),
    "up with no history": (UP + b"ls\r", ["ls"]),
    "down moves newer": (b"ls\rpwd\r" + UP * 2 + DOWN + b"\r", ["ls", "pwd", "pwd"]),
    "down ss3 and ctrl-n": (
        b"a\rb\r" + UP * 2 + DOWN3 + b"\r" + UP * 3 + CTRL_N + b"\r",
        ["a", "b", "b", "b"],
    ),
    "down past newest returns to typed line": (b"ls\rech" + UP + DOWN + b"o\r", ["ls", "echo"]),
    "down on the typed line does nothing": (b"ls\recho" + DOWN * 3 + b"\r", ["ls", "echo"]),
    "edited recall submits edited text": (b"ls\r" + UP + b" -l\r", ["ls", "ls -l"]),
    "edited recall leaves history alone": (
        b"ls\r" + UP + b" -l\r" + UP * 2 + b"\r",
        ["ls", "ls -l", "ls"],
    ),
    "recall then backspace": (b"cat a.txt\r" + UP + BS * 3 + b"md\r", ["cat a.txt", "cat a.md"]),
    "empty lines stay out of history": (b"ls\r\r" + UP + b"\r", ["ls", "ls"]),
    "lines of spaces are history, as in bash": (
        b"ls\r  \r" + UP + b"\r" + UP * 3 + b"\r",
        ["ls", "ls"],
    ),
    # Ctrl-C and Ctrl-D
    "ctrl-c discards the line": (b"rm -rf /" + CTRL_C + b"ls\r", ["ls"]),
    "ctrl-c line stays out of history": (b"ls\roops" + CTRL_C + UP + b"\r", ["ls", "ls"]),
    "ctrl-c ends history browsing": (b"a\rb\r" + UP * 2 + CTRL_C + UP + b"\r", ["a", "b", "b"]),
    "ctrl-c inside an escape sequence": (b"rm\x1b[1" + CTRL_C + b"ls\r", ["ls"]),
    "ctrl-c inside a paste": (PASTE + b"rm -rf" + CTRL_C + b"ls\r", ["ls"]),
    "ctrl-d on empty line submits nothing": (CTRL_D + b"\r" + CTRL_D + b"ls\r", ["ls"]),
    "ctrl-d deletes at cursor": (b"lxs" + LEFT * 2 + CTRL_D + b"\r", ["ls"]),
    # Pastes
    "bracketed paste waits for enter": (PASTE + b"ls\npwd\n" + END_PASTE, []),
    "bracketed paste lines run at enter": (PASTE + b"ls\npwd\n" + END_PASTE + b"\r", ["ls", "pwd"]),
    "bracketed paste of cr lines (as xterm.js sends)": (
        PASTE + b"ls\rpwd" + END_PASTE + b"\r",
        ["ls", "pwd"],
    ),
    "bracketed paste dropped by ctrl-c": (PASTE + b"rm -rf /\nls" + END_PASTE + CTRL_C, []),
    "bracketed paste killed by ctrl-u": (
        PASTE + b"rm -rf /\nls" + END_PASTE + CTRL_U + b"pwd\r",
        ["pwd"],
    ),
    "bracketed paste lines are history": (
        PASTE + b"ls\npwd" + END_PASTE + b"\r" + UP * 2 + b"\r",
        ["ls", "pwd", "ls"],
    ),
    "bracketed paste then enter": (PASTE + b"echo hi" + END_PASTE + b"\r", ["echo hi"]),
    "bracketed paste crlf": (PASTE + b"ls\r\n\r\npwd\r\n" + END_PASTE + b"\r", ["ls", "pwd"]),
    "bracketed paste at cursor": (
        b"echo  done" + LEFT * 5 + PASTE + b"hi" + END_PASTE + b"\r",
        ["echo hi done"],
    ),
    "bracketed paste keeps tabs, not keys": (
        PASTE + b"a\tb" + BS + UP + CTRL_U + b"c" + END_PASTE + b"\r",
        ["a\tbc"],
    ),
    "keys work again after paste": (PASTE + b"lss" + END_PASTE + BS + b"\r", ["ls"]),
    "plain multi-line paste": (b"ls\npwd\nwhoami\n", ["ls", "pwd", "whoami"]),
    # Ignored input
    "tab ignored": (b"ls\t -l\r", ["ls -l"]),
    "other controls ignored": (b"l\x00\x0c\x12\x14\x1f\x1cs\r", ["ls"]),
    "c1 controls ignored": ("l\u009b\u0085s\r".encode(), ["ls"]),
    "unknown alt-key ignored": (b"ls\x1bx -l\r", ["ls -l"]),
    "csi with modifiers ignored": (b"ls\x1b[1;2A\x1b[1;5H -l\r", ["ls -l"]),
    "insert and page keys ignored": (b"ls\x1b[2~\x1b[5~\x1b[6~ -l\r", ["ls -l"]),
    "function keys ignored": (b"ls\x1bOP\x1b[15~\x1b[24~ -l\r", ["ls -l"]),
    "focus events ignored": (b"ls\x1b[I\x1b[O -l\r", ["ls -l"]),
    "device attribute reply ignored": (b"ls\x1b[?1;2c\x1b[12;5R -l\r", ["ls -l"]),
    "osc reply with bel ignored": (b"ls\x1b]11;rgb:0000/0000/0000\x07 -l\r", ["ls -l"]),
    "osc reply with st ignored": (b"ls\x1b]10;rgb:ffff/ffff/ffff\x1b\\ -l\r", ["ls -l"]),
    "dcs reply ignored": (b"ls\x1bP1$r0m\x1b\\ -l\r", ["ls -l"]),
    "x10 mouse report ignored": (b"ls\x1b[M !! -l\r", ["ls -l"]),
    "sgr mouse report ignored": (b"ls\x1b[<0;3;4M\x1b[<0;3;4m -l\r", ["ls -l"]),
    "sequence cut short by enter": (b"ls\x1b[\r", ["ls"]),
    "osc cut short by enter": (b"ls\x1b]not closed\r", ["ls"]),
    "escape then escape sequence": (b"ls\x1b\x1b[D\x1b[Dx\r", ["xls"]),
    "overlong parameters ignored": (b"ls\x1b[" + b"1;" * 5000 + b"D -l\r", ["ls -l"]),
    # Text
    "utf-8 text": ("echo héllo 你好 🙂\r".encode(), ["echo héllo 你好 🙂"]),
    "invalid utf-8 replaced": (b"echo \xff\xfe\r", ["echo \ufffd\ufffd"]),
}


@pytest.mark.parametrize(("data", "expected"), CASES.values(), ids=CASES.keys())
def test_editing_keys(data, expected):
    assert texts(data) == expected


def test_acceptance_backspace_history_recall_and_ctrl_c():
    """A session as xterm.js sends it, one keystroke per message (bash puts the terminal in
    application cursor mode, so arrows come as SS3): the log is exactly what ran."""
    keystrokes = [
        # `ehco` fixed with backspace: runs `echo hello`
        *b"ehc",
        BS,
        BS,
        *b"cho hello",
        b"\r",
        # `ls -la /tmp` typed, then abandoned with Ctrl-C
        *b"ls -la /tmp",
        CTRL_C,
        # `cat /etc/hostname`
        *b"cat /etc/hostname",
        b"\r",
        # up twice recalls `echo hello`, backspace 5, `world`: runs `echo world`
        UP3,
        UP3,
        *[BS] * 5,
        *b"world",
        b"\r",
        # up once: `echo world` again as is
        UP3,
        b"\r",
        # typed `rm -rf` then Ctrl-C: never ran
        *b"rm -rf",
        CTRL_C,
        # Ctrl-D on the empty line ends the shell: no command
        CTRL_D,
    ]
    chunks = [bytes([k]) if isinstance(k, int) else k for k in keystrokes]
    inputs = [(0.1 * i, chunk) for i, chunk in enumerate(chunks)]
    commands = reconstruct(inputs)
    assert [c.text for c in commands] == [
        "echo hello",
        "cat /etc/hostname",
        "echo world",
        "echo world",
    ]
    enter_times = [t for t, chunk in inputs if chunk == b"\r"]
    assert [c.at for c in commands] == enter_times


def test_feed_returns_the_commands_of_that_chunk_with_its_time():
    editor = LineEditor()
    assert editor.feed(b"ls", 1.0) == []
    assert editor.feed(b" -l\rpwd\r", 2.5) == [Command(2.5, "ls -l"), Command(2.5, "pwd")]
    assert editor.feed(b"\r", 3.0) == []


def test_escape_sequence_split_across_chunks():
    editor = LineEditor()
    for chunk in (b"ls\x1b", b"[", b"D", b"x\x1bO", b"H#\x1b[3", b"~\r"):
        commands = editor.feed(chunk, 1.0)
    assert commands == [Command(1.0, "#xs")]


def test_utf8_character_split_across_chunks():
    editor = LineEditor()
    editor.feed(b"echo \xe4", 1.0)
    editor.feed(b"\xbd", 2.0)
    assert editor.feed(b"\xa0\r", 3.0) == [Command(3.0, "echo 你")]


def test_cr_and_lf_in_separate_chunks_count_once():
    editor = LineEditor()
    assert editor.feed(b"ls\r", 1.0) == [Command(1.0, "ls")]
    assert editor.feed(b"\n", 1.1) == []
    assert editor.feed(b"pwd\n", 2.0) == [Command(2.0, "pwd")]


def test_paste_split_across_chunks():
    editor = LineEditor()
    editor.feed(PASTE[:3], 1.0)
    editor.feed(PASTE[3:] + b"lss\x7f", 1.0)
    editor.feed(END_PASTE[:4], 1.0)
    assert editor.feed(END_PASTE[4:] + b"\x7f\r", 2.0) == [Command(2.0, "ls")]


def test_bracketed_paste_runs_at_the_enter_after_it():
    editor = LineEditor()
    assert editor.feed(PASTE + b"ls\rpwd\r" + END_PASTE, 1.0) == []
    assert editor.feed(b"\r", 2.0) == [Command(2.0, "ls"), Command(2.0, "pwd")]


def test_long_line_keeps_first_64_kib():
    assert texts(b"a" * 70_000 + b"\r") == ["a" * MAX_LINE_BYTES]
    # a character that would straddle the limit is dropped whole
    (text,) = texts("é".encode() * 40_000 + b"x\r")
    assert text == "é" * (MAX_LINE_BYTES // 2)


def test_long_line_in_many_chunks_and_then_editing_works():
    editor = LineEditor(max_line_bytes=10)
    for _ in range(5):
        editor.feed(b"abcd", 0.0)
    assert editor.feed(BS * 2 + b"XYZ\r", 1.0) == [Command(1.0, "abcdabcdXY")]


def test_history_is_bounded_in_entries():
    editor = LineEditor(history_size=3)
    for i in range(5):
        editor.feed(f"cmd{i}\r".encode(), 0.0)
    assert editor.feed(UP * 10 + b"\r", 1.0) == [Command(1.0, "cmd2")]


def test_default_history_keeps_1000():
    editor = LineEditor()
    editor.feed(b"".join(f"cmd{i}\r".encode() for i in range(1001)), 0.0)
    assert editor.feed(UP * 1500 + b"\r", 1.0) == [Command(1.0, "cmd1")]


def test_history_is_bounded_in_characters():
    editor = LineEditor(history_chars=10)
    editor.feed(b"aaaa\rbbbb\rcccc\r", 0.0)
    assert editor.feed(UP * 5 + b"\r", 1.0) == [Command(1.0, "bbbb")]


def test_reconstruct_of_nothing():
    assert reconstruct([]) == []


# Properties -------------------------------------------------------------------------------

TOKENS = [
    UP, DOWN, LEFT, RIGHT, UP3, DOWN3, LEFT3, RIGHT3, HOME, END, DELETE, b"\x1b[1~", b"\x1b[4~",
    b"\x1bOH", b"\x1bOF", BS, CTRL_H, CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E, CTRL_F, CTRL_K,
    CTRL_U, CTRL_W, CTRL_Y, CTRL_P, CTRL_N, b"\x1bb", b"\x1bf", b"\x1bd", b"\x1b\x7f",
    b"\x1b[1;5C", b"\x1b[1;5D", b"\r", b"\n", b"\r\n", b"\t", PASTE, END_PASTE, b"\x1b",
    b"\x1b[", b"\x1b]0;t\x07", b"\x1b[?1;2c", b"\x1b[M !!", "é".encode(), "你".encode(),
    "🙂".encode(), b"\xff", b" ", b"ls", b"-l", b"x",
]  # fmt: skip
streams = st.lists(st.sampled_from(TOKENS) | st.binary(max_size=3), max_size=60).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=streams, cuts=st.lists(st.integers(0, 200), max_size=10))
def test_any_chunking_gives_the_same_commands(data, cuts):
    whole = texts(data)
    bounds = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    chunks = [
        (float(i), data[a:b]) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))
    ]
    assert [c.text for c in reconstruct(chunks)] == whole


printable_line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=80
).filter(str.strip)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(printable_line, min_size=1, max_size=5),
    enter=st.sampled_from(["\r", "\n", "\r\n"]),
)
def test_printable_text_and_enter_round_trips(lines, enter):
    data = "".join(line + enter for line in lines).encode()
    assert texts(data) == lines


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300) | streams)
def test_any_input_gives_clean_bounded_commands(data):
    for command in reconstruct([(0.0, data)]):
        assert command.text.strip()
        assert len(command.text.encode()) <= MAX_LINE_BYTES
        # no control character reaches the log, except a tab pasted as text
        assert not any(ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) <= 0x9F for c in command.text)
