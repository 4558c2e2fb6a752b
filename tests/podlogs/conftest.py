"""Fixtures of the live logs tests: the apps tests' clusters and spaces (their k2sim is
shared; each test's space has its own namespace), pods made directly in k2sim with a log
rate of their own, and a browser's side of the logs websocket."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import path
from kubernetes import client as k8s

from apps.podlogs.consumers import LogsConsumer
from tests.helpers import wait_for
from tests.terminal.conftest import daphne_url, make_app  # noqa: F401  (fixture; tests import make_app here)
from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    _fast_password_hashing,
    clusters,
    dev,
    make_space,
    sim,
    space,
    viewer,
)

ROUTER = URLRouter([path("ws/logs/<slug:space>/<slug:app>/", LogsConsumer.as_asgi())])
RATE = "k2sim.io/log-lines-per-second"


def make_pod(running, cluster: str, namespace: str, app: str, name: str, *,
             annotations: dict | None = None, containers=("web",)) -> str:  # fmt: skip
    core = k8s.CoreV1Api(running[cluster].api_client())
    core.create_namespaced_pod(namespace, k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name, labels={"k2cloud.io/app": app},
                                  annotations=annotations),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(
            name=c, image="harbor.k2.test/shop/web:1.0",
            resources=k8s.V1ResourceRequirements(limits={"memory": "64Mi"})) for c in containers]),
    ))  # fmt: skip
    wait_for(
        lambda: core.read_namespaced_pod(name, namespace).status.phase == "Running", timeout=20
    )
    return name


def run(coro_fn, *args):
    """A scenario on an event loop of its own thread (the main thread may hold Playwright's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(async_to_sync(coro_fn), *args).result()


class Reader:
    """A browser's side of the logs websocket: collects lines and control messages,
    acknowledges lines only when told to."""

    def __init__(self, user, space_slug: str, app: str, **query):
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        self.comm = WebsocketCommunicator(ROUTER, f"/ws/logs/{space_slug}/{app}/?{qs}")
        self.comm.scope["user"] = user
        self.lines: list[str] = []
        self.messages: list[dict] = []
        self.closed: dict | None = None
        self.close_code: int | None = None
        self.unacked = 0

    async def open(self) -> tuple[bool, int | None]:
        return await self.comm.connect(timeout=20)

    async def _next(self, timeout: float) -> dict | None:
        """The next frame (not `receive_output`: its timeout cancels the application)."""
        frame = await asyncio.wait_for(self.comm.output_queue.get(), timeout)
        if frame["type"] == "websocket.close":
            self.close_code = frame.get("code")
            return None
        message = json.loads(frame["text"])
        self.messages.append(message)
        if message["type"] == "lines":
            self.lines += [text for _, text in message["lines"]]
            self.unacked += len(message["lines"])
        elif message["type"] == "closed":
            self.closed = message
        return message

    async def until(self, predicate, timeout: float = 20, *, ack: bool = True):
        deadline = time.monotonic() + timeout
        while not predicate(self):
            left = deadline - time.monotonic()
            assert left > 0, f"not seen; last messages {self.messages[-3:]!r}"
            if self.close_code is not None:
                raise AssertionError(f"closed ({self.close_code}): {self.closed!r}")
            if ack and self.unacked:
                await self.ack()
            try:
                await self._next(min(left, 1.0))
            except TimeoutError:
                continue
        return self

    async def ack(self) -> None:
        await self.comm.send_to(text_data=json.dumps({"type": "ack", "lines": self.unacked}))
        self.unacked = 0

    async def send(self, kind: str) -> None:
        await self.comm.send_to(text_data=json.dumps({"type": kind}))

    async def stats(self, *, ack: bool = True) -> dict:
        """A fresh `stats` answer (not one already received)."""
        seen = len(self.messages)
        await self.send("stats")
        await self.until(lambda r: any(m["type"] == "stats" for m in r.messages[seen:]), ack=ack)
        return next(m for m in self.messages[seen:] if m["type"] == "stats")

    async def until_closed(self, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while self.close_code is None:
            left = deadline - time.monotonic()
            assert left > 0, f"still open; last messages {self.messages[-3:]!r}"
            if self.unacked:
                await self.ack()
            try:
                await self._next(min(left, 1.0))
            except TimeoutError:
                continue
        return self.closed or {}
