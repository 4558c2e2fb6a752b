"""Reading an app's logs from its clusters: which pods and containers (all the app's pods
by default, or one pod and container), one `pods/{name}/log` stream each through
apps/clusters/streams.py, every line into the reader's bounded LineQueue, and an end in
words: the log ended, the pod was deleted, the cluster is unreachable.

While following all pods, the app's pods are listed again every
K2_LOGS_DISCOVER_SECONDS, so new pods (a rollout, a scale-up, a restarted container)
join the stream and gone ones leave it with a notice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from apps.clusters import gateway
from apps.clusters.gateway import GatewayError
from apps.clusters.streams import open_log
from apps.podlogs.buffer import END, NOTICE, SOURCE, LineQueue
from apps.podlogs.options import LogOptions
from apps.workloads.rendering.common import APP_LABEL

DONE, POD_GONE, UNREACHABLE, REVOKED = "done", "pod_gone", "unreachable", "revoked"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One container's log: what the reader shows as the line's prefix."""

    id: int
    cluster: str
    pod: str
    container: str

    @property
    def label(self) -> str:
        return f"{self.pod}/{self.container}"


@dataclass(frozen=True)
class PodInfo:
    name: str
    containers: tuple[str, ...]
    restarts: int
    running: bool
    terminating: bool


def _pods(cluster, namespace: str, app: str) -> list[PodInfo]:
    result = gateway.call(
        cluster, "podlogs.list_pods",
        lambda c: c.core.list_namespaced_pod(namespace, label_selector=f"{APP_LABEL}={app}"),
    )  # fmt: skip
    pods = []
    for pod in result.items:
        statuses = (pod.status.container_statuses or []) if pod.status else []
        pods.append(PodInfo(
            name=pod.metadata.name,
            containers=tuple(c.name for c in pod.spec.containers or []),
            restarts=sum(c.restart_count or 0 for c in statuses),
            running=bool(pod.status and pod.status.phase == "Running"),
            terminating=pod.metadata.deletion_timestamp is not None,
        ))  # fmt: skip
    return sorted(pods, key=lambda p: p.name)


class Tail:
    """The reading of one app's logs into `queue`; `run()` returns after queuing END."""

    def __init__(self, clusters: list, namespace: str, app_name: str, options: LogOptions,
                 queue: LineQueue):  # fmt: skip
        self.clusters, self.namespace, self.app_name = clusters, namespace, app_name
        self.options, self.queue = options, queue
        self.sources: list[Source] = []
        self._readers: dict[tuple, asyncio.Task] = {}
        self._started: set[tuple] = set()  # (cluster, pod, container, restarts)
        self._changed = asyncio.Event()
        self._notices: set[str] = set()

    async def run(self) -> None:
        try:
            reason, message = await self._run()
        except GatewayError as exc:
            reason, message = UNREACHABLE, exc.message
        except Exception as exc:  # noqa: BLE001 - the reader is told instead of left waiting
            log.exception("podlogs: reading the logs of %s failed", self.app_name)
            reason, message = UNREACHABLE, _("Reading the logs failed (%(error)s).") % {
                "error": type(exc).__name__}  # fmt: skip
        finally:
            for task in self._readers.values():
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*self._readers.values(), return_exceptions=True)
        self.queue.put(END, reason, message)

    def _notice(self, text: str, *, once: bool = False) -> None:
        if once and text in self._notices:
            return
        self._notices.add(text)
        self.queue.put(NOTICE, text)

    async def _list(self) -> tuple[dict[tuple[str, str], tuple], list[str]]:
        """The app's pods by (cluster, pod) with their cluster, and the unreachable
        clusters' errors in words."""
        found, errors = {}, []
        for cluster in self.clusters:
            try:
                pods = await asyncio.to_thread(_pods, cluster, self.namespace, self.app_name)
            except GatewayError as exc:
                errors.append(_("Cluster %(cluster)s: %(message)s")
                              % {"cluster": cluster.name, "message": exc.message})  # fmt: skip
                continue
            for pod in pods:
                if not self.options.pod or pod.name == self.options.pod:
                    found[(cluster.name, pod.name)] = (cluster, pod)
        return found, errors

    def _start(self, cluster, pod: PodInfo) -> None:
        containers = [c for c in pod.containers
                      if not self.options.container or c == self.options.container]  # fmt: skip
        if self.options.container and not containers:
            self._notice(_("Pod %(pod)s has no container %(container)s.")
                         % {"pod": pod.name, "container": self.options.container}, once=True)  # fmt: skip
        for container in containers:
            key = (cluster.name, pod.name, container)
            if key in self._readers and not self._readers[key].done():
                continue
            if (*key, pod.restarts) in self._started:
                continue
            if not pod.running and not self.options.previous and not pod.terminating:
                continue  # not started yet: the next listing picks it up
            self._started.add((*key, pod.restarts))
            source = Source(len(self.sources), cluster.name, pod.name, container)
            self.sources.append(source)
            self.queue.put(SOURCE, source)
            self._readers[key] = asyncio.ensure_future(self._read(cluster, source))

    async def _read(self, cluster, source: Source) -> None:
        stream = None
        try:
            stream = await open_log(cluster, self.namespace, source.pod,
                                    self.options.query(source.container),
                                    max_line=settings.K2_LOGS_MAX_LINE_BYTES)  # fmt: skip
            while (text := await stream.line()) is not None:
                self.queue.put_line(source.id, text)
            if self.options.follow:
                self._notice(_("%(source)s: the log ended (the container stopped or the pod "
                               "is being deleted).") % {"source": source.label})  # fmt: skip
        except GatewayError as exc:
            self._notice(_("%(source)s: %(message)s") % {"source": source.label,
                                                          "message": exc.message})  # fmt: skip
        except (OSError, TimeoutError) as exc:  # aiohttp's errors are OSErrors
            self._notice(_("%(source)s: the log stream broke (%(error)s).")
                         % {"source": source.label, "error": type(exc).__name__})  # fmt: skip
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):
                    await stream.close()
            self._changed.set()

    def _running(self) -> list[asyncio.Task]:
        return [t for t in self._readers.values() if not t.done()]

    async def _run(self) -> tuple[str, str]:
        options, first = self.options, True
        while True:
            found, errors = await self._list()
            if errors and not found and not self._running() and (first or not options.follow):
                return UNREACHABLE, " ".join(errors)
            for error in errors:
                self._notice(error, once=True)
            if options.pod:
                pod = found.get((self._pod_cluster(found), options.pod))
                if pod is None and not errors:
                    if first:
                        return POD_GONE, _("Pod %(pod)s is not a pod of app %(app)s (was it "
                                           "deleted?).") % {"pod": options.pod,
                                                            "app": self.app_name}  # fmt: skip
                    return POD_GONE, _("Pod %(pod)s was deleted: its log ended.") % {
                        "pod": options.pod}  # fmt: skip
                if pod is not None and pod[1].terminating and not first and not self._running():
                    return POD_GONE, _("Pod %(pod)s is being deleted: its log ended.") % {
                        "pod": options.pod}  # fmt: skip
            for cluster, info in found.values():
                self._start(cluster, info)
            if first and not self._readers:
                if not options.follow:
                    return DONE, _("No pod of app %(app)s has a log to show.") % {
                        "app": self.app_name}  # fmt: skip
                self._notice(_("No running pod yet: waiting for one."))
            first = False
            if not options.follow:
                await asyncio.gather(*self._readers.values(), return_exceptions=True)
                return DONE, _("End of the log.")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), settings.K2_LOGS_DISCOVER_SECONDS)

    def _pod_cluster(self, found: dict) -> str:
        return next((c for c, p in found if p == self.options.pod), "")
