"""The simulated control plane (controller-manager, scheduler, kubelets), event-driven on the
cluster's asyncio loop so tests see reactions within milliseconds, not polling periods."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..storage import Obj
from .base import Controller

if TYPE_CHECKING:
    from ..cluster import Cluster


class ControlPlane:
    def __init__(self, cluster: Cluster):
        from .crd import CRDController
        from .daemonset import DaemonSetController
        from .deployment import DeploymentController
        from .disruption import DisruptionController
        from .endpoints import EndpointsController
        from .events import EventRecorder
        from .gc import GarbageCollector
        from .ipam import IPAM
        from .job import CronJobController, JobController
        from .kubelet import Kubelet
        from .namespace import NamespaceController
        from .quota import QuotaController
        from .replicaset import ReplicaSetController
        from .scheduler import Scheduler
        from .statefulset import StatefulSetController
        from .volumes import VolumeController

        self.cluster = cluster
        self.loop: asyncio.AbstractEventLoop | None = None
        self.owners: dict[str, set[tuple[str, str, str]]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self.events = EventRecorder(self)
        self.ipam = IPAM(self)
        self.crd = CRDController(self)
        self.gc = GarbageCollector(self)
        self.namespaces = NamespaceController(self)
        self.deployments = DeploymentController(self)
        self.replicasets = ReplicaSetController(self)
        self.statefulsets = StatefulSetController(self)
        self.daemonsets = DaemonSetController(self)
        self.jobs = JobController(self)
        self.cronjobs = CronJobController(self)
        self.scheduler = Scheduler(self)
        self.kubelet = Kubelet(self)
        self.endpoints = EndpointsController(self)
        self.quota = QuotaController(self)
        self.volumes = VolumeController(self)
        self.disruption = DisruptionController(self)
        self.controllers: list[Controller] = [
            self.crd,
            self.gc,
            self.namespaces,
            self.deployments,
            self.replicasets,
            self.statefulsets,
            self.daemonsets,
            self.jobs,
            self.cronjobs,
            self.scheduler,
            self.kubelet,
            self.endpoints,
            self.quota,
            self.volumes,
            self.disruption,
        ]
        self.by_key: dict[str, list[Controller]] = {}
        for c in self.controllers:
            for k in c.keys:
                self.by_key.setdefault(k, []).append(c)
        cluster.store.listeners.append(self._on_event)
        cluster.api.admission.extend(self.quota.admission_hooks())
        cluster.api.admission.append(self.endpoints.admit_service)
        cluster.api.admission.append(self.jobs.admit_job)

    def _on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        self._index_owners(key, type_, obj, old)
        md = obj["metadata"]
        if md.get("deletionTimestamp") and type_ != "DELETED":
            self.gc.watch_finalizers(key, obj)
        if self.gc.waiting and md.get("ownerReferences"):
            self.gc.dependent_changed(obj)
        if type_ == "DELETED":
            self.gc.waiting.pop(md.get("uid"), None)
            ns = md.get("namespace")
            if ns and ns in self.namespaces.terminating:
                self.namespaces.enqueue(("", ns))
        for c in self.by_key.get(key, ()):
            c.on_event(key, type_, obj, old)

    def _index_owners(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        ident = (key, md.get("namespace", ""), md["name"])
        new_refs = {r.get("uid") for r in md.get("ownerReferences") or ()}
        old_refs = {
            r.get("uid") for r in (old or {}).get("metadata", {}).get("ownerReferences") or ()
        }
        if type_ == "DELETED":
            new_refs = set()
            self.gc.owner_gone(md.get("uid"), obj)
        for uid in old_refs - new_refs:
            s = self.owners.get(uid)
            if s is not None:
                s.discard(ident)
                if not s:
                    del self.owners[uid]
        for uid in new_refs:
            self.owners.setdefault(uid, set()).add(ident)

    def dependents(self, uid: str) -> list[tuple[str, str, str]]:
        return sorted(self.owners.get(uid, ()))

    def owned(self, owner: Obj, key: str) -> list[Obj]:
        out = []
        for k, ns, name in self.dependents(owner["metadata"]["uid"]):
            if k == key:
                o = self.cluster.store.get(k, ns, name)
                if o is not None:
                    out.append(o)
        return out

    def later(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        if self.loop is None:
            return
        if delay <= 0:
            self.loop.call_soon(fn, *args)
            return
        h: asyncio.TimerHandle

        def run() -> None:
            self._timers.discard(h)
            fn(*args)

        h = self.loop.call_later(delay, run)
        self._timers.add(h)

    def bootstrap(self) -> None:
        from .bootstrap import bootstrap

        bootstrap(self)

    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        for c in self.controllers:
            c.start()
        self.cronjobs.arm_all()
        self.events.start()

    def stop(self) -> None:
        for h in list(self._timers):
            h.cancel()
        self._timers.clear()
        self.loop = None
