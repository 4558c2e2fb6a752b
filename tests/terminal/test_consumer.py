"""The terminal consumer against a real k2sim pod: who gets in (4401 / 4403 with reasons),
what a session does (output, exit status, resize, command log, recording, audit), how it
ends (idle, maximum length) and the limits (count, input rate, unacknowledged output)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from apps.audit.models import AuditEvent
from apps.clusters.choices import Environment
from apps.terminal import recording
from apps.terminal.access import Target, decide
from apps.terminal.asciicast import read_cast
from apps.terminal.models import TerminalSession
from k2cloud.asgi import application
from tests.terminal.conftest import Term, communicator, make_app, make_pod, ws_path

pytestmark = pytest.mark.django_db(transaction=True)


def run(coro_fn, *args):
    """Run a scenario on an event loop of its own thread (the main thread may already hold
    Playwright's loop when the browser tests ran first)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(coro_fn), *args).result()


def test_anonymous_is_refused_with_4401(target):
    async def scenario():
        return await Term(communicator(AnonymousUser(), target)).open()

    assert run(scenario) == (False, 4401)


def test_an_outsider_and_a_viewer_are_refused_with_4403(target, bob, viewer):
    async def scenario(user):
        return await Term(communicator(user, target)).open()

    assert run(scenario, bob) == (False, 4403)
    assert run(scenario, viewer) == (False, 4403)
    why = decide(viewer, Target(target["space"].slug, "web", "wl-test", "web-0", "web"))
    assert "(Viewer) does not allow terminals" in why.reason
    assert (
        "No space"
        in decide(bob, Target(target["space"].slug, "web", "wl-test", "web-0", "web")).reason
    )
    assert TerminalSession.objects.count() == 0


def test_a_production_pod_is_refused_with_the_reason(make_space, clusters, sim, alice):
    space = make_space(environment=Environment.PROD, cluster_names=("wl-prod",))
    make_app(space, clusters["wl-prod"])
    make_pod(sim, "wl-prod", space.namespace, "web", "web-p0")
    t = {
        "space": space,
        "app": space.apps.get(),
        "cluster": "wl-prod",
        "pod": "web-p0",
        "container": "web",
    }

    async def scenario():
        return await Term(communicator(alice, t)).open()

    assert run(scenario) == (False, 4403)
    reason = decide(alice, Target(space.slug, "web", "wl-prod", "web-p0", "web")).reason
    assert "production" in reason and "k2ctl" in reason


def test_a_cluster_whose_policy_forbids_terminals_is_refused(target, dev, clusters):
    clusters["wl-test"].policy.terminal_allowed = False
    clusters["wl-test"].policy.save()
    reason = decide(dev, Target(target["space"].slug, "web", "wl-test", "web-0", "web")).reason
    assert reason == "The policy of cluster wl-test does not allow web terminals."


def test_a_pod_of_another_app_or_a_missing_container_is_refused(target, dev, sim):
    make_pod(sim, "wl-test", target["space"].namespace, "api", "api-0")
    other = decide(dev, Target(target["space"].slug, "web", "wl-test", "api-0", "web"))
    assert other.code == 4403 and "does not belong to app web" in other.reason
    missing = decide(dev, Target(target["space"].slug, "web", "wl-test", "web-0", "nope"))
    assert missing.code == 4404 and "has no container nope" in missing.reason


@pytest.mark.parametrize(
    "origin,code", [(b"http://evil.example", None), (b"http://localhost", 4401)]
)
def test_the_origin_must_be_an_allowed_host(target, origin, code):
    """Through the whole websocket stack: a page of another site is refused before anything
    else; from the portal's own host the request reaches the consumer (which refuses this
    cookie-less one as anonymous)."""

    async def scenario():
        comm = WebsocketCommunicator(application, ws_path(target), headers=[(b"origin", origin)])
        return await comm.connect(timeout=20)

    connected, close_code = run(scenario)
    assert connected is False
    assert (close_code == 4401) is (code == 4401)


def test_a_session_runs_commands_reports_the_exit_status_and_is_recorded(target, dev):
    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        await term.send("echo $((6*7))\r")
        await term.until_output(b"42")
        await term.send("ech\x7fho again\r")  # a typo fixed with backspace
        await term.until_output(b"again")
        await term.send("exit 3\r")
        closed = await term.until_closed()
        return term, closed

    term, closed = run(scenario)
    assert closed["reason"] == "exit" and closed["exit_code"] == 3
    assert closed["message"] == "The shell exited with status 3."
    assert term.close_code == 1000
    session = TerminalSession.objects.get()
    assert (session.end_reason, session.exit_code, session.user, session.pod) == (
        "exit",
        3,
        dev,
        "web-0",
    )
    assert session.bytes_in == len("echo $((6*7))\r") + len("ech\x7fho again\r") + len("exit 3\r")
    assert session.bytes_out > 0 and session.recording_key.startswith("terminal/")
    assert list(session.commands.values_list("text", flat=True)) == [
        "echo $((6*7))",
        "echo again",
        "exit 3",
    ]
    header, events = read_cast(recording.read_cast_text(session))
    assert header["version"] == 2 and (header["width"], header["height"]) == (80, 24)
    shown = "".join(data for _t, code, data in events if code == "o")
    typed = "".join(data for _t, code, data in events if code == "i")
    assert "42" in shown and typed == "echo $((6*7))\rech\x7fho again\rexit 3\r"
    events = AuditEvent.objects.filter(target_type="terminal.terminalsession").order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["terminal.session.start", "terminal.session.end"]
    # The spool is gone (uploaded); the stored object is encrypted, not readable text.
    assert not recording.spool_path(str(session.key)).exists()
    from apps.backups.store import get_store

    assert b"echo" not in get_store().get(session.recording_key)


def test_resize_changes_the_size_the_shell_sees(target, dev):
    async def scenario():
        term = Term(communicator(dev, target, cols=90, rows=20))
        assert (await term.open())[0]
        await term.send("stty size\r")
        await term.until_output(b"20 90")
        await term.comm.send_to(text_data='{"type": "resize", "cols": 132, "rows": 40}')
        await term.send("stty size\r")
        await term.until_output(b"40 132")
        await term.comm.disconnect()

    run(scenario)
    session = TerminalSession.objects.get()
    assert session.end_reason == "closed"
    _header, events = read_cast(recording.read_cast_text(session))
    assert ("r", "132x40") in [(code, data) for _t, code, data in events]


def test_idle_sessions_close(target, dev, settings):
    settings.K2_TERMINAL_IDLE_SECONDS = 1

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        return await term.until_closed(timeout=15), term.close_code

    closed, code = run(scenario)
    assert closed["reason"] == "idle" and "without input" in closed["message"] and code == 4408
    assert TerminalSession.objects.get().end_reason == "idle"


def test_sessions_close_at_the_maximum_length(target, dev, settings):
    settings.K2_TERMINAL_MAX_SECONDS = 2

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        for _ in range(20):  # typing keeps it from being idle
            if term.close_code is not None:
                break
            await term.send("\r")
            with contextlib.suppress(TimeoutError):
                await term.next_message(timeout=0.3)
        return await term.until_closed(timeout=15)

    closed = run(scenario)
    assert closed["reason"] == "max_length" and "maximum session length" in closed["message"]


def test_the_number_of_open_terminals_per_user_is_limited(target, dev, settings):
    settings.K2_TERMINAL_MAX_PER_USER = 1

    async def scenario():
        first = Term(communicator(dev, target))
        assert (await first.open())[0]
        second = await Term(communicator(dev, target)).open()
        await first.comm.disconnect()
        third = Term(communicator(dev, target))
        third_open = await third.open()
        await third.comm.disconnect()
        return second, third_open

    second, third = run(scenario)
    assert second == (False, 4429) and third[0] is True


def test_input_faster_than_the_rate_is_refused_with_a_notice(target, dev, settings):
    settings.K2_TERMINAL_INPUT_BURST_BYTES = 1000
    settings.K2_TERMINAL_INPUT_BYTES_PER_SECOND = 100

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        await term.send("x" * 5000)
        notice = await term.next_message()
        await term.comm.disconnect()
        return notice

    notice = run(scenario)
    assert notice["type"] == "notice" and "faster than the terminal accepts" in notice["message"]
    assert TerminalSession.objects.get().bytes_in == 0


def test_unacknowledged_output_stops_reading_the_container(target, dev, settings):
    """`yes` prints forever; a browser that draws nothing gets about one window, not more,
    and output resumes once it acknowledges."""
    window = settings.K2_TERMINAL_OUTPUT_WINDOW_BYTES = 64 * 1024

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        await term.send("yes k2\r")
        received = 0
        while True:
            try:
                frame = await term.frame(1.5)
            except TimeoutError:
                break
            received += len(frame.get("bytes") or b"")
        await term.comm.send_to(text_data=f'{{"type": "ack", "bytes": {received}}}')
        more = 0
        while more < window:
            frame = await term.frame(5)
            more += len(frame.get("bytes") or b"")
        await term.send("\x03")
        await term.comm.disconnect()
        return received, more

    received, more = run(scenario)
    assert window <= received <= window + 2 * 65536, received
    assert more >= window


def test_nothing_typed_reaches_the_logs_or_the_audit(target, dev, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        await term.send("echo hunter2-s3cret\r")
        await term.until_output(b"hunter2-s3cret\r\n")
        await term.comm.disconnect()

    run(scenario)
    assert "hunter2" not in caplog.text
    for event in AuditEvent.objects.all():
        assert "hunter2" not in str(event.changes) + event.reason


def test_a_failing_channel_layer_does_not_end_the_session(target, dev, monkeypatch):
    """Redis timing out under the channel layer (seen at 20 sessions on one daphne) is
    retried: the terminal goes on; pushes are the fast path, the re-check the guarantee."""
    from apps.core import consumers  # the terminal's dispatch: ResilientLayerConsumer

    real = consumers.get_channel_layer()
    failures = {"left": 2}

    class Flaky:
        def __getattr__(self, name):
            return getattr(real, name)

        async def receive(self, channel):
            if failures["left"]:
                failures["left"] -= 1
                raise TimeoutError("Timeout reading from redis.sock")
            return await real.receive(channel)

    monkeypatch.setattr(consumers, "get_channel_layer", lambda alias=None: Flaky())

    async def scenario():
        term = Term(communicator(dev, target))
        assert (await term.open())[0]
        await asyncio.sleep(2.5)  # both failures happen, each followed by a one-second pause
        await term.send("echo still-$((1+1))\r")
        await term.until_output(b"still-2")
        await term.comm.disconnect()

    run(scenario)
    assert failures["left"] == 0
    assert TerminalSession.objects.get().end_reason == "closed"
