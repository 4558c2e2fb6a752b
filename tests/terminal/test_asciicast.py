"""asciicast v2 recordings: what the writer puts in the file, what the reader refuses, and
that a stored recording gives back its output and its command log."""

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.terminal.asciicast import CastWriter, inputs_of, read_cast
from apps.terminal.commands import reconstruct

HEADER = '{"version": 2, "width": 80, "height": 24}\n'


def record(**kwargs):
    fh = io.StringIO()
    return fh, CastWriter(fh, 80, 24, **kwargs)


def test_header_and_events_one_json_line_each():
    fh, writer = record(
        timestamp=1_700_000_000, title="web/api-7f9c", env={"TERM": "xterm-256color", "SHELL": "sh"}
    )
    writer.output(0.25, b"$ ")
    writer.input(1.5, b"ls\r")
    writer.resize(2.0, 120, 40)
    writer.marker(2.5, "ls")
    lines = fh.getvalue().splitlines()
    assert json.loads(lines[0]) == {
        "version": 2,
        "width": 80,
        "height": 24,
        "timestamp": 1_700_000_000,
        "title": "web/api-7f9c",
        "env": {"TERM": "xterm-256color", "SHELL": "sh"},
    }
    assert lines[1:] == [
        '[0.250000, "o", "$ "]',
        '[1.500000, "i", "ls\\r"]',
        '[2.000000, "r", "120x40"]',
        '[2.500000, "m", "ls"]',
    ]
    assert fh.getvalue().endswith("\n")


def test_header_leaves_out_what_was_not_given():
    fh, _ = record()
    assert json.loads(fh.getvalue()) == {"version": 2, "width": 80, "height": 24}


def test_times_have_six_decimals():
    fh, writer = record()
    writer.output(1.23456789, b"x")
    writer.output(3, b"y")
    assert fh.getvalue().splitlines()[1:] == ['[1.234568, "o", "x"]', '[3.000000, "o", "y"]']


def test_time_never_goes_backwards():
    fh, writer = record()
    writer.output(2.0, b"a")
    writer.input(1.5, b"b")
    assert fh.getvalue().splitlines()[2] == '[2.000000, "i", "b"]'


@pytest.mark.parametrize("t", [-0.1, float("nan"), float("inf")])
def test_bad_time_refused(t):
    _, writer = record()
    with pytest.raises(ValueError, match="event time"):
        writer.output(t, b"x")


@pytest.mark.parametrize(("width", "height"), [(0, 24), (80, 0), (-1, -1)])
def test_bad_size_refused(width, height):
    with pytest.raises(ValueError, match="terminal size"):
        CastWriter(io.StringIO(), width, height)
    _, writer = record()
    with pytest.raises(ValueError, match="terminal size"):
        writer.resize(1.0, width, height)


def test_multibyte_character_split_across_chunks_comes_out_whole():
    fh, writer = record()
    data = "你好".encode()
    writer.output(0.1, data[:2])
    writer.output(0.2, data[2:4])
    writer.output(0.3, data[4:])
    _, events = read_cast(fh.getvalue())
    assert events == [(0.2, "o", "你"), (0.3, "o", "好")]


def test_streams_decode_separately():
    fh, writer = record()
    euro = "€".encode()
    writer.output(0.1, euro[:1])
    writer.input(0.2, b"a")
    writer.output(0.3, euro[1:])
    _, events = read_cast(fh.getvalue())
    assert events == [(0.2, "i", "a"), (0.3, "o", "€")]


def test_invalid_bytes_replaced():
    fh, writer = record()
    writer.output(0.1, b"ok \xff\xfe done")
    _, events = read_cast(fh.getvalue())
    assert events == [(0.1, "o", "ok \ufffd\ufffd done")]


def test_finish_flushes_a_cut_off_character():
    fh, writer = record()
    writer.output(0.1, b"a\xe4\xbd")
    writer.finish(5.0)
    _, events = read_cast(fh.getvalue())
    assert events == [(0.1, "o", "a"), (5.0, "o", "\ufffd")]


def test_control_characters_and_non_ascii_survive():
    fh, writer = record()
    text = '\x1b[1;31mred\x1b[0m "quoted" \\ tab\t 你 🙂\r\n\x00'
    writer.output(0.5, text.encode())
    _, events = read_cast(fh.getvalue())
    assert events == [(0.5, "o", text)]


def test_unicode_line_separators_stay_inside_their_event():
    fh, writer = record()
    text = "a\u2028b\u2029c\u0085d"
    writer.output(0.1, text.encode())
    assert len(fh.getvalue().splitlines()) == 2
    _, events = read_cast(fh.getvalue())
    assert events == [(0.1, "o", text)]


def test_read_cast_splits_only_at_newline():
    text = HEADER + '[0.1, "o", "a\u2028b\u0085c"]\n'
    assert read_cast(text)[1] == [(0.1, "o", "a\u2028b\u0085c")]


def test_read_cast_of_lines_and_blank_lines():
    lines = [
        '{"version": 2, "width": 10, "height": 5}\n',
        "\n",
        '[0.5, "o", "hi"]\n',
        '[1, "i", "x"]\n',
    ]
    header, events = read_cast(iter(lines))
    assert header == {"version": 2, "width": 10, "height": 5}
    assert events == [(0.5, "o", "hi"), (1.0, "i", "x")]


def test_read_cast_of_a_header_only():
    assert read_cast('{"version": 2, "width": 10, "height": 5}') == (
        {"version": 2, "width": 10, "height": 5},
        [],
    )


MALFORMED = {
    "empty": ("", "no header line"),
    "blank": ("\n  \n", "no header line"),
    "header not json": ("version 2\n", "line 1: not valid JSON"),
    "header not an object": ("[2, 80, 24]\n", "line 1: header must be a JSON object"),
    "version 1": (
        '{"version": 1, "width": 80, "height": 24, "stdout": []}',
        "version 1 is not supported",
    ),
    "version 3": ('{"version": 3, "term": {"cols": 80, "rows": 24}}', "version 3 is not supported"),
    "version missing": ('{"width": 80, "height": 24}', "version None is not supported"),
    "version a string": (
        '{"version": "2", "width": 80, "height": 24}',
        "version '2' is not supported",
    ),
    "width missing": ('{"version": 2, "height": 24}', "width must be a whole number"),
    "height zero": ('{"version": 2, "width": 80, "height": 0}', "height must be a whole number"),
    "width a float": (
        '{"version": 2, "width": 80.5, "height": 24}',
        "width must be a whole number",
    ),
    "width a bool": ('{"version": 2, "width": true, "height": 24}', "width must be a whole number"),
    "timestamp a string": (
        '{"version": 2, "width": 80, "height": 24, "timestamp": "now"}',
        "timestamp must be a number",
    ),
    "title not a string": (
        '{"version": 2, "width": 80, "height": 24, "title": 5}',
        "title must be a string",
    ),
    "env not strings": (
        '{"version": 2, "width": 80, "height": 24, "env": {"A": 1}}',
        "env must be an object",
    ),
    "event not json": (HEADER + '[0.1, "o", "x"\n', "line 2: not valid JSON"),
    "event not an array": (HEADER + '{"t": 0.1}\n', "line 2: an event must be a"),
    "event too short": (HEADER + '[0.1, "o"]\n', "line 2: an event must be a"),
    "event too long": (HEADER + '[0.1, "o", "x", 1]\n', "line 2: an event must be a"),
    "time a string": (HEADER + '["0.1", "o", "x"]\n', "line 2: event time must be"),
    "time negative": (HEADER + '[-1, "o", "x"]\n', "line 2: event time must be"),
    "time NaN": (HEADER + '[NaN, "o", "x"]\n', "line 2: not valid JSON"),
    "time Infinity": (HEADER + '[Infinity, "o", "x"]\n', "line 2: not valid JSON"),
    "time a bool": (HEADER + '[true, "o", "x"]\n', "line 2: event time must be"),
    "time goes backwards": (
        HEADER + '[2, "o", "x"]\n[1, "o", "y"]\n',
        "line 3: event time 1 is before",
    ),
    "unknown code": (HEADER + '[0.1, "x", "x"]\n', "line 2: unknown event code 'x'"),
    "data not a string": (HEADER + '[0.1, "o", 5]\n', "line 2: event data must be a string"),
    "bad resize": (HEADER + '[0.1, "r", "80,24"]\n', "line 2: resize data must be WIDTHxHEIGHT"),
    "garbage after events": (HEADER + '[0.1, "o", "x"]\nnot json\n', "line 3: not valid JSON"),
}


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_recordings_refused(text, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        read_cast(text)


def test_inputs_of_keeps_only_input_as_bytes():
    events = [
        (0.1, "o", "$ "),
        (0.2, "i", "é"),
        (0.3, "r", "10x5"),
        (0.4, "i", "\r"),
        (0.5, "m", ""),
    ]
    assert inputs_of(events) == [(0.2, "é".encode()), (0.4, b"\r")]


def test_stored_recording_gives_back_the_command_log():
    fh, writer = record()
    session = [
        (0.5, b"ehc"), (0.7, b"\x7f\x7f"), (0.9, b"cho hi\r"), (1.0, "€".encode()[:2]),
        (1.1, "€".encode()[2:] + b"\x03"), (2.0, b"\x1bOA"), (2.2, b"\r"),
    ]  # fmt: skip
    for t, data in session:
        writer.input(t, data)
        writer.output(t, data)
    _, events = read_cast(fh.getvalue())
    assert [(c.at, c.text) for c in reconstruct(inputs_of(events))] == [
        (0.9, "echo hi"),
        (2.2, "echo hi"),
    ]


# Properties -------------------------------------------------------------------------------

chunks = st.lists(
    st.tuples(
        st.sampled_from(["o", "i"]),
        st.binary(max_size=12) | st.text(max_size=6).map(str.encode),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(chunks=chunks, finish=st.booleans())
def test_written_recording_parses_back_and_keeps_the_text(chunks, finish):
    fh, writer = record()
    for i, (code, data) in enumerate(chunks):
        (writer.output if code == "o" else writer.input)(i * 0.01, data)
    if finish:
        writer.finish(len(chunks) * 0.01)
    header, events = read_cast(fh.getvalue())
    assert header == {"version": 2, "width": 80, "height": 24}
    assert [t for t, _, _ in events] == sorted(t for t, _, _ in events)
    for code in "oi":
        sent = b"".join(data for c, data in chunks if c == code)
        got = "".join(data for _, c, data in events if c == code)
        decoded = sent.decode("utf-8", "replace")
        if finish:
            assert got == decoded
        else:  # all but a character still cut off at the end: at most 3 bytes held
            assert decoded.startswith(got)  # back, each at most one U+FFFD when decoded
            assert len(decoded) - len(got) <= 3


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=8))
def test_recorded_input_gives_the_commands_of_the_live_stream(data, cuts):
    bounds = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    live = [(float(i), data[a:b]) for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]
    fh, writer = record()
    for t, chunk in live:
        writer.input(t, chunk)
    writer.finish(float(len(live)))
    _, events = read_cast(fh.getvalue())
    assert [c.text for c in reconstruct(inputs_of(events))] == [c.text for c in reconstruct(live)]
