"""The in-use set: every image reference running or declared in every registered cluster
(pods' containers, init and ephemeral containers with their imageIDs; the pod templates
of Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) and in K2Cloud's app revisions
that could be rolled back to (each app's current and canary revision, and every revision
of the last K2_REGISTRY_REVISION_DAYS days). A cluster that cannot be read is returned
by name: the run deletes nothing on the registries it pulls from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.clusters.gateway import GatewayError
from apps.clusters.models import Cluster
from apps.registries import cluster_ops
from apps.registries.policy import InUse
from apps.registries.references import parse


@dataclass
class Collected:
    refs: list[tuple[str, str]] = field(default_factory=list)  # (reference, where)
    revision_refs: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)  # cluster name -> error
    clusters: list[str] = field(default_factory=list)
    calls: int = 0


def _pod_spec_images(spec: dict) -> list[str]:
    out = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        out.extend(c.get("image") or "" for c in spec.get(key) or [])
    return out


def images_of(kind: str, item: dict) -> list[str]:
    spec = item.get("spec") or {}
    if kind == "pods":
        images = _pod_spec_images(spec)
        status = item.get("status") or {}
        for key in ("initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"):
            for s in status.get(key) or []:
                images.extend([s.get("image") or "", s.get("imageID") or ""])
        return images
    if kind == "cronjobs":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return _pod_spec_images(((spec.get("template") or {}).get("spec")) or {})


def _walk_images(value, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "image" and isinstance(inner, str):
                out.append(inner)
            else:
                _walk_images(inner, out)
    elif isinstance(value, list):
        for inner in value:
            _walk_images(inner, out)


def revision_images(now=None) -> list[str]:
    from apps.workloads.models import App, AppRevision

    now = now or timezone.now()
    since = now - timedelta(days=settings.K2_REGISTRY_REVISION_DAYS)
    ids = set(AppRevision.objects.filter(created_at__gte=since).values_list("pk", flat=True))
    for current, canary in App.objects.values_list("revision_id", "canary_revision_id"):
        ids.update(i for i in (current, canary) if i)
    out: list[str] = []
    for spec in AppRevision.objects.filter(pk__in=ids).values_list("spec", flat=True).iterator():
        _walk_images(spec, out)
    return out


def collect(clusters=None) -> Collected:
    result = Collected()
    for cluster in clusters if clusters is not None else Cluster.objects.order_by("name"):
        result.clusters.append(cluster.name)
        refs: list[tuple[str, str]] = []
        try:
            for kind in cluster_ops.PATHS:
                for item in cluster_ops.list_all(cluster, kind):
                    result.calls += 1  # objects read
                    meta = item.get("metadata") or {}
                    where = (
                        f"{cluster.name}/{meta.get('namespace', '')}/{kind}/{meta.get('name', '')}"
                    )
                    refs.extend((image, where) for image in images_of(kind, item) if image)
        except GatewayError as exc:
            result.unreadable[cluster.name] = str(exc)
            continue
        result.refs.extend(refs)
    result.revision_refs = revision_images()
    return result


def in_use_for(collected: Collected, hosts: set[str]) -> InUse:
    """The references that name one of the registry's hosts, by its repository names.
    Docker Hub-style references without a host never match a registered registry."""
    in_use = InUse()
    hosts = {h.lower() for h in hosts}
    for reference, where in collected.refs:
        ref = parse(reference)
        if ref is not None and ref.host in hosts:
            in_use.add(ref.repository, ref.tag, ref.digest, where.split("/", 1)[0])
    for reference in collected.revision_refs:
        ref = parse(reference)
        if ref is not None and ref.host in hosts:
            in_use.add(ref.repository, ref.tag, ref.digest, "", revision=True)
    return in_use
