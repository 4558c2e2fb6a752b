"""Server-side printing (meta.k8s.io/v1 Table), which kubectl asks for on ``get``; without it
kubectl would only show names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .storage import Obj

Col = tuple[str, str, Callable[[Obj], Any], int]  # name, type, getter, priority


def age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    try:
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    s = int((datetime.now(UTC) - t).total_seconds())
    s = max(s, 0)
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _md(o: Obj, k: str) -> Any:
    return o["metadata"].get(k)


def _pod_ready(o: Obj) -> str:
    cs = (o.get("status") or {}).get("containerStatuses") or []
    total = len((o.get("spec") or {}).get("containers") or [])
    return f"{sum(1 for c in cs if c.get('ready'))}/{total}"


def _pod_status(o: Obj) -> str:
    if o["metadata"].get("deletionTimestamp"):
        return "Terminating"
    st = o.get("status") or {}
    for c in st.get("containerStatuses") or []:
        state = c.get("state") or {}
        if "waiting" in state and state["waiting"].get("reason"):
            return state["waiting"]["reason"]
        if "terminated" in state and state["terminated"].get("reason"):
            return state["terminated"]["reason"]
    return st.get("reason") or st.get("phase") or "Pending"


def _restarts(o: Obj) -> int:
    return sum(
        c.get("restartCount", 0) for c in (o.get("status") or {}).get("containerStatuses") or []
    )


def _ports(o: Obj) -> str:
    ps = (o.get("spec") or {}).get("ports") or []
    return (
        ",".join(
            f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
            for p in ps
        )
        or "<none>"
    )


def _images(o: Obj) -> str:
    tpl = ((o.get("spec") or {}).get("template") or {}).get("spec") or {}
    return ",".join(c.get("image", "") for c in tpl.get("containers") or [])


def _st(o: Obj, k: str, d: Any = 0) -> Any:
    return (o.get("status") or {}).get(k, d)


def _sp(o: Obj, k: str, d: Any = 0) -> Any:
    return (o.get("spec") or {}).get(k, d)


NAME: Col = ("Name", "string", lambda o: o["metadata"]["name"], 0)
AGE: Col = ("Age", "string", lambda o: age(_md(o, "creationTimestamp")), 0)

COLUMNS: dict[str, list[Col]] = {
    "Pod": [
        NAME,
        ("Ready", "string", _pod_ready, 0),
        ("Status", "string", _pod_status, 0),
        ("Restarts", "string", lambda o: str(_restarts(o)), 0),
        AGE,
        ("IP", "string", lambda o: _st(o, "podIP", "<none>"), 1),
        ("Node", "string", lambda o: _sp(o, "nodeName", "<none>"), 1),
    ],
    "Deployment": [
        NAME,
        ("Ready", "string", lambda o: f"{_st(o, 'readyReplicas')}/{_sp(o, 'replicas', 1)}", 0),
        ("Up-to-date", "integer", lambda o: _st(o, "updatedReplicas"), 0),
        ("Available", "integer", lambda o: _st(o, "availableReplicas"), 0),
        AGE,
        ("Images", "string", _images, 1),
    ],
    "ReplicaSet": [
        NAME,
        ("Desired", "integer", lambda o: _sp(o, "replicas", 1), 0),
        ("Current", "integer", lambda o: _st(o, "replicas"), 0),
        ("Ready", "integer", lambda o: _st(o, "readyReplicas"), 0),
        AGE,
    ],
    "StatefulSet": [
        NAME,
        ("Ready", "string", lambda o: f"{_st(o, 'readyReplicas')}/{_sp(o, 'replicas', 1)}", 0),
        AGE,
    ],
    "DaemonSet": [
        NAME,
        ("Desired", "integer", lambda o: _st(o, "desiredNumberScheduled"), 0),
        ("Current", "integer", lambda o: _st(o, "currentNumberScheduled"), 0),
        ("Ready", "integer", lambda o: _st(o, "numberReady"), 0),
        AGE,
    ],
    "Job": [
        NAME,
        (
            "Status",
            "string",
            lambda o: "Complete" if _st(o, "succeeded") >= _sp(o, "completions", 1) else "Running",
            0,
        ),
        ("Completions", "string", lambda o: f"{_st(o, 'succeeded')}/{_sp(o, 'completions', 1)}", 0),
        AGE,
    ],
    "CronJob": [
        NAME,
        ("Schedule", "string", lambda o: _sp(o, "schedule", ""), 0),
        ("Suspend", "boolean", lambda o: _sp(o, "suspend", False), 0),
        ("Active", "integer", lambda o: len(_st(o, "active", [])), 0),
        AGE,
    ],
    "Service": [
        NAME,
        ("Type", "string", lambda o: _sp(o, "type", "ClusterIP"), 0),
        ("Cluster-IP", "string", lambda o: _sp(o, "clusterIP", "<none>"), 0),
        ("External-IP", "string", lambda o: "<none>", 0),
        ("Port(s)", "string", _ports, 0),
        AGE,
    ],
    "Node": [
        NAME,
        (
            "Status",
            "string",
            lambda o: "Ready,SchedulingDisabled" if _sp(o, "unschedulable", False) else "Ready",
            0,
        ),
        ("Roles", "string", lambda o: "<none>", 0),
        AGE,
        ("Version", "string", lambda o: _st(o, "nodeInfo", {}).get("kubeletVersion", ""), 0),
    ],
    "Namespace": [NAME, ("Status", "string", lambda o: _st(o, "phase", "Active"), 0), AGE],
    "Event": [
        ("Last Seen", "string", lambda o: age(o.get("lastTimestamp") or o.get("eventTime")), 0),
        ("Type", "string", lambda o: o.get("type", ""), 0),
        ("Reason", "string", lambda o: o.get("reason", ""), 0),
        (
            "Object",
            "string",
            lambda o: (
                f"{(o.get('involvedObject') or {}).get('kind', '').lower()}/{(o.get('involvedObject') or {}).get('name', '')}"
            ),
            0,
        ),
        ("Message", "string", lambda o: o.get("message", ""), 0),
    ],
    "ConfigMap": [NAME, ("Data", "integer", lambda o: len(o.get("data") or {}), 0), AGE],
    "Secret": [
        NAME,
        ("Type", "string", lambda o: o.get("type", "Opaque"), 0),
        ("Data", "integer", lambda o: len(o.get("data") or {}), 0),
        AGE,
    ],
    "ResourceQuota": [NAME, AGE],
}


def _jsonpath(o: Obj, path: str) -> Any:
    cur: Any = o
    for part in path.strip(".").split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def columns_for(kind: str, printer_columns: list[dict[str, Any]] | None = None) -> list[Col]:
    if kind in COLUMNS:
        return COLUMNS[kind]
    cols: list[Col] = [NAME]
    for pc in printer_columns or []:
        path = pc.get("jsonPath", "")
        cols.append(
            (
                pc["name"],
                pc.get("type", "string"),
                lambda o, p=path: _jsonpath(o, p),
                pc.get("priority", 0),
            )
        )
    if not any(c[0] == "Age" for c in cols):
        cols.append(AGE)
    return cols


def table(
    kind: str,
    objs: list[Obj],
    rv: str,
    printer_columns: list[dict[str, Any]] | None = None,
    with_columns: bool = True,
    cont: str | None = None,
) -> dict[str, Any]:
    cols = columns_for(kind, printer_columns)
    rows = []
    for o in objs:
        rows.append(
            {
                "cells": [c[2](o) for c in cols],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": {k: v for k, v in o["metadata"].items() if k != "managedFields"},
                },
            }
        )
    meta: dict[str, Any] = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": [
            {
                "name": c[0],
                "type": c[1],
                "format": "name" if c[0] == "Name" else "",
                "description": "",
                "priority": c[3],
            }
            for c in cols
        ]
        if with_columns
        else [],
        "rows": rows,
    }
