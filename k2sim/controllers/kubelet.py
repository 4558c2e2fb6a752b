"""Simulated kubelets: start bound pods (Pulled/Created/Started, Running, Ready after a
configurable delay), run job pods to completion, stop pods being deleted (Killing) and play
the opt-in OOM scenario (annotation ``k2sim.io/oom-after-seconds``)."""

from __future__ import annotations

import hashlib
from typing import Any

from ..apply import now_iso
from ..errors import ApiError
from ..storage import Obj
from .base import Controller

OOM_ANNOTATION = "k2sim.io/oom-after-seconds"
RUN_SECONDS = "k2sim.io/run-seconds"
EXIT_CODE = "k2sim.io/exit-code"
TERMINATION_DELAY = 0.05


def _cid(pod: Obj, cname: str, restarts: int) -> str:
    raw = f"{pod['metadata'].get('uid')}/{cname}/{restarts}".encode()
    return "containerd://" + hashlib.sha256(raw).hexdigest()


def _image_id(image: str) -> str:
    base = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
    if "/" not in base:
        base = f"docker.io/library/{base}"
    return f"{base}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _cond(type_: str, status: bool, ts: str) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if status else "False",
        "lastProbeTime": None,
        "lastTransitionTime": ts,
    }


def _set_conds(st: dict[str, Any], ready: bool, ts: str) -> None:
    old = {c["type"]: c for c in st.get("conditions") or []}

    def keep(type_: str, status: bool) -> dict[str, Any]:
        c = old.get(type_)
        if c is not None and c.get("status") == ("True" if status else "False"):
            return c
        return _cond(type_, status, ts)

    st["conditions"] = [
        keep("PodReadyToStartContainers", True),
        keep("Initialized", True),
        keep("Ready", ready),
        keep("ContainersReady", ready),
        keep("PodScheduled", True),
    ]


class Kubelet(Controller):
    keys = ("/pods",)

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.killing: set[tuple[str, str, str]] = set()

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        ns, name, uid = md.get("namespace", ""), md["name"], md.get("uid")
        if type_ == "DELETED":
            self.cp.ipam.release(obj)
            return
        node = (obj.get("spec") or {}).get("nodeName")
        if not node:
            return
        if md.get("deletionTimestamp"):
            self.enqueue(("kill", ns, name, uid))
            return
        st = obj.get("status") or {}
        if st.get("phase", "Pending") == "Pending" and not st.get("containerStatuses"):
            self.enqueue(("start", ns, name, uid))

    def resync(self) -> None:
        for pod in self.store.objects("/pods"):
            md = pod["metadata"]
            item = (md.get("namespace", ""), md["name"], md.get("uid"))
            st = pod.get("status") or {}
            if not (pod.get("spec") or {}).get("nodeName"):
                continue
            if md.get("deletionTimestamp"):
                self.enqueue(("kill", *item))
            elif st.get("phase") == "Running":
                self.enqueue(("ready", *item))
                self._arm(pod, item)
            elif st.get("phase", "Pending") == "Pending":
                self.enqueue(("start", *item))

    def _pod(self, ns: str, name: str, uid: str) -> Obj | None:
        pod = self.store.get("/pods", ns, name)
        if pod is None or pod["metadata"].get("uid") != uid:
            return None
        return pod

    def reconcile(self, item: Any) -> None:
        action, ns, name, uid = item
        pod = self._pod(ns, name, uid)
        if pod is None:
            return
        getattr(self, "_" + action)(pod, (ns, name, uid))

    def _arm(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        ann = pod["metadata"].get("annotations") or {}
        restart = (pod.get("spec") or {}).get("restartPolicy", "Always")
        if restart != "Always":
            secs = float(ann.get(RUN_SECONDS, max(self.cluster.cfg.pod_ready_delay, 0.05) * 2))
            self.enqueue_later(secs, ("complete", *ident))
        if OOM_ANNOTATION in ann:
            try:
                secs = float(ann[OOM_ANNOTATION])
            except ValueError:
                return
            self.enqueue_later(secs, ("oom", *ident))

    def _start(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        st = pod.get("status") or {}
        if st.get("containerStatuses") or st.get("phase", "Pending") != "Pending":
            return
        ns, name, _ = ident
        node = pod["spec"]["nodeName"]
        try:
            ip = self.cp.ipam.assign(pod)
        except ApiError as e:
            self.cp.events.record(
                pod,
                "Warning",
                "FailedCreatePodSandBox",
                f"Failed to create pod sandbox: {e.message}",
                "kubelet",
                node,
            )
            return
        delay = self.cluster.cfg.pod_ready_delay
        ready_now = delay <= 0
        for c in pod["spec"].get("containers") or []:
            image = c.get("image", "")
            self.cp.events.record(
                pod,
                "Normal",
                "Pulled",
                f'Container image "{image}" already present on machine',
                "kubelet",
                node,
            )
            self.cp.events.record(
                pod, "Normal", "Created", f"Created container: {c['name']}", "kubelet", node
            )
            self.cp.events.record(
                pod, "Normal", "Started", f"Started container {c['name']}", "kubelet", node
            )
        nodeobj = self.store.get("/nodes", "", node) or {}
        host_ip = next(
            (
                a["address"]
                for a in (nodeobj.get("status") or {}).get("addresses") or []
                if a["type"] == "InternalIP"
            ),
            "172.18.0.2",
        )
        ts = now_iso()

        def run(o: Obj) -> None:
            stt = o.setdefault("status", {})
            stt["phase"] = "Running"
            stt["hostIP"] = host_ip
            stt["hostIPs"] = [{"ip": host_ip}]
            stt["podIP"] = ip
            stt["podIPs"] = [{"ip": ip}]
            stt["startTime"] = ts
            _set_conds(stt, ready_now, ts)
            stt["containerStatuses"] = [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": _image_id(c.get("image", "")),
                    "containerID": _cid(o, c["name"], 0),
                    "ready": ready_now,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": ts}},
                    "lastState": {},
                }
                for c in o["spec"].get("containers") or []
            ]

        started = self.api.mutate(self.R("", "pods"), ns, name, run)
        if started is None:
            return
        if not ready_now:
            self.enqueue_later(delay, ("ready", *ident))
        self._arm(started, ident)

    def _ready(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        st = pod.get("status") or {}
        if st.get("phase") != "Running":
            return
        ts = now_iso()

        def ready(o: Obj) -> None:
            stt = o["status"]
            for cs in stt.get("containerStatuses") or []:
                if "running" in (cs.get("state") or {}):
                    cs["ready"] = True
            all_ready = all(cs.get("ready") for cs in stt.get("containerStatuses") or [])
            _set_conds(stt, all_ready, ts)

        self.api.mutate(self.R("", "pods"), ident[0], ident[1], ready)

    def _complete(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        if (pod.get("status") or {}).get("phase") != "Running":
            return
        code = int((pod["metadata"].get("annotations") or {}).get(EXIT_CODE, "0"))
        ts = now_iso()

        def done(o: Obj) -> None:
            stt = o["status"]
            stt["phase"] = "Succeeded" if code == 0 else "Failed"
            for cs in stt.get("containerStatuses") or []:
                started = (cs.get("state") or {}).get("running", {}).get("startedAt", ts)
                cs["state"] = {
                    "terminated": {
                        "exitCode": code,
                        "reason": "Completed" if code == 0 else "Error",
                        "startedAt": started,
                        "finishedAt": ts,
                        "containerID": cs.get("containerID"),
                    }
                }
                cs["ready"] = False
                cs["started"] = False
            _set_conds(stt, False, ts)

        done_pod = self.api.mutate(self.R("", "pods"), ident[0], ident[1], done)
        if done_pod is not None:
            self.cp.ipam.release(done_pod)

    def _oom(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        if (pod.get("status") or {}).get("phase") != "Running":
            return
        node = pod["spec"]["nodeName"]
        c0 = (pod["spec"].get("containers") or [{}])[0]
        cname = c0.get("name", "")
        ts = now_iso()

        def kill(o: Obj) -> None:
            stt = o["status"]
            for cs in stt.get("containerStatuses") or []:
                if cs["name"] != cname:
                    continue
                started = (cs.get("state") or {}).get("running", {}).get("startedAt", ts)
                cs["lastState"] = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "OOMKilled",
                        "startedAt": started,
                        "finishedAt": ts,
                        "containerID": cs.get("containerID"),
                    }
                }
                cs["restartCount"] = cs.get("restartCount", 0) + 1
                cs["state"] = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off 10s restarting failed container={cname} pod={o['metadata']['name']}_{o['metadata']['namespace']}({o['metadata']['uid']})",
                    }
                }
                cs["ready"] = False
                cs["started"] = False
                cs["containerID"] = _cid(o, cname, cs["restartCount"])
            _set_conds(stt, False, ts)

        killed = self.api.mutate(self.R("", "pods"), ident[0], ident[1], kill)
        if killed is None:
            return
        limit = ((c0.get("resources") or {}).get("limits") or {}).get("memory", "")
        self.cp.events.record(
            killed,
            "Warning",
            "OOMKilling",
            f"Memory cgroup out of memory: Killed process {abs(hash(ident)) % 30000 + 1000} ({cname}) "
            f"total-vm:0kB, anon-rss:0kB, file-rss:0kB, shmem-rss:0kB (limit {limit or 'unset'})",
            "kernel-monitor",
            node,
        )
        self.cp.events.record(
            killed,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {cname} in pod "
            f"{ident[1]}_{ident[0]}({ident[2]})",
            "kubelet",
            node,
        )
        self.enqueue_later(max(self.cluster.cfg.pod_ready_delay, 0.05), ("restart", *ident))

    def _restart(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        node = pod["spec"]["nodeName"]
        ts = now_iso()
        delay = self.cluster.cfg.pod_ready_delay

        def up(o: Obj) -> None:
            for cs in o["status"].get("containerStatuses") or []:
                if "waiting" in (cs.get("state") or {}):
                    cs["state"] = {"running": {"startedAt": ts}}
                    cs["started"] = True
                    cs["ready"] = delay <= 0

        restarted = self.api.mutate(self.R("", "pods"), ident[0], ident[1], up)
        if restarted is None:
            return
        c0 = (pod["spec"].get("containers") or [{}])[0]
        self.cp.events.record(
            restarted,
            "Normal",
            "Pulled",
            f'Container image "{c0.get("image", "")}" already present on machine',
            "kubelet",
            node,
        )
        self.cp.events.record(
            restarted, "Normal", "Created", f"Created container: {c0.get('name')}", "kubelet", node
        )
        self.cp.events.record(
            restarted, "Normal", "Started", f"Started container {c0.get('name')}", "kubelet", node
        )
        self.enqueue_later(max(delay, 0), ("ready", *ident))
        ann = pod["metadata"].get("annotations") or {}
        if OOM_ANNOTATION in ann:
            self.enqueue_later(float(ann[OOM_ANNOTATION]), ("oom", *ident))

    def _kill(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        if ident in self.killing:
            return
        self.killing.add(ident)
        node = pod["spec"].get("nodeName", "")
        if (pod.get("status") or {}).get("phase") == "Running":
            for c in pod["spec"].get("containers") or []:
                self.cp.events.record(
                    pod, "Normal", "Killing", f"Stopping container {c['name']}", "kubelet", node
                )
        grace = pod["metadata"].get("deletionGracePeriodSeconds", 30) or 0
        self.enqueue_later(min(TERMINATION_DELAY, grace), ("finish", *ident))

    def _finish(self, pod: Obj, ident: tuple[str, str, str]) -> None:
        self.killing.discard(ident)
        self.cluster.execs.kill_pod(ident[0], ident[1])
        self.api.finish_delete(self.R("", "pods"), ident[0], ident[1])
