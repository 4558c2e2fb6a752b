"""Fixtures of the terminal tests: the apps tests' clusters and spaces (their k2sim is shared;
each test's space has its own namespace), an app with one running pod made directly in
k2sim, and helpers to speak to the terminal consumer as a browser does."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path
from kubernetes import client as k8s

from apps.terminal.consumers import TerminalConsumer
from apps.workloads.models import App, AppCluster
from tests.helpers import serve_daphne, wait_for
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    _fast_password_hashing,
    clusters,
    dev,
    make_space,
    sim,
    space,
    viewer,
)

ROUTER = URLRouter([path("ws/terminal/<slug:space>/<slug:app>/", TerminalConsumer.as_asgi())])


@pytest.fixture(autouse=True)
def _terminal_settings(settings, tmp_path):
    settings.K2_TERMINAL_SPOOL_DIR = str(tmp_path / "spool")


def make_pod(running, cluster: str, namespace: str, app: str, name: str, containers=("web",)):
    core = k8s.CoreV1Api(running[cluster].api_client())
    core.create_namespaced_pod(namespace, k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name, labels={"k2cloud.io/app": app}),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(name=c, image="harbor.k2.test/shop/web:1.0")
                                       for c in containers]),
    ))  # fmt: skip
    wait_for(
        lambda: core.read_namespaced_pod(name, namespace).status.phase == "Running", timeout=20
    )
    return name


def make_app(in_space, cluster, name: str = "web") -> App:
    app = App.objects.create(space=in_space, name=name, kind="service")
    AppCluster.objects.create(app=app, cluster=cluster, weight=1, status="applied")
    return app


@pytest.fixture
def target(space, clusters, sim):  # noqa: F811  (the fixtures imported above)
    """An app `web` of the test space with a running pod `web-0` (containers web, sidecar)."""
    app = make_app(space, clusters["wl-test"])
    pod = make_pod(sim, "wl-test", space.namespace, "web", "web-0", containers=("web", "sidecar"))
    return {"space": space, "app": app, "cluster": "wl-test", "pod": pod, "container": "web"}


def ws_path(t: dict, *, shell: str = "sh", **extra) -> str:
    query = {"cluster": t["cluster"], "pod": t["pod"], "container": t["container"], "shell": shell,
             **extra}  # fmt: skip
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/ws/terminal/{t['space'].slug}/{t['app'].name}/?{qs}"


def communicator(user, t: dict, **extra) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(ROUTER, ws_path(t, **extra))
    comm.scope["user"] = user
    return comm


class Term:
    """A browser's side of one terminal: collects output, acknowledges it, reads the
    control messages."""

    def __init__(self, comm: WebsocketCommunicator):
        self.comm = comm
        self.output = b""
        self.messages: list[dict] = []
        self.closed: dict | None = None
        self.close_code: int | None = None

    async def open(self) -> tuple[bool, int | None]:
        connected, code = await self.comm.connect(timeout=20)
        if connected:
            status = await self.next_message(timeout=20)
            assert status.get("state") == "connected" or status.get("type") == "closed", status
        return connected, code

    async def frame(self, timeout: float = 10) -> dict:
        """The next frame the server sent. (Not `receive_output`: its timeout cancels the
        application, and these tests wait for the server to act on its own.)"""
        return await asyncio.wait_for(self.comm.output_queue.get(), timeout)

    async def next_message(self, timeout: float = 10) -> dict:
        while True:
            frame = await self.frame(timeout)
            if frame["type"] == "websocket.close":
                self.close_code = frame.get("code")
                return self.closed or {"type": "closed", "reason": "gone"}
            if frame.get("bytes") is not None:
                self.output += frame["bytes"]
                continue
            message = json.loads(frame["text"])
            self.messages.append(message)
            if message["type"] == "closed":
                self.closed = message
            return message

    async def send(self, text: str) -> None:
        await self.comm.send_to(bytes_data=text.encode())

    async def until_output(self, needle: bytes, timeout: float = 15, ack: bool = True) -> bytes:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, f"{needle!r} not seen in {self.output[-400:]!r}"
            try:
                frame = await self.frame(min(left, 1.0))
            except TimeoutError:
                continue
            if frame["type"] == "websocket.close":
                self.close_code = frame.get("code")
                raise AssertionError(f"closed before {needle!r}: {self.output[-400:]!r}")
            if frame.get("bytes") is not None:
                self.output += frame["bytes"]
                if ack:
                    await self.comm.send_to(
                        text_data=json.dumps({"type": "ack", "bytes": len(frame["bytes"])})
                    )
            else:
                message = json.loads(frame["text"])
                self.messages.append(message)
                if message["type"] == "closed":
                    self.closed = message
        return self.output

    async def until_closed(self, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while self.close_code is None:
            left = deadline - time.monotonic()
            assert left > 0, f"still open; last output {self.output[-300:]!r}"
            try:
                await self.next_message(timeout=min(left, 1.0))
            except TimeoutError:
                continue
        return self.closed or {}


@pytest.fixture
def daphne_url(transactional_db, settings, tmp_path):
    """The real ASGI server (daphne, as `make run` and production serve K2Cloud) in its own
    process on the suite's test database, Redis and a shared recording store."""
    yield from serve_daphne(settings, tmp_path)


def session_cookie(user) -> str:
    """A signed-in browser session of `user` (committed: daphne is another process)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value
