"""Fixtures of the event center tests: the session's k2sim cluster "events", a space with
an app there, pods made directly in k2sim (one may carry the OOM annotation), a real local
HTTP server as the webhook sink, deliveries run in threads as a notify worker would, and
the watcher started and stopped around a test."""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import uuid

import pytest
from kubernetes import client as k8s

from apps.audit.actors import Actor
from apps.events import alerts, ingest
from apps.events.watcher import EventWatcher
from apps.spaces.choices import SpaceRole, SpaceState
from apps.spaces.models import Membership, Space
from apps.spaces.permissions import grant_role
from apps.workloads.models import App, AppCluster
from tests.conftest import sim_for
from tests.helpers import register, wait_for

ADMIN = Actor.system("tests.events")
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    settings.K2_EVENTS_SINK_BACKOFF = 0.05
    settings.K2_EVENTS_WEBHOOK_ALLOWLIST = ["127.0.0.1"]
    alerts.forget_rules()
    ingest.forget_links()
    yield
    alerts.forget_rules()
    ingest.forget_links()


@pytest.fixture
def sim(k2sim_clusters):
    return sim_for(k2sim_clusters, ["events"])


@pytest.fixture
def core(sim):
    return k8s.CoreV1Api(sim["events"].api_client())


@pytest.fixture
def cluster(sim, db):
    from apps.clusters import gateway

    gateway.reset()
    return register(sim["events"], ready=True)


@pytest.fixture
def space(cluster, core, alice):
    slug = f"ev-{next(_names)}-{uuid.uuid4().hex[:6]}"
    space = Space.objects.create(
        slug=slug, environment="test", primary_cluster=cluster, owner=alice, quota_cpu="8",
        quota_memory="16Gi", quota_pods=50, quota_storage="10Gi", default_cpu_limit="500m",
        default_memory_limit="512Mi", state=SpaceState.ACTIVE,
    )  # fmt: skip
    Membership.objects.create(space=space, user=alice, role=SpaceRole.OWNER)
    grant_role(space, alice, SpaceRole.OWNER)
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=slug)))
    yield space
    for pod in core.list_namespaced_pod(slug).items:
        core.delete_namespaced_pod(pod.metadata.name, slug, grace_period_seconds=0)


@pytest.fixture
def app(space, cluster):
    app = App.objects.create(space=space, name="shop", kind="service")
    AppCluster.objects.create(app=app, cluster=cluster, weight=1, status="applied")
    return app


def make_pod(core, namespace: str, name: str, *, oom_after: float | None = None,
             labels: dict | None = None, memory: str = "256Mi") -> str:  # fmt: skip
    annotations = {"k2sim.io/oom-after-seconds": str(oom_after)} if oom_after else None
    core.create_namespaced_pod(namespace, k8s.V1Pod(
        metadata=k8s.V1ObjectMeta(name=name, labels=labels or {}, annotations=annotations),
        spec=k8s.V1PodSpec(containers=[k8s.V1Container(
            name="main", image="harbor.k2.test/shop/web:1.0",
            resources=k8s.V1ResourceRequirements(limits={"memory": memory}))]),
    ))  # fmt: skip
    wait_for(
        lambda: core.read_namespaced_pod(name, namespace).status.phase == "Running", timeout=20
    )
    return name


def delete_pod(core, namespace: str, name: str) -> None:
    core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    wait_for(lambda: name not in {p.metadata.name for p in core.list_namespaced_pod(namespace).items},
             timeout=20)  # fmt: skip


class Sink(http.server.ThreadingHTTPServer):
    """A real webhook receiver on loopback: fails the first `fail` requests with 500."""

    daemon_threads = True

    def __init__(self):
        self.received: list[dict] = []
        self.headers_seen: list[dict] = []
        self.fail = 0
        self.attempts = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.attempts += 1
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                outer.received.append(json.loads(body))
                outer.headers_seen.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"

    def of(self, status: str) -> list[dict]:
        return [r for r in self.received if r.get("status") == status]


@pytest.fixture
def webhook():
    server = Sink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def notify_worker(monkeypatch):
    """Deliveries run in a thread as soon as they are queued (a notify worker's part)."""
    from apps.core import tasks
    from apps.events.delivery import deliver

    threads: list[threading.Thread] = []
    original = tasks.send

    def send(name, args, kwargs, options):
        if name == "workers.events.deliver":
            thread = threading.Thread(target=_deliver, args=(deliver, *args), daemon=True)
            thread.start()
            threads.append(thread)
            return
        original(name, args, kwargs, options)

    monkeypatch.setattr(tasks, "send", send)
    yield threads
    for thread in threads:
        thread.join(timeout=10)


def _deliver(fn, delivery_id):
    from django.db import connection

    try:
        fn(delivery_id)
    finally:
        connection.close()


@pytest.fixture
def start_watcher(cluster):
    started: list[EventWatcher] = []

    def start() -> EventWatcher:
        watcher = EventWatcher([cluster], timeout=30).start()
        assert watcher.wait_ready(20)
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()
