"""Jobs run pods to completion (parallelism, completions, backoffLimit); CronJobs create
Jobs on their schedule (standard 5-field cron, @hourly-style macros and ``@every <dur>``)."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ..apply import now_iso
from ..errors import ApiError
from ..resources import Resource
from ..storage import Obj
from .base import Controller, controller_uid, owner_ref, pod_active
from .replicaset import pod_from_template


class JobController(Controller):
    keys = ("batch/jobs", "/pods")

    def admit_job(self, op: str, res: Resource, obj: Obj, old: Obj | None) -> None:
        """Like the apiserver's job strategy: a generated selector on controller-uid."""
        if res.kind != "Job" or op != "create":
            return
        spec = obj["spec"]
        if spec.get("manualSelector"):
            return
        uid = obj["metadata"]["uid"]
        labels = {
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": obj["metadata"]["name"],
            "controller-uid": uid,
            "job-name": obj["metadata"]["name"],
        }
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        tmd = spec["template"].setdefault("metadata", {})
        tmd.setdefault("labels", {}).update(labels)

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "/pods":
            self.enqueue_controller_of(obj, "Job")
            return
        if type_ != "DELETED":
            self.enqueue((md.get("namespace", ""), md["name"]))

    def reconcile(self, item: Any) -> None:
        ns, name = item
        job = self.live("batch", "jobs", ns, name)
        if job is None:
            return
        spec = job["spec"]
        st = job.get("status") or {}
        if any(
            c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
            for c in st.get("conditions") or []
        ):
            return
        pods = [
            p for p in self.cp.owned(job, "/pods") if controller_uid(p) == job["metadata"]["uid"]
        ]
        succeeded = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        active = [p for p in pods if pod_active(p)]
        completions = spec.get("completions", 1)
        parallelism = spec.get("parallelism", 1)
        now = now_iso()
        cond: list[dict[str, Any]] = []
        if failed > spec.get("backoffLimit", 6):
            cond = [
                {
                    "type": "FailureTarget",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
            ]
            for p in active:
                self.api.delete(self.R("", "pods"), ns, p["metadata"]["name"])
            self.cp.events.record(
                job,
                "Warning",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "job-controller",
            )
        elif succeeded >= completions:
            cond = [
                {
                    "type": "SuccessCriteriaMet",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Complete",
                    "status": "True",
                    "reason": "CompletionsReached",
                    "message": "Reached expected number of succeeded pods",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                },
            ]
            self.cp.events.record(job, "Normal", "Completed", "Job completed", "job-controller")
        elif not spec.get("suspend"):
            need = min(parallelism, completions - succeeded) - len(active)
            for _ in range(max(0, need)):
                try:
                    p = self.api.create(
                        self.R("", "pods"), ns, pod_from_template(job, spec["template"])
                    )
                except ApiError as e:
                    self.cp.events.record(
                        job,
                        "Warning",
                        "FailedCreate",
                        f"Error creating: {e.message}",
                        "job-controller",
                    )
                    self.enqueue_later(1.0, item)
                    break
                active.append(p)
                self.cp.events.record(
                    job,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {p['metadata']['name']}",
                    "job-controller",
                )
        n_active = 0 if cond else len([p for p in active if pod_active(p)])
        ready = sum(
            1
            for p in active
            if any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (p.get("status") or {}).get("conditions") or []
            )
        )

        def set_status(o: Obj) -> None:
            s = o.setdefault("status", {})
            s.setdefault("startTime", now)
            s["active"] = n_active
            s["succeeded"] = succeeded
            s["failed"] = failed
            s["ready"] = 0 if cond else ready
            s["terminating"] = 0
            s["uncountedTerminatedPods"] = {}
            for k in ("active", "succeeded", "failed"):
                if not s[k]:
                    s.pop(k)
            if cond:
                s["conditions"] = cond
                if cond[-1]["type"] == "Complete":
                    s["completionTime"] = now

        self.api.mutate(self.R("batch", "jobs"), ns, name, set_status)


# -- cron ------------------------------------------------------------------------------
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_DUR = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)")


def parse_every(expr: str) -> float | None:
    if not expr.startswith("@every "):
        return None
    total = 0.0
    for num, unit in _DUR.findall(expr[7:]):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total or None


def _field(spec: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            step = int(s)
        if part in ("*", "?"):
            a, b = lo, hi
        elif "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
        else:
            a = int(part)
            b = hi if step > 1 else a
        out.update(range(a, b + 1, step))
    return out


def next_fire(schedule: str, after: datetime) -> datetime:
    """Next minute after ``after`` matching a 5-field cron expression."""
    schedule = MACROS.get(schedule.strip(), schedule.strip())
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"invalid schedule {schedule!r}")
    mins, hours, dom, mon, dow = (
        _field(fields[0], 0, 59),
        _field(fields[1], 0, 23),
        _field(fields[2], 1, 31),
        _field(fields[3], 1, 12),
        {d % 7 for d in _field(fields[4], 0, 7)},
    )
    t = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(366 * 24 * 60):
        if (
            t.minute in mins
            and t.hour in hours
            and t.month in mon
            and t.day in dom
            and (t.weekday() + 1) % 7 in dow
        ):
            return t
        t += timedelta(minutes=1)
    raise ValueError(f"schedule {schedule!r} never fires")


class CronJobController(Controller):
    keys = ("batch/cronjobs", "batch/jobs")

    def __init__(self, cp: Any):
        super().__init__(cp)
        self.armed: dict[tuple[str, str], str] = {}

    def on_event(self, key: str, type_: str, obj: Obj, old: Obj | None) -> None:
        md = obj["metadata"]
        if key == "batch/jobs":
            for ref in md.get("ownerReferences") or []:
                if ref.get("kind") == "CronJob":
                    self.enqueue(("status", md.get("namespace", ""), ref["name"]))
            return
        ident = (md.get("namespace", ""), md["name"])
        if type_ == "DELETED":
            self.armed.pop(ident, None)
            return
        if old is None or (old.get("spec") or {}).get("schedule") != obj["spec"].get("schedule"):
            self.arm(obj)

    def arm_all(self) -> None:
        for cj in self.store.objects("batch/cronjobs"):
            self.arm(cj)

    def arm(self, cj: Obj) -> None:
        md = cj["metadata"]
        ident = (md.get("namespace", ""), md["name"])
        token = uuid.uuid4().hex
        self.armed[ident] = token
        sched = cj["spec"].get("schedule", "")
        every = parse_every(sched)
        if every is not None:
            delay = every
        else:
            try:
                nxt = next_fire(sched, datetime.now(UTC))
            except ValueError:
                return
            delay = max(0.0, (nxt - datetime.now(UTC)).total_seconds())
        self.cp.later(delay, self._fire, ident, token)

    def _fire(self, ident: tuple[str, str], token: str) -> None:
        if self.armed.get(ident) != token:
            return
        res = self.R("batch", "cronjobs")
        cj = self.api.find(res, *ident)
        if cj is None:
            return
        self.arm(cj)
        if cj["spec"].get("suspend"):
            return
        jobs = self.cp.owned(cj, "batch/jobs")
        running = [
            j
            for j in jobs
            if not (j.get("status") or {}).get("completionTime")
            and not any(
                c.get("type") == "Failed" for c in (j.get("status") or {}).get("conditions") or []
            )
        ]
        policy = cj["spec"].get("concurrencyPolicy", "Allow")
        if running and policy == "Forbid":
            return
        jres = self.R("batch", "jobs")
        if running and policy == "Replace":
            for j in running:
                self.api.delete(jres, ident[0], j["metadata"]["name"], propagation="Background")
        tpl = cj["spec"].get("jobTemplate") or {}
        stamp = int(time.time() // 60)
        name = f"{ident[1]}-{stamp}"
        if self.api.find(jres, ident[0], name) is not None:
            name = f"{ident[1]}-{int(time.time())}"
        job = {
            "metadata": {
                "name": name,
                "labels": dict((tpl.get("metadata") or {}).get("labels") or {}),
                "annotations": {"batch.kubernetes.io/cronjob-scheduled-timestamp": now_iso()},
                "ownerReferences": [owner_ref(cj)],
            },
            "spec": tpl.get("spec") or {},
        }
        try:
            self.api.create(jres, ident[0], job)
        except ApiError as e:
            self.cp.events.record(
                cj,
                "Warning",
                "FailedCreate",
                f"Error creating job: {e.message}",
                "cronjob-controller",
            )
            return
        self.cp.events.record(
            cj, "Normal", "SuccessfulCreate", f"Created job {name}", "cronjob-controller"
        )
        self.api.mutate(
            res,
            ident[0],
            ident[1],
            lambda o: o.setdefault("status", {}).__setitem__("lastScheduleTime", now_iso()),
        )
        self.enqueue(("status", *ident))

    def reconcile(self, item: Any) -> None:
        _, ns, name = item
        res = self.R("batch", "cronjobs")
        cj = self.api.find(res, ns, name)
        if cj is None:
            return
        jobs = sorted(
            self.cp.owned(cj, "batch/jobs"), key=lambda j: j["metadata"]["creationTimestamp"]
        )
        done = [j for j in jobs if (j.get("status") or {}).get("completionTime")]
        failed = [
            j
            for j in jobs
            if any(
                c.get("type") == "Failed" and c.get("status") == "True"
                for c in (j.get("status") or {}).get("conditions") or []
            )
        ]
        jres = self.R("batch", "jobs")
        for group, limit in (
            (done, cj["spec"].get("successfulJobsHistoryLimit", 3)),
            (failed, cj["spec"].get("failedJobsHistoryLimit", 1)),
        ):
            for j in group[: max(0, len(group) - limit)]:
                self.api.delete(jres, ns, j["metadata"]["name"], propagation="Background")
        active = [
            {
                "kind": "Job",
                "namespace": ns,
                "name": j["metadata"]["name"],
                "uid": j["metadata"]["uid"],
                "apiVersion": "batch/v1",
            }
            for j in jobs
            if j not in done and j not in failed
        ]

        def st(o: Obj) -> None:
            s = o.setdefault("status", {})
            if active:
                s["active"] = active
            else:
                s.pop("active", None)
            if done:
                s["lastSuccessfulTime"] = done[-1]["status"]["completionTime"]

        self.api.mutate(res, ns, name, st)

    def resync(self) -> None:
        return
