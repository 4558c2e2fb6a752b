"""pods/exec over WebSocket (v5.channel.k8s.io and v4.channel.k8s.io).

SECURITY NOTE: exec runs a REAL local process (``/bin/sh`` by default, or the requested
command) as the user running k2sim, with a per-pod sandbox folder as its working directory
and HOME. It is not isolated. k2sim therefore binds to 127.0.0.1 only; never expose it.

Channel bytes: 0 stdin, 1 stdout, 2 stderr, 3 error/status (a JSON Status), 4 resize
({"Width","Height"}), and in v5, 255 closes a channel (the client's end of stdin).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import signal
import struct
import termios
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import errors

if TYPE_CHECKING:
    from .cluster import Cluster

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash"}


def _status(code: int) -> bytes:
    if code == 0:
        return json.dumps({"metadata": {}, "status": "Success"}).encode()
    return json.dumps(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: exit status {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    ).encode()


class Execs:
    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.procs: dict[tuple[str, str], set[asyncio.subprocess.Process]] = {}

    def sandbox(self, ns: str, pod: str, container: str) -> Path:
        d = self.cluster.dir / "sandbox" / ns / pod / container
        d.mkdir(parents=True, exist_ok=True)
        return d

    async def serve(self, request: web.Request, ns: str, name: str) -> web.StreamResponse:
        if not self.cluster.cfg.extra.get("exec_enabled", True):
            raise errors.forbidden(
                f'pods "{name}" is forbidden: exec is disabled on this k2sim (started with --no-exec)'
            )
        api = self.cluster.api
        pod = api.get(api.res("", "pods"), ns, name)
        q = request.query
        containers = [c["name"] for c in pod["spec"].get("containers") or []]
        container = q.get("container") or (containers[0] if containers else "")
        if container not in containers:
            raise errors.bad_request(f"container {container} is not valid for pod {name}")
        if (pod.get("status") or {}).get("phase") != "Running":
            raise errors.bad_request(
                f'unable to upgrade connection: container not found ("{container}")'
            )
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise errors.bad_request("Upgrade request required")
        cmd = q.getall("command", []) or ["/bin/sh"]
        if cmd[0] in SHELLS:
            cmd = ["/bin/sh", *cmd[1:]]
        tty = q.get("tty") in ("true", "1")
        want_stdin = q.get("stdin") in ("true", "1")
        ws = web.WebSocketResponse(protocols=PROTOCOLS, max_msg_size=16 * 2**20, heartbeat=None)
        await ws.prepare(request)
        cspec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
        cwd = self.sandbox(ns, name, container)
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(cwd),
            "HOSTNAME": name,
            "TERM": "xterm",
            "PS1": f"{name}:$ ",
            "K2SIM_NAMESPACE": ns,
            "K2SIM_POD": name,
            "K2SIM_CONTAINER": container,
        }
        for e in cspec.get("env") or []:
            if "value" in e:
                env[e["name"]] = str(e["value"])
        try:
            if tty:
                code = await self._run_pty(ws, cmd, cwd, env, want_stdin, (ns, name))
            else:
                code = await self._run_pipes(ws, cmd, cwd, env, want_stdin, (ns, name))
        except OSError:
            msg = (
                f'OCI runtime exec failed: exec failed: unable to start container process: exec: "{cmd[0]}": '
                "executable file not found in $PATH: unknown"
            )
            status = {
                "metadata": {},
                "status": "Failure",
                "message": msg,
                "reason": "InternalError",
                "details": {"causes": [{"message": msg}]},
            }
            if not ws.closed:
                await ws.send_bytes(b"\x03" + json.dumps(status).encode())
            await ws.close()
            return ws
        if not ws.closed:
            await ws.send_bytes(b"\x03" + _status(code))
            await ws.close()
        return ws

    async def _pump_input(
        self, ws: web.WebSocketResponse, write: Any, close_stdin: Any, resize: Any
    ) -> None:
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                data: bytes = msg.data
            elif msg.type == WSMsgType.TEXT:
                data = msg.data.encode("utf-8")
            else:
                break
            if not data:
                continue
            ch, payload = data[0], data[1:]
            if ch == 0 and payload:
                write(payload)
            elif ch == 4 and payload:
                with contextlib.suppress(ValueError, KeyError):
                    size = json.loads(payload)
                    resize(int(size.get("Width", 80)), int(size.get("Height", 24)))
            elif ch == 255 and payload[:1] == b"\x00":
                close_stdin()
        close_stdin()

    async def _run_pipes(
        self,
        ws: web.WebSocketResponse,
        cmd: list[str],
        cwd: Path,
        env: dict[str, str],
        want_stdin: bool,
        key: tuple[str, str],
    ) -> int:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE if want_stdin else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(cwd),
            env=env,
            start_new_session=True,
        )
        self.procs.setdefault(key, set()).add(proc)

        async def pump(stream: asyncio.StreamReader, ch: int) -> None:
            while True:
                chunk = await stream.read(65536)
                if not chunk:
                    return
                if not ws.closed:
                    await ws.send_bytes(bytes([ch]) + chunk)

        def write(data: bytes) -> None:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.write(data)

        def close_stdin() -> None:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()

        reader = asyncio.ensure_future(self._pump_input(ws, write, close_stdin, lambda w, h: None))
        try:
            assert proc.stdout is not None and proc.stderr is not None
            await asyncio.gather(pump(proc.stdout, 1), pump(proc.stderr, 2))
            return await proc.wait()
        finally:
            reader.cancel()
            self.procs.get(key, set()).discard(proc)
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    async def _run_pty(
        self,
        ws: web.WebSocketResponse,
        cmd: list[str],
        cwd: Path,
        env: dict[str, str],
        want_stdin: bool,
        key: tuple[str, str],
    ) -> int:
        master, slave = pty.openpty()

        def set_ctty() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=str(cwd),
                env=env,
                preexec_fn=set_ctty,  # noqa: PLW1509 - needed for a controlling terminal
            )
        except Exception:
            os.close(master)
            os.close(slave)
            raise
        os.close(slave)
        self.procs.setdefault(key, set()).add(proc)
        loop = asyncio.get_running_loop()
        os.set_blocking(master, False)
        out_q: asyncio.Queue[bytes | None] = asyncio.Queue()

        def readable() -> None:
            try:
                data = os.read(master, 65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(master)
                out_q.put_nowait(None)
                return
            out_q.put_nowait(data)

        loop.add_reader(master, readable)

        def write(data: bytes) -> None:
            with contextlib.suppress(OSError):
                os.write(master, data)

        def close_stdin() -> None:
            write(b"\x04")

        def resize(w: int, h: int) -> None:
            with contextlib.suppress(OSError):
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", h, w, 0, 0))

        reader = asyncio.ensure_future(self._pump_input(ws, write, lambda: None, resize))
        waiter = asyncio.ensure_future(proc.wait())
        try:
            while True:
                getter = asyncio.ensure_future(out_q.get())
                done, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    data = getter.result()
                    if data is None:
                        break
                    if not ws.closed:
                        await ws.send_bytes(b"\x01" + data)
                    continue
                getter.cancel()
                # Process exited: drain what is left in the pty.
                await asyncio.sleep(0.01)
                while True:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    if not ws.closed:
                        await ws.send_bytes(b"\x01" + data)
                break
            return await waiter
        finally:
            reader.cancel()
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(master)
            os.close(master)
            self.procs.get(key, set()).discard(proc)
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def kill_pod(self, ns: str, name: str) -> None:
        for proc in self.procs.pop((ns, name), set()):
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for key in list(self.procs):
            self.kill_pod(*key)
