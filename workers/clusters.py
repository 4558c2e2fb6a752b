"""Cluster health: the beat task fans out one probe task per enabled cluster."""

from celery import shared_task
from django.core.cache import cache

from apps.audit.actors import Actor
from apps.clusters.models import Cluster
from apps.clusters.services import do_probe_cluster
from apps.core.tasks import BULK

PROBE_LOCK_SECONDS = 60


@shared_task(name="workers.clusters.probe_all_clusters")
def probe_all_clusters() -> int:
    """Queue a probe of every enabled cluster (each its own task: one slow cluster never
    delays the others). Returns how many were queued."""
    ids = list(Cluster.objects.filter(enabled=True).values_list("pk", flat=True))
    for pk in ids:
        probe_cluster.apply_async(args=[pk], expires=60, queue=BULK)
    return len(ids)


@shared_task(name="workers.clusters.probe_cluster", ignore_result=True)
def probe_cluster(cluster_id: int) -> str | None:
    """Probe one cluster; skip quietly if it is gone, disabled, or being probed elsewhere."""
    cluster = Cluster.objects.filter(pk=cluster_id, enabled=True).first()
    if cluster is None:
        return None
    lock = f"clusters:probe:{cluster_id}"
    if not cache.add(lock, "1", PROBE_LOCK_SECONDS):  # skip, never wait (singleton)
        return None
    try:
        return do_probe_cluster(
            cluster, actor=Actor.system("workers.clusters.probe_cluster")
        ).health
    finally:
        cache.delete(lock)
