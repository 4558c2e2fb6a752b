"""Pure: what makes two Kubernetes events "the same" for K2Cloud, and what an event says.

A crash loop emits the same reason hundreds of times, each from a pod with a new hash and
with new numbers in its message (pids, back-off seconds, uids). The fingerprint keeps the
cluster, namespace, involved object kind, the object's name with pod hashes stripped (so
the pods of one app share it), the reason and the message with hashes, uids and numbers
replaced by placeholders. No Django here: table tests and hypothesis cover it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_MESSAGE = 4000
MAX_NAME = 253

_UID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b", re.I)
_ALPHABET = "[bcdfghjklmnpqrstvwxz2456789]"
_POD_SUFFIX = re.compile(rf"-(?:{_ALPHABET}{{6,10}}-)?{_ALPHABET}{{5}}$")
_STS_SUFFIX = re.compile(r"-\d+$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SPACES = re.compile(r"\s+")


def normalize_message(message: str) -> str:
    """The message with uids, long hex ids and numbers replaced, spaces squeezed."""
    text = _UID.sub("<uid>", message or "")
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACES.sub(" ", text).strip()[:MAX_MESSAGE]


def workload_name(kind: str, name: str) -> str:
    """A pod's name without its ReplicaSet hash and random suffix (web-7d9f8c6b4-x2kqz ->
    web) or StatefulSet ordinal (db-0 -> db); other kinds keep their name."""
    if kind != "Pod":
        return name
    stripped = _POD_SUFFIX.sub("", name)
    if stripped != name:
        return stripped
    return _STS_SUFFIX.sub("", name)


def fingerprint(cluster: str, namespace: str, kind: str, name: str, reason: str,
                message: str) -> str:  # fmt: skip
    parts = (cluster, namespace, kind, workload_name(kind, name), reason,
             normalize_message(message))  # fmt: skip
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Occurrence:
    """One observation of an event: `count` new occurrences of it at `at`. `source` names the
    Kubernetes object (or pod status fact) it came from and `source_count` its cumulative
    count there, so a relist or a restart seeing it again adds nothing."""

    cluster: str
    namespace: str
    kind: str
    name: str
    reason: str
    message: str
    type: str
    at: datetime
    source: str
    source_count: int
    component: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.cluster, self.namespace, self.kind, self.name, self.reason,
                           self.message)  # fmt: skip


def _time(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def from_event(cluster: str, obj: dict, now: datetime) -> Occurrence | None:
    """A core/v1 Event as an Occurrence; None when it is malformed (no reason or object)."""
    if not isinstance(obj, dict):
        return None
    meta = obj.get("metadata") or {}
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    reason = str(obj.get("reason") or "")[:128]
    uid = meta.get("uid") or f"{meta.get('namespace')}/{meta.get('name')}"
    if not reason or not isinstance(involved, dict) or not involved.get("name") or not uid:
        return None
    series = obj.get("series") or {}
    count = obj.get("count") or series.get("count") or 1
    try:
        count = max(1, int(count))
    except (TypeError, ValueError):
        count = 1
    at = (_time(obj.get("lastTimestamp")) or _time(series.get("lastObservedTime"))
          or _time(obj.get("eventTime")) or _time(obj.get("firstTimestamp")) or now)  # fmt: skip
    kind = str(involved.get("kind") or "")[:64]
    type_ = "Warning" if obj.get("type") == "Warning" else "Normal"
    source = obj.get("source") or {}
    return Occurrence(
        cluster=cluster, namespace=str(involved.get("namespace") or meta.get("namespace") or "")[:63],
        kind=kind, name=str(involved.get("name"))[:MAX_NAME], reason=reason,
        message=str(obj.get("message") or obj.get("note") or "")[:MAX_MESSAGE], type=type_,
        at=at, source=f"event:{uid}", source_count=count,
        component=str(source.get("component") or obj.get("reportingController") or "")[:128],
    )  # fmt: skip


def from_pod(cluster: str, pod: dict, now: datetime) -> list[Occurrence]:
    """What a pod's status says that Kubernetes reports as no event of its own: a container
    whose last termination was an OOM kill (one occurrence per kill, keyed by its finish
    time) and restart counts (cumulative, keyed by container)."""
    meta = pod.get("metadata") or {}
    uid, ns, name = meta.get("uid"), meta.get("namespace") or "", meta.get("name") or ""
    if not uid or not name:
        return []
    out = []
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        cname = cs.get("name") or ""
        term = (cs.get("lastState") or {}).get("terminated") or {}
        if term.get("reason") == "OOMKilled":
            finished = term.get("finishedAt") or ""
            out.append(Occurrence(
                cluster=cluster, namespace=ns, kind="Pod", name=name, reason="OOMKilled",
                message=f"Container {cname} was killed: out of memory (exit code "
                        f"{term.get('exitCode', 137)})",
                type="Warning", at=_time(finished) or now, source=f"oom:{uid}:{cname}:{finished}",
                source_count=1, component="k2cloud-events",
            ))  # fmt: skip
        restarts = int(cs.get("restartCount") or 0)
        if restarts > 0:
            out.append(Occurrence(
                cluster=cluster, namespace=ns, kind="Pod", name=name, reason="Restarted",
                message=f"Container {cname} restarted", type="Warning", at=now,
                source=f"restarts:{uid}:{cname}", source_count=restarts,
                component="k2cloud-events",
            ))  # fmt: skip
    return out
